package dev.taskbound.core.gate;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Review finding: the gate's reader took a '#' after a vertical tab, a form feed, an ideographic
 * space, an escaped space or a line continuation for a comment, and bash ran the push after it.
 * Each line here goes to the real bash with a {@code git} that logs its arguments: the reader sees a
 * push exactly when bash runs one.
 */
class ShellCommentsAgreeWithBashTest {
  @TempDir Path dir;

  @ParameterizedTest
  @ValueSource(strings = {
      "echo x\\\n#; git push origin main",
      "echo x\u000b#; git push origin main",
      "echo x\f#; git push origin main",
      "echo x\u3000#; git push origin main",
      "echo a\\ #; git push origin main",
      "echo x #; git push origin main",
      "echo x\t#; git push origin main",
      "echo x;#; git push origin main",
      "echo x \\\n#; git push origin main",
      "echo x# ; git push origin main",
      "echo x>#; git push origin main",
      "git \"pu\\\nsh\" origin main",
      "git $'pu\\\nsh' origin main",
      "echo `true #`; git push origin main",
      "echo `true # x`; git push origin main",
      "git $'\\x70ush' origin main",
      "git $'\\160ush' origin main",
      "git $'\\u0070ush' origin main",
      "git $'p\\x75sh' origin main",
      "x=`'`; git \"pu\"sh origin main; y=`'`",
      "x=`\"`; git push origin main; y=`\"`"})
  void theReaderSeesAPushExactlyWhenBashRunsOne(String line) throws Exception {
    Path log = dir.resolve("git.log");
    runInBash(line, "#!/bin/sh\nprintf '%s\\n' \"$*\" >> '" + log + "'\n");
    boolean bashPushed = Files.exists(log) && Files.readString(log, StandardCharsets.UTF_8).contains("push origin main");

    boolean readerSeesPush = ShellCommands.simpleCommands(line).stream()
        .anyMatch(c -> ShellCommands.gitPush(c, "").isPresent());

    assertThat(readerSeesPush).as("reader on %s (bash pushed: %s)", line.replace("\n", "\\n"), bashPushed)
        .isEqualTo(bashPushed);
  }

  /** The ref a push updates, as the reader reads it, is the one bash hands git (the last word git gets). */
  @ParameterizedTest
  @ValueSource(strings = {
      "git push -o $'\\c' origin HEAD:main",
      "git push origin 2>$'\\c' HEAD:refs/heads/main",
      "git push origin $'ma\\0in'",
      "git push origin $'\\x6dain'",
      "git push origin $'\\U0000006dain'",
      "git push origin $'m\\c\\\\ain'"})
  void theRefAPushUpdatesIsTheOneBashHandsGit(String line) throws Exception {
    Path log = dir.resolve("git.args");
    runInBash(line, "#!/bin/bash\nfor a in \"$@\"; do last=$a; done\nprintf '%s' \"$last\" > '" + log + "'\n");
    String spec = Files.readString(log, StandardCharsets.UTF_8);
    String dst = spec.substring(spec.lastIndexOf(':') + 1);
    String expected = dst.startsWith("refs/") ? dst : "refs/heads/" + dst;

    assertThat(ShellCommands.gitPush(line, "refs/heads/taskbound/T-1/x")).hasValueSatisfying(
        push -> assertThat(push.updates()).as(line).containsExactly(expected));
  }

  /** Runs {@code line} in the real bash, in the test's directory, with {@code gitScript} as the only git. */
  private void runInBash(String line, String gitScript) throws Exception {
    Path bin = Files.createDirectories(dir.resolve("bin"));
    Files.writeString(bin.resolve("git"), gitScript);
    Files.setPosixFilePermissions(bin.resolve("git"), PosixFilePermissions.fromString("rwx------"));
    ProcessBuilder pb = new ProcessBuilder("bash", "-c", line).directory(dir.toFile()).redirectErrorStream(true);
    pb.environment().put("PATH", bin + ":/usr/bin:/bin");
    Process bash = pb.start();
    bash.getInputStream().readAllBytes();
    assertThat(bash.waitFor(30, TimeUnit.SECONDS)).isTrue();
  }
}
