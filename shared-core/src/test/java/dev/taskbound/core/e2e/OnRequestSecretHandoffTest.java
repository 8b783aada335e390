package dev.taskbound.core.e2e;

import static dev.taskbound.core.broker.vault.VaultStubs.KV2_VALUE;
import static dev.taskbound.core.e2e.CredentialApis.taskbound;
import static org.assertj.core.api.Assertions.assertThat;

import dev.taskbound.core.broker.vault.VaultStubs;
import dev.taskbound.core.e2e.CredentialApis.Result;
import dev.taskbound.core.identity.TaskId;
import dev.taskbound.core.session.Session;
import dev.taskbound.core.session.SessionSpec;
import dev.taskbound.core.testing.FileGrep;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A secret the policy serves {@code access: on-request}, issued on the controller ({@code credentials
 * issue}) and served by the agent host's session ({@code session start --credentials-handoff}) exactly
 * as a single-host run serves it: in memory, to the agent API's on-request read, never as a file.
 * Vault is a loopback WireMock stand-in; every request is asserted with the token that made it.
 */
@Timeout(120)
class OnRequestSecretHandoffTest {
  @TempDir Path work;
  @RegisterExtension final CredentialApis apis = new CredentialApis();

  @Test
  void anOnRequestSecretTravelsInTheHandoffAndIsServedOnTheAgentHostFromMemoryOnly() throws Exception {
    VaultStubs.stubAll(apis.vault());
    Path policy = apis.writeVaultTask(work.resolve("task.yml"),
        "{name: signing, kind: kv2, path: kv/app/db, field: password, access: on-request}");
    Path handoff = work.resolve("handoff.json");

    Result issue = taskbound(controllerEnv(), "credentials", "issue", "--task", "T-41", "--policy", policy.toString(),
        "--handoff", handoff.toString());

    assertThat(issue.status()).as(issue.err()).isZero();
    assertThat(apis.vaultRequests()).containsExactly(
        "POST /v1/auth/approle/login no-token",
        "POST /v1/auth/token/create login-token",
        "GET /v1/kv/data/app/db child-token");
    Path runtime = Files.createDirectories(work.resolve("agent-rt"));
    SessionSpec agent = SessionSpec.builder(TaskId.parse("T-41"), List.of("true"))
        .policyFile(policy)
        .sessionRoot(work.resolve("agent-sessions"))
        .runtimeRoot(runtime)
        .outDir(work.resolve("agent-out"))
        .credentialHandoff(handoff)
        .build();
    try (Session session = Session.open(agent)) {
      assertThat(handoff).doesNotExist();
      assertThat(session.onRequestSecretNames()).containsExactly("signing");
      assertThat(session.onRequestSecret("signing").reveal()).isEqualTo(KV2_VALUE);
      assertThat(FileGrep.filesContaining(KV2_VALUE, runtime)).as("no file of the agent's runtime holds it").isEmpty();
    }
    assertThat(apis.vaultRequests()).as("the agent host asks Vault nothing").hasSize(3);

    Result revoke = taskbound(controllerEnv(), "credentials", "revoke", "--journal", issue.out().strip());

    assertThat(revoke.status()).as(revoke.err()).isZero();
    assertThat(apis.vaultRequests().subList(3, apis.vaultRequests().size())).containsExactly(
        "POST /v1/auth/approle/login no-token",
        "POST /v1/auth/token/revoke-accessor login-token",
        "POST /v1/auth/token/revoke-self login-token",
        "POST /v1/auth/approle/login no-token",
        "POST /v1/auth/token/revoke-accessor login-token",
        "POST /v1/auth/token/revoke-self login-token");
  }

  /** The controller: Vault's address and its AppRole login, in its process environment only. */
  private Map<String, String> controllerEnv() {
    return apis.vaultAppRoleEnv(work.resolve("controller-home"));
  }
}
