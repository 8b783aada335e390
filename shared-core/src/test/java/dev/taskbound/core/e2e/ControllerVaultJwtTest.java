package dev.taskbound.core.e2e;

import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static dev.taskbound.core.broker.vault.VaultStubs.CHILD_ACCESSOR;
import static dev.taskbound.core.broker.vault.VaultStubs.CHILD_TOKEN;
import static dev.taskbound.core.broker.vault.VaultStubs.DYNAMIC_PASSWORD;
import static dev.taskbound.core.broker.vault.VaultStubs.JWT;
import static dev.taskbound.core.broker.vault.VaultStubs.LEASE_ID;
import static dev.taskbound.core.broker.vault.VaultStubs.LOGIN_TOKEN;
import static dev.taskbound.core.e2e.CredentialApis.DYNAMIC_DB_SECRET;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import dev.taskbound.core.broker.vault.VaultStubs;
import dev.taskbound.core.e2e.CredentialApis.Result;
import dev.taskbound.core.testing.FileGrep;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13: Vault JWT login done by the controller. A CI controller that holds a JWT for Vault (a
 * Jenkins secret text, or an id token minted per use) runs {@code credentials issue} with the JWT in
 * its process environment only ({@code TASKBOUND_VAULT_JWT}, no file): it logs in with the JWT, issues
 * the task's child token and secrets, and {@code credentials revoke} logs in again with it to revoke
 * them, so the node gets only the child token and secrets, never the JWT or a login token. Vault is a
 * loopback WireMock stand-in; every request is asserted with the credential that made it.
 */
@Timeout(120)
class ControllerVaultJwtTest {
  @TempDir Path work;
  @RegisterExtension final CredentialApis apis = new CredentialApis();
  private WireMockServer vault;

  @BeforeEach
  void stubVault() {
    vault = apis.vault();
    VaultStubs.stubAll(vault);
  }

  @Test
  void theControllerLogsInWithTheJwtFromItsEnvironmentIssuesAndRevokesWithoutAnyFileOfIt() throws Exception {
    Path policy = apis.writeVaultTask(work.resolve("task.yml"), DYNAMIC_DB_SECRET);
    Path handoff = work.resolve("handoff.json");

    Result issue = taskbound("credentials", "issue", "--task", "IT-66", "--policy", policy.toString(), "--handoff",
        handoff.toString());

    assertThat(issue.status()).as(issue.err()).isZero();
    assertThat(vaultRequests()).containsExactly(
        "POST /v1/auth/jwt/login no-token",
        "POST /v1/auth/token/create login-token",
        "GET /v1/database/creds/readonly child-token");
    vault.verify(1, postRequestedFor(urlEqualTo("/v1/auth/jwt/login"))
        .withRequestBody(equalToJson("{\"role\":\"jenkins-controller\",\"jwt\":\"" + JWT + "\"}")));
    String handed = Files.readString(handoff);
    assertThat(handed).contains(DYNAMIC_PASSWORD).doesNotContain(CHILD_TOKEN).doesNotContain(JWT)
        .doesNotContain(LOGIN_TOKEN);
    assertThat(issue.err()).doesNotContain(JWT).doesNotContain(CHILD_TOKEN).doesNotContain(LOGIN_TOKEN);

    Files.delete(handoff);
    Result revoke = taskbound("credentials", "revoke", "--journal", issue.out().strip());

    assertThat(revoke.status()).as(revoke.err()).isZero();
    List<String> after = vaultRequests();
    assertThat(after.subList(3, after.size())).containsExactly(
        "POST /v1/auth/jwt/login no-token",
        "POST /v1/sys/leases/revoke login-token",
        "POST /v1/auth/token/revoke-self login-token",
        "POST /v1/auth/jwt/login no-token",
        "POST /v1/auth/token/revoke-accessor login-token",
        "POST /v1/auth/token/revoke-self login-token",
        "POST /v1/auth/jwt/login no-token",
        "POST /v1/auth/token/revoke-accessor login-token",
        "POST /v1/auth/token/revoke-self login-token");
    vault.verify(1, postRequestedFor(urlEqualTo("/v1/sys/leases/revoke"))
        .withRequestBody(equalToJson("{\"lease_id\":\"" + LEASE_ID + "\"}")));
    vault.verify(1, postRequestedFor(urlEqualTo("/v1/auth/token/revoke-accessor"))
        .withRequestBody(equalToJson("{\"accessor\":\"" + CHILD_ACCESSOR + "\"}")));
    assertThat(FileGrep.filesContaining(JWT, work)).as("the JWT is in no file").isEmpty();
    assertThat(revoke.err()).doesNotContain(JWT);
  }

  /** The CLI in this JVM, with the controller's environment: Vault's address and the JWT login, nothing on disk. */
  private Result taskbound(String... args) {
    Map<String, String> env = CredentialApis.homeEnv(work.resolve("controller-home"), null);
    env.put("TASKBOUND_VAULT_ADDR", vault.baseUrl());
    env.put("TASKBOUND_VAULT_AUTH", "jwt");
    env.put("TASKBOUND_VAULT_JWT_ROLE", "jenkins-controller");
    env.put("TASKBOUND_VAULT_JWT", JWT);
    return CredentialApis.taskbound(env, args);
  }

  private List<String> vaultRequests() {
    return apis.vaultRequests();
  }
}
