package dev.taskbound.core.e2e;

import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.deleteRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static dev.taskbound.core.broker.github.GithubStubs.TOKEN;
import static dev.taskbound.core.broker.vault.VaultStubs.CHILD_ACCESSOR;
import static dev.taskbound.core.broker.vault.VaultStubs.CHILD_TOKEN;
import static dev.taskbound.core.broker.vault.VaultStubs.LOGIN_ACCESSOR;
import static dev.taskbound.core.broker.vault.VaultStubs.SECRET_ID;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import dev.taskbound.core.broker.TestKeys;
import dev.taskbound.core.broker.github.GithubStubs;
import dev.taskbound.core.broker.vault.VaultStubs;
import dev.taskbound.core.session.CredentialIssue;
import dev.taskbound.core.testing.CliProcess;
import dev.taskbound.core.testing.FileGrep;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13: the controller's {@code credentials issue} killed in the middle (a controller crash, or
 * the Jenkins plugin stopping a core that outlived its timeout), through {@code bin/taskbound}. The
 * GitHub token and the Vault child token exist, the dynamic secret's read hangs; the process gets
 * SIGKILL. What its journal holds is then revoked by a new {@code credentials revoke} (the plugin's
 * backstop) with the journal key: the GitHub token with the exact {@code DELETE /installation/token}
 * it authenticates, the child token and the issue's login by accessor; the lease it never got is
 * nothing to revoke. GitHub and Vault are loopback WireMock stand-ins.
 */
@Timeout(240)
class KilledIssuerRevocationIT {
  private static final Duration WAIT = Duration.ofSeconds(120);
  private static final KeyPair APP_KEY = TestKeys.rsa();
  private static final String JOURNAL_KEY = Base64.getEncoder().encodeToString(new byte[] {
      1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32});

  @TempDir Path work;
  @RegisterExtension final CredentialApis apis = new CredentialApis();

  @Test
  void anIssueKilledMidwayLeavesASealedJournalThatTheBackstopRevokesCompletely() throws Exception {
    WireMockServer github = apis.github();
    WireMockServer vault = apis.vault();
    GithubStubs.stubApp(github);
    VaultStubs.stubAll(vault);
    vault.stubFor(get(urlEqualTo("/v1/database/creds/readonly")).atPriority(1)
        .willReturn(VaultStubs.json(200, "{}").withFixedDelay(60_000))); // the issue hangs here until it is killed
    Path policy = apis.writeTask(work.resolve("task.yml"), String.join("\n",
        "  vault:",
        "    policies: [app-read]",
        "    ttl: 5m",
        "    secrets:",
        "      - {name: db, kind: dynamic, path: database/creds/readonly, field: password, file: db.txt}",
        ""));
    Path journal = Files.createDirectories(work.resolve("controller")).resolve("issued");

    try (CliProcess issue = CliProcess.startLauncher(work, controllerEnv(github, vault), "credentials", "issue", "--task",
        "IT-13", "--policy", policy.toString(), "--handoff", "-", "--journal", journal.toString())) {
      awaitSecretRead(vault, issue);
      issue.process().descendants().forEach(ProcessHandle::destroyForcibly);
      issue.process().destroyForcibly();
      issue.process().waitFor();
      assertThat(issue.stdout()).as("nothing was handed off").isEmpty();
    }

    assertThat(journal.resolve(CredentialIssue.FILE)).exists();
    assertThat(FileGrep.filesContaining(TOKEN, work)).as("the journal holds the GitHub token sealed only").isEmpty();
    assertThat(FileGrep.filesContaining(CHILD_TOKEN, work)).isEmpty();

    Map<String, String> backstop = new LinkedHashMap<>(controllerEnv(github, vault));
    backstop.remove("TASKBOUND_GITHUB_APP_KEY");
    backstop.remove("TASKBOUND_GITHUB_APP_ID");
    try (CliProcess revoke = CliProcess.startLauncher(work, backstop, "credentials", "revoke", "--journal",
        journal.toString())) {
      assertThat(revoke.waitFor(WAIT)).as(revoke.stderr()).isZero();
      assertThat(revoke.stderr()).doesNotContain(TOKEN).doesNotContain(JOURNAL_KEY);
    }

    github.verify(1, deleteRequestedFor(urlEqualTo("/installation/token"))
        .withHeader("Authorization", equalTo("token " + TOKEN)));
    github.verify(1, deleteRequestedFor(anyUrl()));
    vault.verify(1, postRequestedFor(urlEqualTo("/v1/auth/token/revoke-accessor"))
        .withRequestBody(equalToJson("{\"accessor\":\"" + CHILD_ACCESSOR + "\"}")));
    vault.verify(1, postRequestedFor(urlEqualTo("/v1/auth/token/revoke-accessor"))
        .withRequestBody(equalToJson("{\"accessor\":\"" + LOGIN_ACCESSOR + "\"}")));
    vault.verify(0, postRequestedFor(urlEqualTo("/v1/sys/leases/revoke")));
    assertThat(journal).as("everything revoked: the journal is removed").doesNotExist();
  }

  /** Waits (bounded) until the issue is inside the hanging read: the GitHub token and the child token exist. */
  private static void awaitSecretRead(WireMockServer vault, CliProcess issue) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (vault.findAll(getRequestedFor(urlEqualTo("/v1/database/creds/readonly"))).isEmpty()) {
      if (!issue.process().isAlive() || System.nanoTime() > deadline) {
        throw new AssertionError("the issue never reached the secret read; stderr=" + issue.stderr());
      }
      Thread.sleep(20); // polling a condition, bounded by WAIT
    }
  }

  private Map<String, String> controllerEnv(WireMockServer github, WireMockServer vault) {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("TASKBOUND_HOME", work.resolve("controller-home").toString());
    env.put("TASKBOUND_GITHUB_APP_ID", GithubStubs.APP_ID);
    env.put("TASKBOUND_GITHUB_APP_KEY", TestKeys.pkcs1Pem(APP_KEY));
    env.put("TASKBOUND_GITHUB_API_URL", github.baseUrl());
    env.put("TASKBOUND_VAULT_ADDR", vault.baseUrl());
    env.put("TASKBOUND_VAULT_AUTH", "approle");
    env.put("TASKBOUND_VAULT_ROLE_ID", "role-0001");
    env.put("TASKBOUND_VAULT_SECRET_ID", SECRET_ID);
    env.put("TASKBOUND_JOURNAL_KEY", JOURNAL_KEY);
    return env;
  }
}
