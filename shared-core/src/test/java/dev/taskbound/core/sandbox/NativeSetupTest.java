package dev.taskbound.core.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.taskbound.core.policy.SandboxLimits;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 19 (the lead's seventh stop): with the native init installed, the netns sandbox's setup
 * runs no shell; the init joins the agent's cgroups and opens the seccomp profile on descriptor 3
 * itself, and a cgroup that refuses it still stops the start with 121 before anything of the agent
 * runs. That seccomp is still applied through this path is {@code KernelSurfaceEscapeTest}'s; that
 * the cgroup really holds the sandbox, its fork bomb's.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class NativeSetupTest {
  private static final SandboxLimits PIDS = new SandboxLimits(OptionalInt.of(64), OptionalLong.empty());

  @TempDir static Path dir;
  static SandboxHarness h;

  @BeforeAll
  static void start() throws Exception {
    h = new SandboxHarness(dir);
  }

  @AfterAll
  static void stop() {
    h.close();
  }

  /** A search path whose {@code sh} and {@code dash} record each run in {@code record}, then run the real shell. */
  private static String recordingShells(Path record) throws Exception {
    Path bin = Files.createDirectories(dir.resolve("shells"));
    for (String name : List.of("sh", "dash")) {
      Path wrapper = bin.resolve(name);
      Files.writeString(wrapper, "#!/bin/sh\necho \"" + name + " $*\" >> '" + record + "'\nexec /bin/sh \"$@\"\n");
      assertThat(wrapper.toFile().setExecutable(true)).isTrue();
    }
    return bin + ":" + SandboxTools.defaultSearchPath(System.getenv("PATH"));
  }

  @Test
  void withTheNativeInitInstalledTheSetupRunsNoShell() throws Exception {
    Path record = dir.resolve("shells-run");
    NetnsSandbox sandbox = new NetnsSandbox(recordingShells(record), List.of(), InitCommand.current());

    SandboxProcess started = sandbox.start(h.launch(List.of("true"), List.of()));
    SandboxHarness.Result nativeRun = h.run(started);
    boolean shellRanForTheNativeInit = Files.exists(record);
    SandboxHarness.Result jvmRun = h.run(sandbox.jvmInitOnly().start(h.launch(List.of("true"), List.of())));

    assertThat(nativeRun.status()).as(nativeRun.err()).isZero();
    assertThat(started.confinement()).containsEntry("init", "native");
    assertThat(shellRanForTheNativeInit).as("a setup shell ran although the native init was installed").isFalse();
    assertThat(jvmRun.status()).as(jvmRun.err()).isZero();
    assertThat(Files.readString(record)).as("without the native init the setup shell still runs").startsWith("sh -c ");
  }

  @Test
  void aCgroupThatRefusesTheNativeSetupStopsTheStartWith121BeforeTheAgentRuns() throws Exception {
    Path root = fakeCgroupV2WithPids();
    Path ran = dir.resolve("agent-ran");
    NetnsSandbox sandbox =
        new NetnsSandbox(SandboxTools.defaultSearchPath(System.getenv("PATH")), List.of(), InitCommand.current()).withCgroupRoot(root);

    assertThatThrownBy(() -> sandbox.start(
        h.launch(List.of("touch", ran.toString()), List.of()).withConfinement(Confinement.DEFAULT.withLimits(PIDS))))
        .isInstanceOf(SandboxException.class)
        .hasMessageContaining("the netns sandbox's setup exited with status 121 before the agent started");

    // the fake tree's child has no cgroup.procs, as a cgroup the kernel will not let this process join
    assertThat(Files.readString(h.lastErr()))
        .startsWith("taskbound: the sandbox did not start: cannot join the agent's cgroup through '" + root)
        .contains("/cgroup.procs': No such file or directory");
    assertThat(ran).doesNotExist();
  }

  /** The setup stage runs where the agent's workspace is: a relative command would be the workspace's file, run on the host. */
  @Test
  void theSetupStageRunsOnlyAnAbsoluteCommand() throws Exception {
    Path init = NativeInit.bundled(System.getProperty("os.arch")).orElseThrow()
        .installIn(Files.createDirectories(dir.resolve("installed"))).orElseThrow();
    Path workspace = Files.createDirectories(dir.resolve("relative-ws"));
    Path planted = workspace.resolve("setup");
    Files.writeString(planted, "#!/bin/sh\ntouch planted-ran\n");
    assertThat(planted.toFile().setExecutable(true)).isTrue();

    Process p = new ProcessBuilder(init.toString(), "--hold", "0", "--", "./setup").directory(workspace.toFile())
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);

    assertThat(p.waitFor()).isEqualTo(125);
    assertThat(out).contains("-- /ABSOLUTE/COMMAND...");
    assertThat(workspace.resolve("planted-ran")).doesNotExist();
  }

  /** A cgroup v2 tree in a directory where this process's own cgroup delegates pids (AgentLimits makes the child). */
  private static Path fakeCgroupV2WithPids() throws Exception {
    Path root = Files.createDirectories(dir.resolve("cgroup"));
    Files.writeString(root.resolve("cgroup.controllers"), "pids\n");
    String own = Files.readAllLines(Path.of("/proc/self/cgroup")).stream().filter(l -> l.startsWith("0::")).findFirst()
        .orElse("0::/").substring(3).replaceFirst("^/+", "");
    Path parent = own.isEmpty() ? root : Files.createDirectories(root.resolve(own));
    Files.writeString(parent.resolve("cgroup.subtree_control"), "pids\n");
    return root;
  }
}
