package dev.taskbound.core.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 19 item 1: the agent's {@code argv[0]} is looked up in the agent's own {@code PATH}, as a
 * shell would, inside real netns and proxy sandboxes (the init JVM's own {@code PATH} holds only the
 * system directories).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class AgentCommandLookupTest {
  @TempDir static Path dir;
  static SandboxHarness h;
  static NetnsSandbox netns;
  static Path localBin;
  static Path toolCache;

  @BeforeAll
  static void start() throws Exception {
    h = new SandboxHarness(dir);
    netns = new NetnsSandbox(SandboxTools.defaultSearchPath(System.getenv("PATH")), List.of(), InitCommand.current());
    localBin = Files.createDirectories(dir.resolve("usr/local/bin"));
    toolCache = Files.createDirectories(dir.resolve("toolcache/bin"));
    script(localBin.resolve("tb-agent-tool"), "echo from-local-bin \"$@\"");
    // Earlier on the PATH than the real one: a directory and a file without execute permission of
    // the same name, which a shell skips.
    Files.createDirectories(toolCache.resolve("tb-shadowed"));
    Files.writeString(dir.resolve("usr/local/bin/tb-shadowed"), "#!/bin/sh\necho not-executable\n");
    Path later = Files.createDirectories(dir.resolve("later/bin"));
    script(later.resolve("tb-shadowed"), "echo the-executable-one");
  }

  @AfterAll
  static void stop() {
    h.close();
  }

  private static void script(Path file, String body) throws Exception {
    Files.writeString(file, "#!/bin/sh\n" + body + "\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  private static SandboxHarness.Result run(Sandbox sandbox, String path, String... command) throws Exception {
    return h.run(sandbox.start(h.launch(List.of(command), List.of(), Map.of("PATH", path))));
  }

  @Test
  void aProgramInALocalBinDirectoryOnTheAgentsPathRunsByBareName() throws Exception {
    SandboxHarness.Result r = run(netns, localBin + ":/usr/bin:/bin", "tb-agent-tool", "one", "two");

    assertThat(r.status()).as(r.err()).isZero();
    assertThat(r.out()).isEqualTo("from-local-bin one two\n");
  }

  @Test
  void directoriesAndNonExecutableFilesOnThePathAreSkippedAsByAShell() throws Exception {
    String path = toolCache + ":" + localBin + ":" + dir.resolve("later/bin") + ":/usr/bin:/bin";

    SandboxHarness.Result r = run(netns, path, "tb-shadowed");

    assertThat(r.status()).as(r.err()).isZero();
    assertThat(r.out()).isEqualTo("the-executable-one\n");
  }

  @Test
  void aBareNameMissingFromTheAgentsPathExits127NamingTheCommandAndThePath() throws Exception {
    String path = localBin + ":/usr/bin:/bin";

    SandboxHarness.Result r = run(netns, path, "tb-not-installed");

    assertThat(r.status()).isEqualTo(127);
    assertThat(r.err()).isEqualTo(
        "taskbound: command not found: 'tb-not-installed' (searched the agent's PATH=" + path + ")\n");
  }

  @Test
  void aNameWithASlashIsUsedAsIsRelativeToTheWorkingDirectory() throws Exception {
    Path rel = dir.relativize(localBin.resolve("tb-agent-tool"));

    SandboxHarness.Result r = run(netns, "/usr/bin:/bin", "./" + rel, "x");

    assertThat(r.status()).as(r.err()).isZero();
    assertThat(r.out()).isEqualTo("from-local-bin x\n");
  }

  @Test
  void theProxyBackendLooksUpTheAgentsPathToo() throws Exception {
    SandboxHarness.Result found = run(new ProxySandbox(), localBin + ":/usr/bin:/bin", "tb-agent-tool");
    SandboxHarness.Result missing = run(new ProxySandbox(), "/usr/bin:/bin", "tb-agent-tool");

    assertThat(found.out()).isEqualTo("from-local-bin\n");
    assertThat(missing.status()).isEqualTo(127);
    assertThat(missing.err()).contains("command not found: 'tb-agent-tool' (searched the agent's PATH=/usr/bin:/bin)");
  }

  @Test
  void controlCharactersInTheMissingCommandAreEscapedInTheMessage() throws Exception {
    SandboxHarness.Result r = run(netns, "/usr/bin:/bin", "tb-\u001b[2Jforged\nline");

    assertThat(r.status()).isEqualTo(127);
    assertThat(r.err()).isEqualTo(
        "taskbound: command not found: 'tb-\\x1b[2Jforged\\x0aline' (searched the agent's PATH=/usr/bin:/bin)\n");
  }
}
