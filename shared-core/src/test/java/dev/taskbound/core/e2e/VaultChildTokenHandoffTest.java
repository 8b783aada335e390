package dev.taskbound.core.e2e;

import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static dev.taskbound.core.broker.vault.VaultStubs.CHILD_ACCESSOR;
import static dev.taskbound.core.broker.vault.VaultStubs.CHILD_TOKEN;
import static dev.taskbound.core.broker.vault.VaultStubs.DYNAMIC_PASSWORD;
import static dev.taskbound.core.e2e.CredentialApis.DYNAMIC_DB_SECRET;
import static dev.taskbound.core.e2e.CredentialApis.taskbound;
import static org.assertj.core.api.Assertions.assertThat;

import dev.taskbound.core.broker.Secret;
import dev.taskbound.core.broker.vault.VaultStubs;
import dev.taskbound.core.e2e.CredentialApis.Result;
import dev.taskbound.core.identity.TaskId;
import dev.taskbound.core.session.Session;
import dev.taskbound.core.session.SessionSpec;
import dev.taskbound.core.testing.FileGrep;
import dev.taskbound.core.testing.RunArtifacts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Vault child token stays with the issuer: the controller read the secrets with it and revokes it
 * from its journal, and no policy exposes it to the agent, so a credential hand-off carries its
 * fingerprint (for the session's evidence) and never its value. Vault is a loopback WireMock stand-in.
 */
@Timeout(120)
class VaultChildTokenHandoffTest {
  @TempDir Path work;
  @RegisterExtension final CredentialApis apis = new CredentialApis();

  @Test
  void theHandoffCarriesTheChildTokensFingerprintNotItsValueAndTheSessionStillRecordsIt() throws Exception {
    VaultStubs.stubAll(apis.vault());
    Path policy = apis.writeVaultTask(work.resolve("task.yml"), DYNAMIC_DB_SECRET);
    Path handoff = work.resolve("handoff.json");

    Result issue = taskbound(controllerEnv(), "credentials", "issue", "--task", "T-42", "--policy", policy.toString(),
        "--handoff", handoff.toString());

    assertThat(issue.status()).as(issue.err()).isZero();
    assertThat(Files.readString(handoff)).doesNotContain(CHILD_TOKEN).contains(Secret.of(CHILD_TOKEN).fingerprint())
        .contains(DYNAMIC_PASSWORD);
    Path runtime = Files.createDirectories(work.resolve("agent-rt"));
    Path evidence = work.resolve("agent-out");
    SessionSpec agent = SessionSpec.builder(TaskId.parse("T-42"), List.of("true"))
        .policyFile(policy)
        .sessionRoot(work.resolve("agent-sessions"))
        .runtimeRoot(runtime)
        .outDir(evidence)
        .credentialHandoff(handoff)
        .build();
    try (Session session = Session.open(agent)) {
      assertThat(FileGrep.filesContaining(DYNAMIC_PASSWORD, runtime)).as("the secret's file").hasSize(1);
    }
    assertThat(RunArtifacts.bundleText(evidence, "events.jsonl"))
        .contains("\"fingerprint\":\"" + Secret.of(CHILD_TOKEN).fingerprint() + "\",\"kind\":\"vault-token\","
            + "\"name\":\"vault-token\"");
    assertThat(FileGrep.filesContaining(CHILD_TOKEN, work)).as("no file on either side holds the child token").isEmpty();

    Result revoke = taskbound(controllerEnv(), "credentials", "revoke", "--journal", issue.out().strip());

    assertThat(revoke.status()).as(revoke.err()).isZero();
    apis.vault().verify(1, postRequestedFor(urlEqualTo("/v1/auth/token/revoke-accessor"))
        .withRequestBody(equalToJson("{\"accessor\":\"" + CHILD_ACCESSOR + "\"}")));
  }

  /** The controller's environment: Vault's address and its AppRole login. */
  private Map<String, String> controllerEnv() {
    return apis.vaultAppRoleEnv(work.resolve("controller-home"));
  }
}
