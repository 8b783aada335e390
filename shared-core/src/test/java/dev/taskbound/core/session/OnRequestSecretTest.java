package dev.taskbound.core.session;

import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.taskbound.core.ExitCodes;
import dev.taskbound.core.broker.Secret;
import dev.taskbound.core.broker.StubServerTest;
import dev.taskbound.core.broker.vault.VaultStubs;
import dev.taskbound.core.identity.TaskId;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The seam for {@code taskbound secret get}: on-request secrets stay in the session's memory. */
class OnRequestSecretTest extends StubServerTest {
  @TempDir Path dir;

  @Test
  void anOnRequestSecretIsServedByNameAndEachAccessIsEvidence() throws IOException {
    VaultStubs.stubAll(server);
    Path policy = Files.writeString(dir.resolve("task.yml"), String.join("\n",
        "apiVersion: taskbound.dev/v1",
        "kind: Task",
        "spec:",
        "  vault:",
        "    policies: [app-read]",
        "    secrets:",
        "      - {name: signing, kind: kv2, path: kv/app/db, field: password, access: on-request}",
        ""));
    SessionSpec spec = SessionSpec.builder(TaskId.parse("T-9"), List.of("true"))
        .policyFile(policy)
        .sessionRoot(dir.resolve("sessions"))
        .runtimeRoot(dir.resolve("rt"))
        .outDir(dir.resolve("out"))
        .credentialSources(CredentialSources.fromEnvironment(Map.of(
            "TASKBOUND_VAULT_ADDR", server.baseUrl(), "TASKBOUND_VAULT_TOKEN", VaultStubs.GIVEN_TOKEN)))
        .build();
    Files.createDirectories(dir.resolve("rt"));

    Path bundle;
    try (Session session = Session.open(spec)) {
      Secret secret = session.onRequestSecret("signing");
      SessionException unknown = catchThrowableOfType(() -> session.onRequestSecret("other"), SessionException.class);

      assertThat(secret.reveal()).isEqualTo(VaultStubs.KV2_VALUE);
      assertThat(session.onRequestSecretNames()).containsExactly("signing");
      assertThat(unknown.getMessage()).isEqualTo("no on-request secret named 'other' in this session; available: signing");
      assertThat(unknown.exitCode()).isEqualTo(ExitCodes.CREDENTIALS);
      assertThat(session.masker().mask("x " + VaultStubs.KV2_VALUE)).isEqualTo("x ***");
      assertThat(Files.exists(dir.resolve("rt").resolve("tb-" + session.id().value()).resolve("credentials"))).isFalse();
      bundle = session.record().bundle();
    }

    server.verify(1, getRequestedFor(urlEqualTo("/v1/kv/data/app/db")));
    try (ZipFile zip = new ZipFile(bundle.toFile())) {
      String events = new String(zip.getInputStream(zip.getEntry("events.jsonl")).readAllBytes());
      assertThat(events)
          .contains("\"secret.accessed\"")
          .contains(Secret.of(VaultStubs.KV2_VALUE).fingerprint())
          .contains("\"secret.denied\"")
          .doesNotContain(VaultStubs.KV2_VALUE);
    }
  }

  /** Issue 10: the host's own way to an on-request secret obeys the gate rules too. */
  @Test
  void aSecretTheGateDeniesIsNeitherFetchedNorServedToTheHost() throws IOException {
    VaultStubs.stubAll(server);
    Path policy = Files.writeString(dir.resolve("task.yml"), String.join("\n",
        "apiVersion: taskbound.dev/v1",
        "kind: Task",
        "spec:",
        "  gate:",
        "    rules:",
        "      - {action: secret.read, decision: deny}",
        "  vault:",
        "    policies: [app-read]",
        "    secrets:",
        "      - {name: signing, kind: kv2, path: kv/app/db, field: password, access: on-request}",
        ""));
    SessionSpec spec = SessionSpec.builder(TaskId.parse("T-10"), List.of("true"))
        .policyFile(policy)
        .sessionRoot(dir.resolve("sessions"))
        .runtimeRoot(dir.resolve("rt"))
        .outDir(dir.resolve("out"))
        .credentialSources(CredentialSources.fromEnvironment(Map.of(
            "TASKBOUND_VAULT_ADDR", server.baseUrl(), "TASKBOUND_VAULT_TOKEN", VaultStubs.GIVEN_TOKEN)))
        .build();
    Files.createDirectories(dir.resolve("rt"));

    Path bundle;
    try (Session session = Session.open(spec)) {
      SessionException denied = catchThrowableOfType(() -> session.onRequestSecret("signing"), SessionException.class);

      assertThat(denied.getMessage()).isEqualTo("the on-request secret 'signing' is refused: denied by gate rule"
          + " 'secret.read: deny' (" + policy + ":6)");
      assertThat(denied.exitCode()).isEqualTo(ExitCodes.CREDENTIALS);
      bundle = session.record().bundle();
    }

    server.verify(0, getRequestedFor(urlEqualTo("/v1/kv/data/app/db")));
    try (ZipFile zip = new ZipFile(bundle.toFile())) {
      String events = new String(zip.getInputStream(zip.getEntry("events.jsonl")).readAllBytes());
      assertThat(events).contains("\"type\":\"gate.decided\"").contains("\"rule\":\"secret.read: deny\"")
          .contains("\"secret.denied\"").doesNotContain("\"secret.accessed\"");
    }
  }
}
