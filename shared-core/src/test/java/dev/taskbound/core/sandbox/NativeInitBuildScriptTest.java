package dev.taskbound.core.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * scripts/build-native-init.sh, which the Maven build runs: a compile that fails must not leave an
 * older build of the init in the jar (it may speak an older protocol than the JVM side, and every
 * native start would then fail instead of falling back to the JVM init), nor a temporary file.
 */
class NativeInitBuildScriptTest {
  private static final Path REPO = Path.of(System.getProperty("taskbound.repo.root")).toAbsolutePath().normalize();

  @TempDir Path out;

  @Test
  void aFailedCompileRemovesTheOlderBuildAndLeavesNoTemporaryFile() throws Exception {
    String arch = System.getProperty("os.arch").equals("amd64") ? "x86_64" : System.getProperty("os.arch");
    org.junit.jupiter.api.Assumptions.assumeTrue(List.of("x86_64", "aarch64").contains(arch), "the script builds for these only");
    Path stale = out.resolve("dev/taskbound/core/sandbox/taskbound-init-" + arch);
    Files.createDirectories(stale.getParent());
    Files.writeString(stale, "an older build");
    Files.setLastModifiedTime(stale, FileTime.fromMillis(0)); // older than the source: rebuilt

    ProcessBuilder pb = new ProcessBuilder("bash", REPO.resolve("scripts/build-native-init.sh").toString(), out.toString())
        .redirectErrorStream(true);
    pb.environment().put("CC", "false"); // a compiler that fails
    Process p = pb.start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();

    assertThat(p.exitValue()).as(output).isZero();
    assertThat(output).contains("[WARNING] native taskbound-init: 'false' could not build it");
    assertThat(stale).as("the older build is not shipped").doesNotExist();
    try (Stream<Path> left = Files.walk(out)) {
      List<Path> files = left.filter(Files::isRegularFile).toList();
      assertThat(files).as("no temporary file left").isEmpty();
    }
  }
}
