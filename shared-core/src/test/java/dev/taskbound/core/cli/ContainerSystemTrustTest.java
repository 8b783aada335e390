package dev.taskbound.core.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskbound.core.testing.AgentOwner;
import dev.taskbound.core.testing.CliProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15 in the container backend: with {@code egress.inspect}, the agent container finds the
 * combined bundle (the host's system CAs and the session CA) at the distribution's bundle path,
 * read-only, even in an image that has none, so a client reading the system's trust trusts the
 * session CA; the host's own file is unchanged.
 */
@Timeout(180)
class ContainerSystemTrustTest {
  private static final String IMAGE = "taskbound/debian-base:bookworm";
  private static final Path SYSTEM_BUNDLE = Path.of("/etc/ssl/certs/ca-certificates.crt");

  @TempDir Path work;
  @TempDir Path runtime;

  @Test
  void theAgentContainerReadsTheSessionBundleAtTheSystemPathReadOnly() throws Exception {
    byte[] before = Files.readAllBytes(SYSTEM_BUNDLE);
    AgentOwner.own(work);
    Path policy = Files.writeString(work.resolve("p.yml"), String.join("\n",
        "apiVersion: taskbound.dev/v1",
        "kind: Task",
        "spec:",
        "  ttl: 5m",
        "  sandbox:",
        "    backends: [container]",
        "  egress:",
        "    allow: [\"api.test:443\"]",
        "    inspect: [api.test]",
        "    hosts: {api.test: 127.0.0.1}",
        ""));
    String agent = String.join("\n",
        "inside=$(sha256sum < " + SYSTEM_BUNDLE + ")",
        "ours=$(sha256sum < \"$SSL_CERT_FILE\")",
        "[ \"$inside\" = \"$ours\" ] && echo system-path=session-bundle",
        "grep -c 'BEGIN CERTIFICATE' " + SYSTEM_BUNDLE + " | sed 's/^/certificates=/'",
        "(echo x >> " + SYSTEM_BUNDLE + ") 2>/dev/null || echo system-path=read-only",
        "");
    Map<String, String> env = Map.of(
        "TASKBOUND_HOME", work.resolve("home").toString(), "TASKBOUND_RUNTIME_DIR", runtime.toString());

    try (CliProcess run = CliProcess.start(work, env, "run", "--task", "C-15", "--policy", policy.toString(),
        "--sandbox", "container", "--image", IMAGE, "--out", work.resolve("out").toString(), "--", "bash", "-c", agent)) {
      int status = run.waitFor(Duration.ofSeconds(120));

      assertThat(status).as(run.stdout() + run.stderr()).isZero();
      long hostCertificates = new String(before, java.nio.charset.StandardCharsets.ISO_8859_1).lines()
          .filter(l -> l.contains("BEGIN CERTIFICATE")).count();
      assertThat(run.stdout()).contains("system-path=session-bundle").contains("system-path=read-only")
          .contains("certificates=" + (hostCertificates + 1));
    }
    assertThat(Files.readAllBytes(SYSTEM_BUNDLE)).as("the host's bundle is untouched").isEqualTo(before);
  }
}
