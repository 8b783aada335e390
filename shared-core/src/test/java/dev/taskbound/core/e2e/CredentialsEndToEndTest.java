package dev.taskbound.core.e2e;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.delete;
import static com.github.tomakehurst.wiremock.client.WireMock.deleteRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static dev.taskbound.core.broker.vault.VaultStubs.CHILD_ACCESSOR;
import static dev.taskbound.core.broker.vault.VaultStubs.CHILD_TOKEN;
import static dev.taskbound.core.broker.vault.VaultStubs.DYNAMIC_PASSWORD;
import static dev.taskbound.core.broker.vault.VaultStubs.KV1_VALUE;
import static dev.taskbound.core.broker.vault.VaultStubs.KV2_VALUE;
import static dev.taskbound.core.broker.vault.VaultStubs.LEASE_ID;
import static dev.taskbound.core.broker.vault.VaultStubs.LOGIN_ACCESSOR;
import static dev.taskbound.core.broker.vault.VaultStubs.LOGIN_TOKEN;
import static dev.taskbound.core.broker.vault.VaultStubs.SECRET_ID;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import dev.taskbound.core.broker.Secret;
import dev.taskbound.core.broker.TestKeys;
import dev.taskbound.core.broker.github.GithubStubs;
import dev.taskbound.core.broker.vault.VaultStubs;
import dev.taskbound.core.evidence.BundleVerifier;
import dev.taskbound.core.evidence.VerificationResult;
import dev.taskbound.core.testing.CliProcess;
import dev.taskbound.core.testing.FileGrep;
import dev.taskbound.core.testing.ProcessScan;
import dev.taskbound.core.testing.RunArtifacts;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 4 end to end: a real {@code taskbound run} (child JVM, netns sandbox, gateway) issues a
 * GitHub App token and Vault credentials from loopback WireMock stubs shaped after the documented
 * payloads, the agent uses them, and teardown revokes each exactly once.
 */
@Timeout(180)
class CredentialsEndToEndTest {
  private static final Duration WAIT = Duration.ofSeconds(90);
  static final String GH_TOKEN = GithubStubs.TOKEN;
  private static final String PEM = TestKeys.pkcs1Pem(TestKeys.rsa());

  @TempDir Path work;
  @RegisterExtension final CredentialApis apis = new CredentialApis();
  private WireMockServer github;
  private WireMockServer vault;
  private Path home;
  private Path runtime;
  private Path out;
  private final String marker = "tb-e2e-" + UUID.randomUUID();

  @BeforeEach
  void startStubs() throws IOException {
    github = apis.github();
    vault = apis.vault();
    GithubStubs.stubApp(github);
    VaultStubs.stubAll(vault);
    home = Files.createDirectories(work.resolve("home"));
    runtime = Files.createDirectories(work.resolve("rt"));
    out = work.resolve("evidence");
  }

  @Test
  void agentUsesTheTokenAndVaultSecretsAndTeardownRevokesEachExactlyOnce() throws Exception {
    Path policy = policy(true);

    try (CliProcess run = taskbound(hostEnv(true), "run", "--task", "T-41", "--policy", policy.toString(),
        "--out", out.toString(), "--", "sh", "-c", agentScript())) {
      int status = run.waitFor(WAIT);

      assertThat(status).as(run.stderr()).isZero();
      assertThat(run.stdout())
          .contains("\"full_name\":\"acme/app\"")
          .contains("token=***")
          .contains("api-key-sha=" + sha256(KV1_VALUE))
          .contains("db-sha=" + sha256(DYNAMIC_PASSWORD))
          .contains("db-mode=600")
          .contains("username=x-access-token")
          .contains("password=***")
          .contains("signing=absent");
      assertThat(run.stderr()).contains("teardown revoke-github-token").contains("teardown ok");
      for (String secret : issuedSecrets()) {
        assertThat(run.stdout()).as(secret).doesNotContain(secret);
        assertThat(run.stderr()).as(secret).doesNotContain(secret);
      }
    }

    github.verify(1, getRequestedFor(urlEqualTo("/installation/repositories"))
        .withHeader("Authorization", equalTo("token " + GH_TOKEN)));
    github.verify(1, postRequestedFor(urlEqualTo("/app/installations/42/access_tokens"))
        .withRequestBody(equalToJson("{\"repositories\":[\"app\"],\"permissions\":{\"contents\":\"read\"}}")));
    github.verify(1, deleteRequestedFor(urlEqualTo("/installation/token"))
        .withHeader("Authorization", equalTo("token " + GH_TOKEN)));
    vault.verify(1, postRequestedFor(urlEqualTo("/v1/auth/token/revoke-accessor"))
        .withRequestBody(equalToJson("{\"accessor\":\"" + CHILD_ACCESSOR + "\"}")));
    vault.verify(1, anyRequestedFor(urlEqualTo("/v1/sys/leases/revoke"))
        .withRequestBody(equalToJson("{\"lease_id\":\"" + LEASE_ID + "\"}")));
    vault.verify(1, postRequestedFor(urlEqualTo("/v1/auth/token/revoke-self"))
        .withHeader("X-Vault-Token", equalTo(LOGIN_TOKEN)));
    String events = RunArtifacts.bundleText(out, "events.jsonl");
    assertThat(events)
        .contains("\"credential.issued\"")
        .contains(Secret.of(GH_TOKEN).fingerprint())
        .contains(Secret.of(KV2_VALUE).fingerprint())
        .contains("\"on_request\":[\"signing\"]");
    VerificationResult verified = BundleVerifier.verify(RunArtifacts.onlyBundle(out));
    assertThat(verified.valid()).as(verified.message()).isTrue();
    assertNoSecretLeftUnder(work);
  }

  @Test
  void aVaultRefusalFailsBeforeTheAgentRunsAndRevokesTheMintedGithubToken() throws Exception {
    vault.stubFor(post(urlEqualTo("/v1/auth/token/create"))
        .willReturn(VaultStubs.json(403, VaultStubs.errors("1 error occurred:\n\t* permission denied\n\n"))));
    Path ran = work.resolve("agent-ran");

    try (CliProcess run = taskbound(hostEnv(true), "run", "--task", "T-42", "--policy", policy(true).toString(),
        "--out", out.toString(), "--", "sh", "-c", "touch " + ran)) {
      int status = run.waitFor(WAIT);

      assertThat(status).as(run.stderr()).isEqualTo(122);
      assertThat(run.stderr()).contains("vault: create child token").contains("HTTP 403: 1 error occurred: * permission denied");
    }

    assertThat(ran).doesNotExist();
    github.verify(1, deleteRequestedFor(urlEqualTo("/installation/token"))
        .withHeader("Authorization", equalTo("token " + GH_TOKEN)));
    assertThat(RunArtifacts.sessionDirectories(home)).isEmpty();
    assertNoSecretLeftUnder(work);
  }

  @Test
  void aFailedRevocationFailsTheRunNamesTheFingerprintAndTeardownSessionRetriesIt() throws Exception {
    github.stubFor(delete(urlEqualTo("/installation/token")).willReturn(aResponse().withStatus(500)
        .withHeader("Content-Type", "application/json").withBody("{\"message\":\"Server Error\"}")));
    Path stateDir;
    try (CliProcess run = taskbound(hostEnv(false), "run", "--task", "T-43", "--policy", policy(false).toString(),
        "--out", out.toString(), "--", "true")) {
      stateDir = RunArtifacts.stateDir(run, WAIT);

      int status = run.waitFor(WAIT);

      assertThat(status).as(run.stderr()).isEqualTo(123);
    }
    String fingerprint = Secret.of(GH_TOKEN).fingerprint();
    String report = teardownReport();
    assertThat(report).contains("revoke-github-token").contains(fingerprint).contains("HTTP 500")
        .contains("taskbound teardown --session " + stateDir);
    try (Stream<Path> files = Files.list(out)) {
      Path summary = files.filter(p -> p.toString().endsWith(".summary.md")).findFirst().orElseThrow();
      assertThat(Files.readString(summary)).contains("revoke-github-token").contains(fingerprint);
    }
    int failedDeletes = github.findAll(deleteRequestedFor(urlEqualTo("/installation/token"))).size();

    github.stubFor(delete(urlEqualTo("/installation/token")).willReturn(aResponse().withStatus(204)));
    try (CliProcess retry = taskbound(hostEnv(false), "teardown", "--session", stateDir.toString())) {
      assertThat(retry.waitFor(WAIT)).as(retry.stderr()).isZero();
    }

    github.verify(failedDeletes + 1, deleteRequestedFor(urlEqualTo("/installation/token")));
    assertThat(teardownReport()).contains("\"ok\" : true");
    assertThat(stateDir).doesNotExist();
    assertNoSecretLeftUnder(work);
  }

  @Test
  void sigkillMidRunThenTeardownSessionRevokesEverything() throws Exception {
    Path stateDir;
    try (CliProcess run = taskbound(hostEnv(true), "run", "--task", "T-44", "--policy", policy(true).toString(),
        "--out", out.toString(), "--", "sh", "-c", "sleep 600 & echo agent-ready; wait", marker)) {
      stateDir = RunArtifacts.stateDir(run, WAIT);
      run.awaitLine(l -> l.equals("agent-ready"), WAIT);
      run.process().destroyForcibly();
      run.waitFor(WAIT);
    }
    github.verify(0, deleteRequestedFor(urlEqualTo("/installation/token")));

    try (CliProcess teardown = taskbound(hostEnv(true), "teardown", "--session", stateDir.toString())) {
      assertThat(teardown.waitFor(WAIT)).as(teardown.stderr()).isZero();
    }

    github.verify(1, deleteRequestedFor(urlEqualTo("/installation/token")));
    vault.verify(1, anyRequestedFor(urlEqualTo("/v1/sys/leases/revoke"))
        .withRequestBody(equalToJson("{\"lease_id\":\"" + LEASE_ID + "\"}")));
    vault.verify(1, postRequestedFor(urlEqualTo("/v1/auth/token/revoke-accessor"))
        .withRequestBody(equalToJson("{\"accessor\":\"" + CHILD_ACCESSOR + "\"}")));
    vault.verify(1, postRequestedFor(urlEqualTo("/v1/auth/token/revoke-accessor"))
        .withRequestBody(equalToJson("{\"accessor\":\"" + LOGIN_ACCESSOR + "\"}")));
    assertThat(ProcessScan.withArgument(marker)).isEmpty();
    assertThat(stateDir).doesNotExist();
    assertNoSecretLeftUnder(work);
  }

  @Test
  void aPolicyAskingForGithubWithoutAnAppFailsBeforeAnythingIsCreated() throws Exception {
    try (CliProcess run = taskbound(Map.of(), "run", "--task", "T-45", "--policy", policy(false).toString(),
        "--out", out.toString(), "--", "true")) {
      int status = run.waitFor(WAIT);

      assertThat(status).isEqualTo(122);
      assertThat(run.stderr()).contains("no GitHub App is configured").contains("TASKBOUND_GITHUB_APP_ID");
    }
    assertThat(RunArtifacts.sessionDirectories(home)).isEmpty();
    assertThat(out).doesNotExist();
    github.verify(0, anyRequestedFor(com.github.tomakehurst.wiremock.client.WireMock.anyUrl()));
  }

  @Test
  void agentFetchesAnOnRequestSecretAndRefreshesItsTokenThroughTheGatewayAndEachTokenIsRevokedOnce() throws Exception {
    String refreshed = GithubStubs.REFRESHED_TOKEN;
    GithubStubs.stubRefresh(github);
    Map<String, String> env = hostEnv(true);
    // The agent runs the same CLI inside the sandbox: `taskbound secret get` and `token refresh`.
    // the class path on the command line: host variables such as CLASSPATH do not reach the agent
    String agent = String.join("\n",
        "tb() { java -cp '" + System.getProperty("java.class.path") + "' dev.taskbound.core.cli.Main \"$@\" 2>/dev/null; }",
        "v=$(tb secret get signing) || exit 11",
        "printf 'signing-sha=%s\\n' \"$(printf %s \"$v\" | sha256sum | cut -c1-64)\"",
        "n=$(tb token refresh) || exit 12",
        "[ \"$n\" != \"$GH_TOKEN\" ] && echo refreshed=new",
        "curl -sS --max-time 10 -H \"Authorization: token $n\" http://api.github.test:" + github.port()
            + "/installation/repositories; echo",
        // the fresh token where the gateway records what it denies: the evidence must not keep it
        "curl -sS --max-time 10 -o /dev/null \"http://$n.blocked.test/\" 2>/dev/null; echo \"denied-status=$?\"",
        "tb secret get nope; echo \"unknown-status=$?\"",
        "");

    try (CliProcess run = taskbound(env, "run", "--task", "T-45", "--policy", policy(true).toString(),
        "--out", out.toString(), "--", "sh", "-c", agent)) {
      int status = run.waitFor(WAIT);

      assertThat(status).as(run.stdout() + run.stderr()).isZero();
      assertThat(run.stdout())
          .contains("signing-sha=" + sha256(KV2_VALUE))
          .contains("refreshed=new")
          .contains("\"full_name\":\"acme/app\"")
          .contains("unknown-status=122")
          .doesNotContain(refreshed);
    }

    github.verify(2, postRequestedFor(urlEqualTo("/app/installations/42/access_tokens")));
    github.verify(1, deleteRequestedFor(urlEqualTo("/installation/token"))
        .withHeader("Authorization", equalTo("token " + GH_TOKEN)));
    github.verify(1, deleteRequestedFor(urlEqualTo("/installation/token"))
        .withHeader("Authorization", equalTo("token " + refreshed)));
    String events = RunArtifacts.bundleText(out, "events.jsonl");
    assertThat(events)
        .contains("\"secret.accessed\"").contains(Secret.of(KV2_VALUE).fingerprint())
        .contains("\"credential.refreshed\"").contains(Secret.of(refreshed).fingerprint())
        .contains("\"secret.denied\"")
        .contains("\"host\":\"taskbound.internal\"")
        .contains(".blocked.test")
        .doesNotContain(refreshed).doesNotContain(refreshed.toLowerCase(java.util.Locale.ROOT));
    assertThat(FileGrep.filesContaining(refreshed, work)).isEmpty();
    assertNoSecretLeftUnder(work);
  }


  /**
   * A refresh still minting when the agent exits (its client killed with the sandbox) must not
   * outlive the run: the teardown waits for it, so the token it mints is journalled and revoked,
   * and it refuses any refresh asked later.
   */
  @Test
  void aTokenMintedWhileTheTeardownBeginsIsRevokedByIt() throws Exception {
    String refreshed = GithubStubs.REFRESHED_TOKEN;
    GithubStubs.stubRefresh(github);
    // the second mint answers late, so it is still under way when the agent has gone
    github.stubFor(post(urlEqualTo(GithubStubs.ACCESS_TOKENS_PATH)).atPriority(1)
        .inScenario("refresh").whenScenarioStateIs("refreshed")
        .willReturn(GithubStubs.tokenResponse(refreshed).withFixedDelay(3_000)));
    String admin = "http://api.github.test:" + github.port() + "/__admin/requests/count";
    String agent = String.join("\n",
        "tb() { java -cp '" + System.getProperty("java.class.path") + "' dev.taskbound.core.cli.Main \"$@\" 2>/dev/null; }",
        "tb token refresh >/dev/null &",
        // the agent leaves once GitHub has the second mint request (bounded: 300 polls)
        "i=0; while [ $i -lt 300 ]; do",
        "  curl -sS --max-time 5 -X POST -d '{\"method\":\"POST\",\"url\":\"" + GithubStubs.ACCESS_TOKENS_PATH + "\"}' "
            + admin + " | grep -Eq '\"count\" *: *2' && { echo mint-under-way; exit 0; }",
        "  i=$((i+1)); sleep 0.1",
        "done; exit 13",
        "");

    try (CliProcess run = taskbound(hostEnv(false), "run", "--task", "T-46", "--policy", policy(false).toString(),
        "--out", out.toString(), "--", "sh", "-c", agent)) {
      int status = run.waitFor(WAIT);

      assertThat(status).as(run.stdout() + run.stderr()).isZero();
      assertThat(run.stdout()).contains("mint-under-way");
    }

    github.verify(2, postRequestedFor(urlEqualTo(GithubStubs.ACCESS_TOKENS_PATH)));
    github.verify(1, deleteRequestedFor(urlEqualTo("/installation/token"))
        .withHeader("Authorization", equalTo("token " + refreshed)));
    assertThat(RunArtifacts.bundleText(out, "teardown.json")).doesNotContain("\"failed\"");
  }

  private String agentScript() {
    return String.join("\n",
        "export GIT_TERMINAL_PROMPT=0",
        "curl -sS --max-time 10 -H \"Authorization: token $GH_TOKEN\" http://api.github.test:" + github.port()
            + "/installation/repositories; echo",
        "echo \"token=$GH_TOKEN\"",
        "printf 'api-key-sha=%s\\n' \"$(printf %s \"$API_KEY\" | sha256sum | cut -c1-64)\"",
        "printf 'db-sha=%s\\n' \"$(sha256sum < \"$TASKBOUND_CREDENTIALS_DIR/db.txt\" | cut -c1-64)\"",
        "stat -c 'db-mode=%a' \"$TASKBOUND_CREDENTIALS_DIR/db.txt\"",
        "printf 'protocol=https\\nhost=localhost\\n\\n' | git credential fill",
        // The on-request secret is in no variable (grep for a prefix: the command line is evidence).
        "env | grep -q SENTINEL-kv2 && echo signing=present || echo signing=absent",
        "");
  }


  private Map<String, String> hostEnv(boolean withVault) {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("TASKBOUND_HOME", home.toString());
    env.put("TASKBOUND_RUNTIME_DIR", runtime.toString());
    env.put("TASKBOUND_GITHUB_APP_ID", "12345");
    env.put("TASKBOUND_GITHUB_APP_KEY", PEM);
    env.put("TASKBOUND_GITHUB_API_URL", github.baseUrl());
    if (withVault) {
      env.put("TASKBOUND_VAULT_ADDR", vault.baseUrl());
      env.put("TASKBOUND_VAULT_AUTH", "approle");
      env.put("TASKBOUND_VAULT_ROLE_ID", "role-0001");
      env.put("TASKBOUND_VAULT_SECRET_ID", SECRET_ID);
    }
    return env;
  }

  private Path policy(boolean withVault) throws IOException {
    String vaultSpec = !withVault ? "" : String.join("\n",
        "  vault:",
        "    policies: [app-read]",
        "    ttl: 5m",
        "    numUses: 10",
        "    secrets:",
        "      - {name: api-key, kind: kv1, path: secret/app/config, field: api_key, env: API_KEY}",
        "      - {name: db, kind: dynamic, path: database/creds/readonly, field: password, file: db.txt}",
        "      - {name: signing, kind: kv2, path: kv/app/db, field: password, access: on-request}",
        "");
    return apis.writeTask(work.resolve(withVault ? "task-vault.yml" : "task.yml"), vaultSpec);
  }

  private CliProcess taskbound(Map<String, String> env, String... args) throws IOException {
    Map<String, String> all = new LinkedHashMap<>(env);
    all.putIfAbsent("TASKBOUND_HOME", home.toString());
    all.putIfAbsent("TASKBOUND_RUNTIME_DIR", runtime.toString());
    return CliProcess.start(work, all, args);
  }

  /** Invariant 1: no issued value in any file left under the test's directories. */
  private void assertNoSecretLeftUnder(Path root) throws IOException {
    for (String secret : issuedSecrets()) {
      assertThat(FileGrep.filesContaining(secret, root)).as(secret).isEmpty();
    }
  }

  private static List<String> issuedSecrets() {
    return List.of(GH_TOKEN, LOGIN_TOKEN, CHILD_TOKEN, SECRET_ID, KV1_VALUE, KV2_VALUE, DYNAMIC_PASSWORD);
  }

  private String teardownReport() throws IOException {
    try (Stream<Path> s = Files.list(out)) {
      return Files.readString(s.filter(p -> p.toString().endsWith(".teardown.json")).findFirst().orElseThrow());
    }
  }

  private static String sha256(String value) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8)));
  }
}
