package dev.taskbound.core.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.taskbound.core.ExitCodes;
import dev.taskbound.core.testing.AgentOwner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The cooperative proxy backend: no namespace, the forwarder on the host's loopback. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ProxySandboxTest {
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

  @Test
  void curlReachesAnAllowedHttpsServerThroughTheHostForwarder() throws Exception {
    SandboxHarness.Result r =
        h.run(new ProxySandbox(), List.of("curl", "-sS", "--fail", "--cacert", h.certPem.toString(), h.url()), List.of());

    assertThat(r.status()).as(r.err()).isZero();
    assertThat(r.out()).isEqualTo(SandboxHarness.BODY);
    assertThat(h.seen).anySatisfy(s -> assertThat(s.decision().host()).isEqualTo("api.test"));
  }

  /**
   * Issue 11: the proxy backend's agent is the same user as its init, with nothing between them. A
   * dumpable init would show it the request it was sent (the agent's whole environment, its own
   * memory) through {@code /proc/PID/environ} and {@code mem}; the native init is not dumpable. As
   * an ordinary user's Taskbound runs it (the tests run as root, whose agent could read anything).
   */
  @Test
  void theAgentCannotReadItsInitsEnvironmentOrMemory() throws Exception {
    assumeTrue(AgentOwner.root(), "needs root to start the agent as another user");
    AgentUser nobody = new AgentUser(AgentOwner.UID, AgentOwner.UID, "nobody");
    List<String> probe = List.of("sh", "-c", "tr '\\0' '\\n' < /proc/$PPID/environ > /dev/null && echo environ=read || echo environ=refused;"
        + " (exec 3< /proc/$PPID/mem) 2> /dev/null && echo mem=opened || echo mem=refused; cat /proc/$PPID/comm");
    ProxySandbox sandbox = new ProxySandbox().runningAs(nobody);

    SandboxHarness.Result nativeInit = h.run(sandbox, probe, List.of());
    SandboxHarness.Result jvmInit = h.run(sandbox.jvmInitOnly(), probe, List.of());

    assertThat(nativeInit.status()).as(nativeInit.err()).isZero();
    assertThat(nativeInit.out()).isEqualTo("environ=refused\nmem=refused\ninit\n");
    // the control: the JVM's init, which Java cannot make non-dumpable, shows its environment to the
    // same probe (its memory too, where no Yama ptrace_scope keeps a child from its parent)
    assertThat(jvmInit.out()).as(jvmInit.err()).startsWith("environ=read\n").endsWith("\njava\n");
  }

  @Test
  void initThatNeverReportsInIsKilledAfterTheStartTimeout() throws Exception {
    Path stuck = dir.resolve("stuck-java");
    Files.writeString(stuck, "#!/bin/sh\nexec sleep 1000\n");
    Files.setPosixFilePermissions(stuck, PosixFilePermissions.fromString("rwx------"));
    SandboxLaunch base = h.launch(List.of("true"), List.of());
    SandboxLaunch launch =
        new SandboxLaunch(base.command(), base.workDir(), Map.of(), base.gatewaySocket(), List.of(), Duration.ofMillis(500), base.io());
    ProxySandbox sandbox = new ProxySandbox(new InitCommand(stuck, "unused", List.of())).jvmInitOnly();

    assertThatThrownBy(() -> sandbox.start(launch))
        .isInstanceOf(SandboxException.class)
        .hasMessage("the proxy sandbox did not start within 500 ms; it was killed. Raise the start timeout if the host is slow.")
        .satisfies(e -> assertThat(((SandboxException) e).exitCode()).isEqualTo(ExitCodes.SANDBOX));
    assertThat(ProcessHandle.allProcesses().filter(p -> p.info().commandLine().orElse("").contains(stuck.toString())))
        .isEmpty();
  }

  @Test
  void initThatExitsEarlyIsReportedWithItsStatus() {
    SandboxLaunch launch = h.launch(List.of("true"), List.of());
    ProxySandbox sandbox = new ProxySandbox(new InitCommand(Path.of("/bin/false"), "unused", List.of())).jvmInitOnly();

    assertThatThrownBy(() -> sandbox.start(launch))
        .isInstanceOf(SandboxException.class)
        .hasMessage("the proxy sandbox's setup exited with status 1 before the agent started (its own error message is on"
            + " the job's stderr)");
  }
}
