package dev.taskbound.core.e2e;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.delete;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static dev.taskbound.core.broker.github.GithubStubs.ACCESS_TOKENS_PATH;
import static dev.taskbound.core.broker.github.GithubStubs.CREATE_BODY;
import static dev.taskbound.core.broker.github.GithubStubs.REFRESHED_TOKEN;
import static dev.taskbound.core.broker.github.GithubStubs.TOKEN;
import static dev.taskbound.core.broker.vault.VaultStubs.CHILD_ACCESSOR;
import static dev.taskbound.core.broker.vault.VaultStubs.CHILD_TOKEN;
import static dev.taskbound.core.broker.vault.VaultStubs.DYNAMIC_PASSWORD;
import static dev.taskbound.core.broker.vault.VaultStubs.KV2_VALUE;
import static dev.taskbound.core.broker.vault.VaultStubs.LEASE_ID;
import static dev.taskbound.core.broker.vault.VaultStubs.LOGIN_TOKEN;
import static dev.taskbound.core.broker.vault.VaultStubs.SECRET_ID;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import dev.taskbound.core.broker.Secret;
import dev.taskbound.core.broker.TestKeys;
import dev.taskbound.core.broker.github.GithubStubs;
import dev.taskbound.core.broker.vault.VaultStubs;
import dev.taskbound.core.evidence.BundleVerifier;
import dev.taskbound.core.evidence.VerificationResult;
import dev.taskbound.core.testing.CliProcess;
import dev.taskbound.core.testing.FileGrep;
import dev.taskbound.core.testing.RunArtifacts;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 10: the credential paths through what ships. Real sessions of {@code bin/taskbound} with the
 * shaded jar (netns sandbox, gateway), the agent running {@code bin/taskbound} too, against loopback
 * WireMock stubs of GitHub and Vault shaped after the documented payloads; every request each stub
 * received is asserted (method, path, body, credential). The in-process versions, with more faults,
 * are {@link CredentialsEndToEndTest}: these exist because that suite ran {@code target/classes} and
 * stayed green while the shipped jar crashed on every GitHub grant.
 */
@Timeout(240)
class CredentialsLauncherIT {
  private static final Duration WAIT = Duration.ofSeconds(120);
  private static final KeyPair APP_KEY = TestKeys.rsa();

  @TempDir Path work;
  @RegisterExtension final CredentialApis apis = new CredentialApis();
  private WireMockServer github;
  private WireMockServer vault;
  private Path home;
  private Path out;

  @BeforeEach
  void startStubs() throws IOException {
    github = apis.github();
    vault = apis.vault();
    GithubStubs.stubApp(github);
    VaultStubs.stubAll(vault);
    home = Files.createDirectories(work.resolve("home"));
    out = work.resolve("evidence");
  }

  @Test
  void agentUsesTheMintedTokenRefreshesItReadsAnOnRequestSecretAndTeardownRevokesEachCredentialOnce() throws Exception {
    GithubStubs.stubRefresh(github);
    // The agent runs the same launcher from its workspace: the sandbox shows it the jar Taskbound
    // runs from, but not this checkout (which may sit under the host's /tmp, private inside).
    Path launcher = java.nio.file.Files.copy(CliProcess.launcher(), work.resolve("taskbound"));
    java.nio.file.Files.setPosixFilePermissions(launcher, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    String tb = "TASKBOUND_JAR='" + CliProcess.shadedJar() + "' '" + launcher + "'";
    String api = "http://api.github.test:" + github.port() + "/installation/repositories";
    String agent = String.join("\n",
        "curl -sS --max-time 10 -H \"Authorization: token $GH_TOKEN\" " + api + "; echo",
        "v=$(" + tb + " secret get signing) || exit 11",
        "printf 'signing-sha=%s\\n' \"$(printf %s \"$v\" | sha256sum | cut -c1-64)\"",
        "printf 'db-sha=%s\\n' \"$(sha256sum < \"$TASKBOUND_CREDENTIALS_DIR/db.txt\" | cut -c1-64)\"",
        "n=$(" + tb + " token refresh) || exit 12",
        "[ \"$n\" != \"$GH_TOKEN\" ] && echo refreshed=new",
        "curl -sS --max-time 10 -H \"Authorization: token $n\" " + api + "; echo",
        "");

    // With a namespace, vault-java-driver logs "The Namespace ... has been bound" through
    // java.util.logging on every driver it builds; the core keeps that off the run's stderr.
    Map<String, String> env = new LinkedHashMap<>(hostEnv(true));
    env.put("TASKBOUND_VAULT_NAMESPACE", "team-a");
    try (CliProcess run = taskbound(env, "run", "--task", "IT-41", "--policy", policy(true).toString(),
        "--out", out.toString(), "--", "sh", "-c", agent)) {
      int status = run.waitFor(WAIT);

      assertThat(status).as(run.stdout() + "\n" + run.stderr()).isZero();
      assertThat(run.stderr()).doesNotContain("has been bound").doesNotContain("jopenlibs");
      assertThat(run.stdout())
          .contains("signing-sha=" + sha256(KV2_VALUE))
          .contains("db-sha=" + sha256(DYNAMIC_PASSWORD))
          .contains("refreshed=new");
      assertThat(run.stdout().lines().filter(l -> l.contains("\"full_name\":\"acme/app\""))).hasSize(2);
      assertThat(run.stderr()).contains("teardown ok").doesNotContain("Exception");
    }

    // GitHub, in order: as the App (a JWT signed with its key), find the installation and mint; the
    // agent uses the token; the refresh mints again and revokes the token it replaces; the agent uses
    // the new one; teardown revokes it. Each token is revoked once, by itself.
    List<String> mint = List.of(
        "GET /app app-jwt", "GET /repos/acme/app/installation app-jwt", "POST " + ACCESS_TOKENS_PATH + " app-jwt");
    assertThat(githubRequests()).containsExactlyElementsOf(concat(
        mint,
        List.of("GET /installation/repositories token"),
        mint,
        List.of("DELETE /installation/token token",
            "GET /installation/repositories refreshed-token",
            "DELETE /installation/token refreshed-token")));
    github.verify(2, postRequestedFor(urlEqualTo(ACCESS_TOKENS_PATH)).withRequestBody(equalToJson(CREATE_BODY)));
    // Vault, in order: AppRole login, a child token, the reads with the child token (the on-request
    // one when the agent asked), then the lease, the child and the login revoked.
    assertThat(vaultRequests()).containsExactly(
        "POST /v1/auth/approle/login no-token",
        "POST /v1/auth/token/create login-token",
        "GET /v1/database/creds/readonly child-token",
        "GET /v1/kv/data/app/db child-token",
        "POST /v1/sys/leases/revoke login-token",
        "POST /v1/auth/token/revoke-accessor login-token",
        "POST /v1/auth/token/revoke-self login-token");
    vault.verify(1, postRequestedFor(urlEqualTo("/v1/auth/approle/login"))
        .withRequestBody(equalToJson("{\"role_id\":\"role-0001\",\"secret_id\":\"" + SECRET_ID + "\"}")));
    vault.verify(1, postRequestedFor(urlEqualTo("/v1/auth/approle/login"))
        .withHeader("X-Vault-Namespace", com.github.tomakehurst.wiremock.client.WireMock.equalTo("team-a")));
    vault.verify(1, postRequestedFor(urlEqualTo("/v1/auth/token/create")).withRequestBody(equalToJson(
        "{\"policies\":[\"app-read\"],\"ttl\":\"300s\",\"explicit_max_ttl\":\"300s\",\"num_uses\":10,\"renewable\":false,\"display_name\":\"taskbound\"}")));
    vault.verify(1, postRequestedFor(urlEqualTo("/v1/sys/leases/revoke"))
        .withRequestBody(equalToJson("{\"lease_id\":\"" + LEASE_ID + "\"}")));
    vault.verify(1, postRequestedFor(urlEqualTo("/v1/auth/token/revoke-accessor"))
        .withRequestBody(equalToJson("{\"accessor\":\"" + CHILD_ACCESSOR + "\"}")));
    String events = RunArtifacts.bundleText(out, "events.jsonl");
    assertThat(events)
        .contains("\"credential.issued\"").contains(Secret.of(TOKEN).fingerprint())
        .contains("\"credential.refreshed\"").contains(Secret.of(REFRESHED_TOKEN).fingerprint())
        .contains("\"secret.accessed\"").contains(Secret.of(KV2_VALUE).fingerprint());
    VerificationResult verified = BundleVerifier.verify(RunArtifacts.onlyBundle(out));
    assertThat(verified.valid()).as(verified.message()).isTrue();
    assertNoSecretLeftUnder(work);
  }

  @Test
  void aFailedRevocationFailsTheRunAndTeardownSessionThroughTheLauncherRevokesTheTokenOnce() throws Exception {
    github.stubFor(delete(urlEqualTo("/installation/token")).willReturn(aResponse().withStatus(500)
        .withHeader("Content-Type", "application/json").withBody("{\"message\":\"Server Error\"}")));
    Path stateDir;
    try (CliProcess run = taskbound(hostEnv(false), "run", "--task", "IT-43", "--policy", policy(false).toString(),
        "--out", out.toString(), "--", "sh", "-c", "curl -sS --max-time 10 -H \"Authorization: token $GH_TOKEN\" "
            + "http://api.github.test:" + github.port() + "/installation/repositories")) {
      stateDir = RunArtifacts.stateDir(run, WAIT);

      int status = run.waitFor(WAIT);

      assertThat(status).as(run.stderr()).isEqualTo(123);
      assertThat(run.stderr()).contains("revoke-github-token").contains("HTTP 500")
          .contains("taskbound teardown --session " + stateDir);
    }
    List<String> failed = githubRequests();
    assertThat(failed).contains("GET /installation/repositories token").contains("DELETE /installation/token token")
        .allMatch(r -> !r.startsWith("DELETE") || r.equals("DELETE /installation/token token"));
    github.stubFor(delete(urlEqualTo("/installation/token")).willReturn(aResponse().withStatus(204)));

    try (CliProcess retry = taskbound(hostEnv(false), "teardown", "--session", stateDir.toString())) {
      assertThat(retry.waitFor(WAIT)).as(retry.stderr()).isZero();
    }

    List<String> after = githubRequests();
    assertThat(after.subList(failed.size(), after.size())).containsExactly("DELETE /installation/token token");
    assertThat(stateDir).doesNotExist();
    assertNoSecretLeftUnder(work);
  }

  /** GitHub's requests in arrival order: method, path and which credential authenticated it. */
  private List<String> githubRequests() {
    return requests(github, r -> {
      String authorization = r.getHeader("Authorization");
      if (GithubStubs.isAppJwt(authorization, APP_KEY)) {
        return "app-jwt";
      } else if (("token " + TOKEN).equals(authorization)) {
        return "token";
      } else if (("token " + REFRESHED_TOKEN).equals(authorization)) {
        return "refreshed-token";
      }
      return authorization == null ? "no-auth" : "other-auth";
    });
  }

  /** Vault's requests in arrival order: method, path and which token authenticated it. */
  private List<String> vaultRequests() {
    return requests(vault, r -> {
      String token = r.getHeader("X-Vault-Token");
      if (token == null) {
        return "no-token";
      }
      return token.equals(LOGIN_TOKEN) ? "login-token" : token.equals(CHILD_TOKEN) ? "child-token" : "other-token";
    });
  }

  private static List<String> requests(WireMockServer server, java.util.function.Function<LoggedRequest, String> credential) {
    List<LoggedRequest> logged = new java.util.ArrayList<>(server.findAll(anyRequestedFor(anyUrl())));
    logged.sort(java.util.Comparator.comparing(LoggedRequest::getLoggedDate));
    return logged.stream().map(r -> r.getMethod() + " " + r.getUrl() + " " + credential.apply(r)).toList();
  }

  @SafeVarargs
  private static List<String> concat(List<String>... parts) {
    return java.util.Arrays.stream(parts).flatMap(List::stream).toList();
  }

  private Map<String, String> hostEnv(boolean withVault) {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("TASKBOUND_HOME", home.toString());
    env.put("TASKBOUND_RUNTIME_DIR", work.resolve("rt").toString());
    env.put("TASKBOUND_GITHUB_APP_ID", GithubStubs.APP_ID);
    env.put("TASKBOUND_GITHUB_APP_KEY", TestKeys.pkcs1Pem(APP_KEY));
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
        "      - {name: db, kind: dynamic, path: database/creds/readonly, field: password, file: db.txt}",
        "      - {name: signing, kind: kv2, path: kv/app/db, field: password, access: on-request}",
        "");
    return apis.writeTask(work.resolve(withVault ? "task-vault.yml" : "task.yml"), vaultSpec);
  }

  private CliProcess taskbound(Map<String, String> env, String... args) throws IOException {
    return CliProcess.startLauncher(work, env, args);
  }

  /** No issued value in any file left under the test's directories. */
  private static void assertNoSecretLeftUnder(Path root) throws IOException {
    for (String secret : List.of(TOKEN, REFRESHED_TOKEN, LOGIN_TOKEN, CHILD_TOKEN, SECRET_ID, KV2_VALUE, DYNAMIC_PASSWORD)) {
      assertThat(FileGrep.filesContaining(secret, root)).as(secret).isEmpty();
    }
  }

  private static String sha256(String value) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8)));
  }
}
