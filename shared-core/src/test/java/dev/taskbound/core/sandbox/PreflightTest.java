package dev.taskbound.core.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.taskbound.core.ExitCodes;
import dev.taskbound.core.testing.AgentOwner;
import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PreflightTest {
  private static final String OPTIONS =
      "Options: install bubblewrap and allow unprivileged user namespaces on this host (needed as root too: the agent"
          + " runs as an unprivileged user), use the container backend, or use the proxy backend with 'enforcement:"
          + " cooperative' in the policy (proxy variables only, not enforced); as root, where the Ceiling allows it"
          + " (sandbox.allowReduced: [user-namespace]), 'sandbox.confinement: reduced' runs the agent without its own"
          + " user namespace";
  private static final String SYSTEM = SandboxTools.defaultSearchPath("");

  @TempDir Path dir;

  /** A directory holding links to the real tools except {@code missing}. */
  private String toolsWithout(String missing) throws Exception {
    SandboxTools real = SandboxTools.locate(SYSTEM);
    Path bin = Files.createDirectories(dir.resolve("bin"));
    for (Path tool : List.of(real.bwrap(), real.setpriv())) {
      if (!tool.getFileName().toString().equals(missing)) {
        wrap(bin, tool);
      }
    }
    return bin.toString();
  }

  /** A script in {@code bin} named like {@code tool} that runs it (links would point outside the temp dir). */
  private static void wrap(Path bin, Path tool) throws Exception {
    Path script = bin.resolve(tool.getFileName());
    Files.writeString(script, "#!/bin/sh\nexec " + tool + " \"$@\"\n");
    script.toFile().setExecutable(true);
  }

  @ParameterizedTest
  @CsvSource({"bwrap, bubblewrap", "setpriv, util-linux"})
  void missingToolIsNamedWithItsPackageAndTheOptions(String tool, String pkg) throws Exception {
    String path = toolsWithout(tool);

    assertThatThrownBy(() -> NetnsSandbox.preflight(path, Path.of("/proc/sys"), true))
        .isInstanceOf(SandboxException.class)
        .hasMessage("the netns sandbox needs '" + tool + "' (Debian/Ubuntu package " + pkg + "), which is not on the search path "
            + path + ". " + OPTIONS);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "kernel/unprivileged_userns_clone             | 0 | unprivileged user namespaces are disabled on this host (sysctl kernel.unprivileged_userns_clone=0)",
        "user/max_user_namespaces                     | 0 | user namespaces are disabled on this host (sysctl user.max_user_namespaces=0)",
      })
  void restrictingSysctlIsNamedForAnUnprivilegedUser(String sysctl, String value, String cause) throws Exception {
    Path sys = dir.resolve("sys");
    Files.createDirectories(sys.resolve(sysctl).getParent());
    Files.writeString(sys.resolve(sysctl), value + "\n");

    assertThatThrownBy(() -> NetnsSandbox.preflight(SYSTEM, sys, false))
        .isInstanceOf(SandboxException.class)
        .hasMessage("the netns sandbox cannot be created: " + cause + ". " + OPTIONS);
  }

  /** As root too: bwrap makes the user namespace as the unprivileged agent user. */
  @Test
  void disabledUnprivilegedUserNamespacesStopRootToo() throws Exception {
    Path sys = dir.resolve("sys");
    Files.createDirectories(sys.resolve("kernel"));
    Files.writeString(sys.resolve("kernel/unprivileged_userns_clone"), "0\n");

    assertThatThrownBy(() -> NetnsSandbox.preflight(SYSTEM, sys, true))
        .isInstanceOf(SandboxException.class)
        .hasMessageContaining("unprivileged user namespaces are disabled on this host");
  }

  @Test
  void failingProbeIsReportedWithItsOutput() throws Exception {
    Path bin = Files.createDirectories(dir.resolve("fake"));
    SandboxTools real = SandboxTools.locate(SYSTEM);
    wrap(bin, real.setpriv());
    Path bwrap = bin.resolve("bwrap");
    Files.writeString(bwrap, "#!/bin/sh\necho 'bwrap: No permissions to create new namespace' >&2\nexit 1\n");
    bwrap.toFile().setExecutable(true);

    assertThatThrownBy(() -> NetnsSandbox.preflight(bin.toString(), Path.of("/proc/sys"), false))
        .isInstanceOf(SandboxException.class)
        .hasMessage("the netns sandbox cannot be created: the probe '" + bwrap + " --unshare-user --disable-userns --unshare-ipc --unshare-pid"
            + " --unshare-net --unshare-uts --unshare-cgroup --die-with-parent --new-session --cap-drop ALL --ro-bind / / --proc /proc"
            + " --dev /dev -- " + SandboxTools.system("true", "coreutils") + "' failed (it exited with status 1: bwrap: No permissions"
            + " to create new namespace). " + OPTIONS);
  }

  /**
   * No probe before a start: the start is one (the same bwrap chain). A start that fails before the
   * agent runs then runs the probe, so the message names the cause and the options as the probe's
   * does, with the start's own failure attached.
   */
  @Test
  void aStartThatCannotCreateTheSandboxRunsTheProbeForItsMessage() throws Exception {
    Path bin = Files.createDirectories(dir.resolve("fake"));
    wrap(bin, SandboxTools.locate(SYSTEM).setpriv());
    Path bwrap = bin.resolve("bwrap");
    Path calls = dir.resolve("calls");
    Files.writeString(bwrap, "#!/bin/sh\necho \"$*\" >> " + calls + "\necho 'bwrap: No permissions to create new namespace' >&2\nexit 1\n");
    bwrap.toFile().setExecutable(true);
    Path workspace = AgentOwner.own(Files.createDirectories(dir.resolve("ws")));
    NetnsSandbox sandbox = new NetnsSandbox(bin + ":/usr/bin:/bin", List.of(), InitCommand.current()); // sh for the setup
    SandboxLaunch launch = new SandboxLaunch(List.of("true"), workspace, Map.of(), dir.resolve("gw.sock"), List.of(),
        Duration.ofSeconds(10), new SandboxIo(Redirect.INHERIT, Redirect.DISCARD, Redirect.DISCARD));

    SandboxException e = catchThrowableOfType(() -> sandbox.start(launch), SandboxException.class);

    assertThat(e.getMessage()).startsWith("the netns sandbox cannot be created: the probe '" + bwrap + " ")
        .contains("failed (it exited with status 1: bwrap: No permissions to create new namespace)").endsWith(OPTIONS);
    assertThat(e.exitCode()).isEqualTo(ExitCodes.SANDBOX);
    assertThat(e.getSuppressed()).singleElement()
        .satisfies(start -> assertThat(start).hasMessageStartingWith("the netns sandbox's setup exited with status 1"));
    List<String> ran = Files.readAllLines(calls);
    assertThat(ran).as("the start's own chain, then the probe; no probe before the start").hasSize(2);
    // the workspace by descriptor where the native init holds it, else by name
    assertThat(ran.get(0)).containsPattern("--bind(-fd [0-9]+| " + java.util.regex.Pattern.quote(workspace.toString()) + ") "
        + java.util.regex.Pattern.quote(workspace.toString())).doesNotContain("--ro-bind / /");
    assertThat(ran.get(1)).contains("--ro-bind / / --proc /proc --dev /dev --");
  }

  /** A host that can create the sandbox pays for no probe: bwrap runs twice (outside and the agent's namespace), no more. */
  @Test
  void aStartThatSucceedsRunsNoProbe() throws Exception {
    Path workspace = Files.createDirectories(dir.resolve("ws"));
    Path bin = Files.createDirectories(workspace.resolve("tools")); // inside the view: the agent's bwrap runs there too
    wrap(bin, SandboxTools.locate(SYSTEM).setpriv());
    Path calls = workspace.resolve("calls");
    Path bwrap = bin.resolve("bwrap");
    Files.writeString(bwrap, "#!/bin/sh\necho \"$*\" >> " + calls + "\nexec " + SandboxTools.locate(SYSTEM).bwrap() + " \"$@\"\n");
    bwrap.toFile().setExecutable(true);
    Files.createFile(calls);
    AgentOwner.own(workspace);
    Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwx--x--x")); // the agent's user reaches its bwrap
    NetnsSandbox sandbox = new NetnsSandbox(bin + ":/usr/bin:/bin", List.of(), InitCommand.current());
    Files.createFile(dir.resolve("gw.sock"));
    SandboxLaunch launch = new SandboxLaunch(List.of("/bin/sh", "-c", "touch ran"), workspace, Map.of("PATH", "/usr/bin:/bin"),
        dir.resolve("gw.sock"), List.of(), Duration.ofSeconds(30), new SandboxIo(Redirect.INHERIT, Redirect.DISCARD, Redirect.DISCARD));

    SandboxProcess agent = sandbox.start(launch);
    try {
      assertThat(agent.waitFor(Duration.ofSeconds(30))).isTrue();
      assertThat(agent.waitFor()).isZero();
    } finally {
      agent.destroyTree();
    }

    assertThat(workspace.resolve("ran")).exists();
    List<String> ran = Files.readAllLines(calls);
    assertThat(ran).noneMatch(line -> line.contains("--ro-bind / / --proc /proc"));
    assertThat(ran).hasSize(AgentOwner.root() ? 2 : 1);
  }

  @Test
  void startRunsThePreflightAndNeverFallsBack() throws Exception {
    String path = toolsWithout("bwrap");
    NetnsSandbox sandbox = new NetnsSandbox(path, List.of(), InitCommand.current());
    SandboxLaunch launch =
        new SandboxLaunch(List.of("true"), dir, Map.of(), dir.resolve("gw.sock"), List.of(), Duration.ofSeconds(5));

    assertThatThrownBy(() -> sandbox.start(launch))
        .isInstanceOf(SandboxException.class)
        .hasMessageStartingWith("the netns sandbox needs 'bwrap'")
        .satisfies(e -> assertThat(((SandboxException) e).exitCode()).isEqualTo(ExitCodes.SANDBOX));
  }

  @Test
  void hiddenPathThatIsTheGatewaySocketIsRefused() {
    NetnsSandbox sandbox = new NetnsSandbox(SYSTEM, List.of(), InitCommand.current());
    SandboxLaunch launch =
        new SandboxLaunch(List.of("true"), dir, Map.of(), dir.resolve("gw.sock"), List.of(dir.resolve("gw.sock")), Duration.ofSeconds(5));

    assertThatThrownBy(() -> sandbox.start(launch))
        .isInstanceOf(SandboxException.class)
        .hasMessage("hidden path " + dir.resolve("gw.sock") + " is the gateway socket; the agent must reach the socket");
  }
}
