package dev.taskbound.core.e2e;

import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static dev.taskbound.core.broker.vault.VaultStubs.CHILD_ACCESSOR;
import static dev.taskbound.core.e2e.CredentialApis.DYNAMIC_DB_SECRET;
import static dev.taskbound.core.e2e.CredentialApis.taskbound;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import dev.taskbound.core.ExitCodes;
import dev.taskbound.core.broker.vault.VaultStubs;
import dev.taskbound.core.e2e.CredentialApis.Result;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13: a Vault failure in the middle of a controller's {@code credentials issue}. The Vault
 * broker's own rollback revokes the child token and its login; the issue's journal must then say so,
 * so the issue's cleanup does not revoke them a second time with a login that no longer exists (real
 * Vault answers that with 403 and the journal would stay behind).
 */
@Timeout(120)
class IssueRollbackJournalTest {
  @TempDir Path work;
  @RegisterExtension final CredentialApis apis = new CredentialApis();

  @Test
  void aVaultFailureMidIssueRevokesTheChildTokenAndTheLoginExactlyOnceAndLeavesNoJournal() throws Exception {
    WireMockServer vault = vaultFailingTheDynamicSecret();
    Path policy = apis.writeVaultTask(work.resolve("task.yml"), DYNAMIC_DB_SECRET);
    Path journal = work.resolve("issued");

    Result issue = taskbound(controllerEnv(), "credentials", "issue", "--task", "IT-13", "--policy", policy.toString(),
        "--handoff", "-", "--journal", journal.toString());

    assertThat(issue.status()).as(issue.err()).isEqualTo(ExitCodes.CREDENTIALS);
    assertThat(issue.out()).isEmpty();
    assertThat(issue.err()).contains("vault: read secret db at database/creds/readonly failed: HTTP 403")
        .doesNotContain("retry with");
    assertThat(apis.vaultRequests()).as("each revoked once, by the broker's rollback").containsExactlyElementsOf(REQUESTS);
    vault.verify(1, postRequestedFor(urlEqualTo("/v1/auth/token/revoke-accessor"))
        .withRequestBody(equalToJson("{\"accessor\":\"" + CHILD_ACCESSOR + "\"}")));
    assertThat(journal).as("nothing left to revoke: the journal is gone").doesNotExist();
  }

  /**
   * The same failure in a {@code run}'s open: the broker's rollback revokes the child token and the
   * login, and the session's journal must say so too, or the open's teardown replays both with the
   * revoked login (real Vault: 403, so exit 123 instead of 122 and the journal left behind).
   */
  @Test
  void aVaultFailureInARunsOpenRevokesTheChildTokenAndTheLoginExactlyOnce() throws Exception {
    vaultFailingTheDynamicSecret();
    Path policy = apis.writeVaultTask(work.resolve("task.yml"), DYNAMIC_DB_SECRET);

    Result run = taskbound(controllerEnv(), "run", "--task", "IT-13", "--policy", policy.toString(), "--out",
        work.resolve("out").toString(), "--", "true");

    assertThat(run.status()).as(run.err()).isEqualTo(ExitCodes.CREDENTIALS);
    assertThat(run.err()).contains("vault: read secret db at database/creds/readonly failed: HTTP 403")
        .doesNotContain("failed:  ").doesNotContain("teardown failed");
    assertThat(apis.vaultRequests()).as("each revoked once, by the broker's rollback").containsExactlyElementsOf(REQUESTS);
  }

  /** Login, child token, the secret's read (refused), then the rollback's two revocations. */
  private static final List<String> REQUESTS = List.of(
      "POST /v1/auth/approle/login no-token",
      "POST /v1/auth/token/create login-token",
      "GET /v1/database/creds/readonly child-token",
      "POST /v1/auth/token/revoke-accessor login-token",
      "POST /v1/auth/token/revoke-self login-token");

  /** The Vault stand-in, refusing the dynamic secret's read after a good login and child token. */
  private WireMockServer vaultFailingTheDynamicSecret() {
    WireMockServer vault = apis.vault();
    VaultStubs.stubAll(vault);
    vault.stubFor(get(urlEqualTo("/v1/database/creds/readonly")).atPriority(1)
        .willReturn(VaultStubs.json(403, VaultStubs.errors("1 error occurred:\n\t* permission denied\n\n"))));
    return vault;
  }

  private Map<String, String> controllerEnv() {
    return apis.vaultAppRoleEnv(work.resolve("controller-home"));
  }
}
