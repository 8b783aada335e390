package dev.taskbound.core.session;

import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static dev.taskbound.core.broker.vault.VaultStubs.CHILD_TOKEN;
import static dev.taskbound.core.broker.vault.VaultStubs.GIVEN_TOKEN;
import static dev.taskbound.core.broker.vault.VaultStubs.WRAP_TOKEN;
import static dev.taskbound.core.broker.vault.VaultStubs.json;
import static org.assertj.core.api.Assertions.assertThat;

import dev.taskbound.core.broker.IssuedCredential;
import dev.taskbound.core.broker.RecordingUndo;
import dev.taskbound.core.broker.StubServerTest;
import dev.taskbound.core.broker.vault.VaultStubs;
import dev.taskbound.core.policy.EffectivePolicy;
import dev.taskbound.core.policy.PolicyResolver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A wrapping token is an orphan whose TTL Vault does not cap, so the session cuts a secret's
 * {@code wrap} to its own TTL: what the broker asks Vault for, and what evidence records.
 */
class VaultWrapTtlTest extends StubServerTest {
  private static final Instant NOW = Instant.parse("2026-11-27T11:00:00Z");
  private static final String SECRET_PATH = "/v1/secret/data/app/signing";

  @TempDir Path dir;

  @ParameterizedTest(name = "session {0}, wrap {1}: {2} s")
  @CsvSource({"1h, 24h, 3600", "1h, 5m, 300", "30m, 30m, 1800"})
  void theWrappingTokenNeverOutlivesTheSession(String sessionTtl, String wrap, long expectedSeconds) throws Exception {
    VaultStubs.stubAll(server);
    server.stubFor(get(urlEqualTo(SECRET_PATH)).withHeader("X-Vault-Token", equalTo(CHILD_TOKEN))
        .withHeader("X-Vault-Wrap-TTL", equalTo(expectedSeconds + "s"))
        .willReturn(json(200, "{\"request_id\":\"r6\",\"lease_id\":\"\",\"renewable\":false,\"lease_duration\":0,"
            + "\"data\":null,\"wrap_info\":{\"token\":\"" + WRAP_TOKEN + "\",\"accessor\":\"acc-wrap-0004\",\"ttl\":"
            + expectedSeconds + ",\"creation_time\":\"2026-11-27T11:00:00Z\",\"creation_path\":\"secret/data/app/signing\"},"
            + "\"warnings\":null,\"auth\":null}")));
    CredentialPlan plan = CredentialPlan.of(policy(sessionTtl, wrap), CredentialSources.fromEnvironment(Map.of(
        "TASKBOUND_VAULT_ADDR", "http://127.0.0.1:" + server.port(), "TASKBOUND_VAULT_TOKEN", GIVEN_TOKEN)),
        Clock.fixed(NOW, ZoneOffset.UTC));

    List<IssuedCredential> issued = plan.brokers().get(0).issue(new RecordingUndo());

    server.verify(1, getRequestedFor(urlEqualTo(SECRET_PATH)).withHeader("X-Vault-Wrap-TTL", equalTo(expectedSeconds + "s")));
    assertThat(issued.get(1).environment()).containsOnly(Map.entry("SIGNING", WRAP_TOKEN));
    assertThat(issued.get(1).expiresAt()).contains(NOW.plusSeconds(expectedSeconds));
    assertThat(plan.scope("signing-key", "vault-secret")).containsEntry("wrapped_ttl_seconds", expectedSeconds);
  }

  private EffectivePolicy policy(String sessionTtl, String wrap) throws Exception {
    Path file = Files.writeString(dir.resolve("task.yml"), String.join("\n",
        "apiVersion: taskbound.dev/v1",
        "kind: Task",
        "spec:",
        "  ttl: " + sessionTtl,
        "  vault:",
        "    policies: [app-read]",
        "    secrets:",
        "      - {name: signing-key, kind: kv2, path: secret/app/signing, field: pem, env: SIGNING, wrap: " + wrap + "}",
        ""));
    return PolicyResolver.resolve(List.of(file), Optional.empty());
  }
}
