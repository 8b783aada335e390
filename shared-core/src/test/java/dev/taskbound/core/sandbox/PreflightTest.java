package dev.taskbound.core.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.taskbound.core.ExitCodes;
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
      "Options: run taskbound as root, allow unprivileged user namespaces on this host, use the container backend,"
          + " or use the proxy backend with 'enforcement: cooperative' in the policy (proxy variables only, not enforced)";
  private static final String SYSTEM = SandboxTools.defaultSearchPath("");

  @TempDir Path dir;

  /** A directory holding links to the real tools except {@code missing}. */
  private String toolsWithout(String missing) throws Exception {
    SandboxTools real = SandboxTools.locate(SYSTEM);
    Path bin = Files.createDirectories(dir.resolve("bin"));
    for (Path tool : List.of(real.unshare(), real.ip(), real.mount(), real.sh())) {
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
  @CsvSource({"unshare, util-linux", "ip, iproute2", "mount, mount", "sh, dash"})
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
        "kernel/apparmor_restrict_unprivileged_userns | 1 | AppArmor restricts unprivileged user namespaces on this host (sysctl kernel.apparmor_restrict_unprivileged_userns=1)",
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

  @Test
  void appArmorSysctlDoesNotConcernRoot() throws Exception {
    Path sys = dir.resolve("sys");
    Files.createDirectories(sys.resolve("kernel"));
    Files.writeString(sys.resolve("kernel/apparmor_restrict_unprivileged_userns"), "1\n");

    SandboxTools tools = NetnsSandbox.preflight(SYSTEM, sys, true);

    assertThat(tools.unshare()).isExecutable();
  }

  @Test
  void failingProbeIsReportedWithItsOutput() throws Exception {
    Path bin = Files.createDirectories(dir.resolve("fake"));
    SandboxTools real = SandboxTools.locate(SYSTEM);
    for (Path tool : List.of(real.ip(), real.mount(), real.sh())) {
      wrap(bin, tool);
    }
    Path unshare = bin.resolve("unshare");
    Files.writeString(unshare, "#!/bin/sh\necho 'unshare: unshare failed: Operation not permitted' >&2\nexit 1\n");
    unshare.toFile().setExecutable(true);

    assertThatThrownBy(() -> NetnsSandbox.preflight(bin.toString(), Path.of("/proc/sys"), true))
        .isInstanceOf(SandboxException.class)
        .hasMessage("the netns sandbox cannot be created: the probe '" + unshare + " --user --map-root-user --net --mount --pid"
            + " --fork true' failed (it exited with status 1: unshare: unshare failed: Operation not permitted). " + OPTIONS);
  }

  @Test
  void startRunsThePreflightAndNeverFallsBack() throws Exception {
    String path = toolsWithout("unshare");
    NetnsSandbox sandbox = new NetnsSandbox(path, List.of(), InitCommand.current());
    SandboxLaunch launch =
        new SandboxLaunch(List.of("true"), dir, Map.of(), dir.resolve("gw.sock"), List.of(), Duration.ofSeconds(5));

    assertThatThrownBy(() -> sandbox.start(launch))
        .isInstanceOf(SandboxException.class)
        .hasMessageStartingWith("the netns sandbox needs 'unshare'")
        .satisfies(e -> assertThat(((SandboxException) e).exitCode()).isEqualTo(ExitCodes.SANDBOX));
  }

  @Test
  void hiddenPathThatContainsTheGatewaySocketIsRefused() {
    NetnsSandbox sandbox = new NetnsSandbox(SYSTEM, List.of(), InitCommand.current());
    SandboxLaunch launch =
        new SandboxLaunch(List.of("true"), dir, Map.of(), dir.resolve("run/gw.sock"), List.of(dir.resolve("run")), Duration.ofSeconds(5));

    assertThatThrownBy(() -> sandbox.start(launch))
        .isInstanceOf(SandboxException.class)
        .hasMessage("hidden path " + dir.resolve("run") + " contains the gateway socket " + dir.resolve("run/gw.sock")
            + "; the agent must reach the socket");
  }
}
