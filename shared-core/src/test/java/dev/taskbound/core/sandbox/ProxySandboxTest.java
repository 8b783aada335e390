package dev.taskbound.core.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.taskbound.core.ExitCodes;
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

  @Test
  void initThatNeverReportsInIsKilledAfterTheStartTimeout() throws Exception {
    Path stuck = dir.resolve("stuck-java");
    Files.writeString(stuck, "#!/bin/sh\nexec sleep 1000\n");
    Files.setPosixFilePermissions(stuck, PosixFilePermissions.fromString("rwx------"));
    SandboxLaunch base = h.launch(List.of("true"), List.of());
    SandboxLaunch launch =
        new SandboxLaunch(base.command(), base.workDir(), Map.of(), base.gatewaySocket(), List.of(), Duration.ofMillis(500), base.io());
    ProxySandbox sandbox = new ProxySandbox(new InitCommand(stuck, "unused", List.of()));

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
    ProxySandbox sandbox = new ProxySandbox(new InitCommand(Path.of("/bin/false"), "unused", List.of()));

    assertThatThrownBy(() -> sandbox.start(launch))
        .isInstanceOf(SandboxException.class)
        .hasMessage("the proxy sandbox's setup exited with status 1 before the agent started (its own error message is on"
            + " the job's stderr)");
  }
}
