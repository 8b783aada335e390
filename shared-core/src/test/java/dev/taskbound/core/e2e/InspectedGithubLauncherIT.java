package dev.taskbound.core.e2e;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static dev.taskbound.core.broker.github.GithubStubs.ACCESS_TOKENS_PATH;
import static dev.taskbound.core.broker.github.GithubStubs.REFRESHED_TOKEN;
import static dev.taskbound.core.broker.github.GithubStubs.TOKEN;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import dev.taskbound.core.broker.Secret;
import dev.taskbound.core.broker.TestKeys;
import dev.taskbound.core.broker.github.GithubStubs;
import dev.taskbound.core.evidence.BundleVerifier;
import dev.taskbound.core.evidence.VerificationResult;
import dev.taskbound.core.testing.CliProcess;
import dev.taskbound.core.testing.FileGrep;
import dev.taskbound.core.testing.RunArtifacts;
import dev.taskbound.core.testing.StubCertificates;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15 through what ships: {@code bin/taskbound run} with the shaded jar, a netns sandbox, and
 * a policy that inspects {@code github.com} and {@code api.github.com} (pinned to a loopback WireMock
 * stub of GitHub over HTTPS, its certificate from a test CA the gateway alone is told to trust). The
 * agent, with real curl and git, holds only a placeholder; the stub receives the real token, exactly
 * the requests asserted below, and never the push to {@code main}, which the gate refuses with its
 * rule named in the evidence. A refresh hands the agent the same placeholder while the gateway
 * injects the new token. The placeholder sent in clear to another host is refused.
 */
@Timeout(240)
class InspectedGithubLauncherIT {
  private static final Duration WAIT = Duration.ofSeconds(150);
  private static final KeyPair APP_KEY = TestKeys.rsa();
  private static final String TASK = "IT-15";
  private static final String TASK_REF = "refs/heads/taskbound/" + TASK + "/work";
  private static final String ZERO_ID = "0".repeat(40);

  @TempDir Path work;
  private WireMockServer github;
  private WireMockServer elsewhere;
  private StubCertificates.Files tls;
  private Path out;

  @BeforeEach
  void startStubs() throws Exception {
    tls = StubCertificates.forHosts(Files.createDirectories(work.resolve("stub-tls")), "api.github.com", "github.com");
    // Plain http for the broker on the host; https (the test CA) for the agent's traffic through the gateway.
    github = new WireMockServer(options().bindAddress("127.0.0.1").dynamicPort().dynamicHttpsPort()
        .keystorePath(tls.serverKeyStore().toString()).keystoreType("PKCS12")
        .keystorePassword(StubCertificates.PASSWORD).keyManagerPassword(StubCertificates.PASSWORD)
        .http2PlainDisabled(true).http2TlsDisabled(true));
    github.start();
    elsewhere = new WireMockServer(options().bindAddress("127.0.0.1").dynamicPort());
    elsewhere.start();
    elsewhere.stubFor(get(anyUrl()).willReturn(aResponse().withStatus(200).withBody("collected\n")));
    GithubStubs.stubApp(github);
    GithubStubs.stubRefresh(github);
    stubReceivePack();
    out = work.resolve("evidence");
  }

  @AfterEach
  void stopStubs() {
    github.stop();
    elsewhere.stop();
  }

  /**
   * git's smart HTTP push (gitprotocol-http, gitprotocol-pack): an empty repository advertised with
   * {@code report-status}, and the status report for the task branch.
   */
  private void stubReceivePack() {
    String advertisement = pkt("# service=git-receive-pack\n") + "0000"
        + pkt(ZERO_ID + " capabilities^{}\0report-status delete-refs ofs-delta\n") + "0000";
    github.stubFor(get(urlEqualTo("/acme/app.git/info/refs?service=git-receive-pack")).willReturn(aResponse()
        .withStatus(200).withHeader("Content-Type", "application/x-git-receive-pack-advertisement")
        .withHeader("Cache-Control", "no-cache").withBody(advertisement)));
    github.stubFor(post(urlEqualTo("/acme/app.git/git-receive-pack")).willReturn(aResponse().withStatus(200)
        .withHeader("Content-Type", "application/x-git-receive-pack-result")
        .withBody(pkt("unpack ok\n") + pkt("ok " + TASK_REF + "\n") + "0000")));
  }

  private static String pkt(String line) {
    return String.format("%04x", line.getBytes(StandardCharsets.UTF_8).length + 4) + line;
  }

  @Test
  void theAgentPushesItsTaskBranchWithAPlaceholderIsRefusedMainAndNeverHoldsTheRealToken() throws Exception {
    Path launcher = Files.copy(CliProcess.launcher(), work.resolve("taskbound"));
    Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));
    String tb = "TASKBOUND_JAR='" + CliProcess.shadedJar() + "' '" + launcher + "'";
    int https = github.httpsPort();
    String api = "https://api.github.com:" + https + "/installation/repositories";
    String repo = "https://github.com:" + https + "/acme/app.git";
    // A fragment of each real token, to look for: the masker would hide the whole value, not a count.
    String fragments = TOKEN.substring(12, 30) + " " + REFRESHED_TOKEN.substring(12, 30);
    String agent = String.join("\n",
        "curl -sS --fail --max-time 20 -H \"Authorization: token $GH_TOKEN\" " + api + "; echo",
        // clients that ignore the CA variables read the system bundle, bound over with the session CA in it
        "noca='env -u SSL_CERT_FILE -u CURL_CA_BUNDLE -u REQUESTS_CA_BUNDLE -u SSL_CERT_DIR'",
        "$noca curl -sS --fail --max-time 20 -o /dev/null -w 'system-trust-curl=%{http_code}\\n' -H \"Authorization: token"
            + " $GH_TOKEN\" " + api,
        "$noca /usr/bin/python3 -c \"import os, ssl, urllib.request as u; r = u.Request('" + api + "', headers={'Authorization':"
            + " 'token ' + os.environ['GH_TOKEN']}); print('system-trust-python=%d' % u.urlopen(r,"
            + " context=ssl.create_default_context(), timeout=20).status)\"",
        "basic=$(printf 'x-access-token:%s' \"$GH_TOKEN\" | base64 -w0)",
        "g() { git -c \"http.extraHeader=Authorization: Basic $basic\" -c user.name=agent -c user.email=agent@example.test"
            + " -c init.defaultBranch=main \"$@\"; }",
        "g init -q repo && cd repo && echo hello > README && g add README && g commit -qm init || exit 13",
        "g push -q " + repo + " HEAD:" + TASK_REF + " 2>&1; echo push-task=$?",
        "g push -q " + repo + " HEAD:refs/heads/main 2>&1; echo push-main=$?",
        "cd ..",
        "curl -sS --max-time 20 -o /dev/null -w 'plain=%{http_code}\\n' -H \"Authorization: token $GH_TOKEN\" "
            + "http://elsewhere.test:" + elsewhere.port() + "/collect",
        "n=$(" + tb + " token refresh) || exit 12",
        "[ \"$n\" = \"$GH_TOKEN\" ] && echo refreshed=placeholder",
        "curl -sS --fail --max-time 20 -H \"Authorization: token $n\" " + api + "; echo",
        "for f in " + fragments + "; do",
        "  printf 'env-hits=%s\\n' \"$(env | grep -c -F \"$f\")\"",
        "  printf 'file-hits=[%s]\\n' \"$(grep -rsl -F \"$f\" \"$HOME\" \"$PWD\" \"$TASKBOUND_CREDENTIALS_DIR\" /tmp"
            + " \"$(dirname \"$SSL_CERT_FILE\")\")\"",
        "done",
        "");

    Path systemBundle = Path.of("/etc/ssl/certs/ca-certificates.crt");
    byte[] systemBundleBefore = Files.readAllBytes(systemBundle);
    try (CliProcess run = CliProcess.startLauncher(work, hostEnv(), "run", "--task", TASK, "--policy",
        policy(https).toString(), "--out", out.toString(), "--", "sh", "-c", agent)) {
      int status = run.waitFor(WAIT);

      assertThat(status).as(run.stdout() + "\n" + run.stderr()).isZero();
      assertThat(run.stdout()).contains("system-trust-curl=200").contains("system-trust-python=200");
      assertThat(run.stdout()).contains("push-task=0").contains("push-main=1").doesNotContain("HTTP 403")
          .contains("! [remote rejected] HEAD -> main (taskbound: git.push denied by built-in: git.push only to"
              + " refs/heads/taskbound/" + TASK + "/**)")
          .contains("plain=403").contains("refreshed=placeholder");
      assertThat(run.stdout().lines().filter(l -> l.contains("\"full_name\":\"acme/app\""))).hasSize(2);
      assertThat(run.stdout().lines().filter(l -> l.startsWith("env-hits="))).containsExactly("env-hits=0", "env-hits=0");
      assertThat(run.stdout().lines().filter(l -> l.startsWith("file-hits="))).containsExactly("file-hits=[]", "file-hits=[]");
      assertThat(run.stderr()).contains("teardown ok");
    }

    // GitHub saw the real tokens, injected by the gateway, and exactly these requests: the mint, the
    // agent's API call, the task branch's push (advertisement and pack), the advertisement of the
    // refused push to main (its pack never came), the refresh's mint and revocation, the agent's call
    // with the new token, and teardown's revocation.
    List<String> mint = List.of("GET /app app-jwt", "GET /repos/acme/app/installation app-jwt",
        "POST " + ACCESS_TOKENS_PATH + " app-jwt");
    List<String> expected = new ArrayList<>(mint);
    expected.addAll(List.of(
        "GET /installation/repositories token",
        "GET /installation/repositories token",
        "GET /installation/repositories token",
        "GET /acme/app.git/info/refs?service=git-receive-pack basic-token",
        "POST /acme/app.git/git-receive-pack basic-token",
        "GET /acme/app.git/info/refs?service=git-receive-pack basic-token"));
    expected.addAll(mint);
    expected.addAll(List.of(
        "DELETE /installation/token token",
        "GET /installation/repositories refreshed-token",
        "DELETE /installation/token refreshed-token"));
    assertThat(githubRequests()).containsExactlyElementsOf(expected);
    github.verify(2, postRequestedFor(urlEqualTo(ACCESS_TOKENS_PATH)).withRequestBody(
        equalToJson("{\"repositories\":[\"app\"],\"permissions\":{\"contents\":\"write\"}}")));
    github.verify(1, postRequestedFor(urlEqualTo("/acme/app.git/git-receive-pack"))
        .withHeader("Content-Type", equalTo("application/x-git-receive-pack-request")));
    LoggedRequest pack = github.findAll(postRequestedFor(urlEqualTo("/acme/app.git/git-receive-pack"))).get(0);
    String commands = new String(pack.getBody(), StandardCharsets.ISO_8859_1);
    assertThat(commands).contains(ZERO_ID + " ").contains(" " + TASK_REF).doesNotContain("refs/heads/main");
    assertThat(elsewhere.findAll(anyRequestedFor(anyUrl()))).isEmpty();
    assertThat(Files.readAllBytes(systemBundle)).as("the host's system bundle is untouched").isEqualTo(systemBundleBefore);

    String events = RunArtifacts.bundleText(out, "events.jsonl");
    assertThat(events.lines().filter(l -> l.contains("\"egress.request\"") && l.contains("refs/heads/main")))
        .singleElement().satisfies(l -> assertThat(l).contains("\"decision\":\"denied\"")
            .contains("\"rule\":\"built-in: git.push only to refs/heads/taskbound/" + TASK + "/**\"")
            .contains("\"status\":0"));
    assertThat(events.lines().filter(l -> l.contains("\"egress.request\"") && l.contains(TASK_REF)))
        .singleElement().satisfies(l -> assertThat(l).contains("\"decision\":\"allowed\"").contains("\"status\":200"));
    assertThat(events).contains("\"egress.denied.credential_misuse\"").contains("elsewhere.test");
    assertThat(events.lines().filter(l -> l.contains("\"credential.refreshed\""))).singleElement()
        .satisfies(l -> assertThat(l).contains(Secret.of(REFRESHED_TOKEN).fingerprint()).contains("\"injected\":true"));
    VerificationResult verified = BundleVerifier.verify(RunArtifacts.onlyBundle(out));
    assertThat(verified.valid()).as(verified.message()).isTrue();
    for (String secret : List.of(TOKEN, REFRESHED_TOKEN)) {
      assertThat(FileGrep.filesContaining(secret, work)).as(secret).isEmpty();
    }
  }

  /** GitHub's requests in arrival order: method, URL and which credential authenticated it. */
  private List<String> githubRequests() {
    List<LoggedRequest> logged = new ArrayList<>(github.findAll(anyRequestedFor(anyUrl())));
    logged.sort(Comparator.comparing(LoggedRequest::getLoggedDate));
    return logged.stream().map(r -> r.getMethod() + " " + r.getUrl() + " " + credential(r.getHeader("Authorization")))
        .toList();
  }

  private static String credential(String authorization) {
    if (GithubStubs.isAppJwt(authorization, APP_KEY)) {
      return "app-jwt";
    } else if (("token " + TOKEN).equals(authorization)) {
      return "token";
    } else if (("token " + REFRESHED_TOKEN).equals(authorization)) {
      return "refreshed-token";
    } else if (authorization != null && authorization.startsWith("Basic ")) {
      String decoded = new String(Base64.getDecoder().decode(authorization.substring(6)), StandardCharsets.UTF_8);
      return decoded.equals("x-access-token:" + TOKEN) ? "basic-token" : "other-basic";
    }
    return authorization == null ? "no-auth" : "other-auth";
  }

  private Map<String, String> hostEnv() {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("TASKBOUND_HOME", work.resolve("home").toString());
    env.put("TASKBOUND_RUNTIME_DIR", work.resolve("rt").toString());
    env.put("TASKBOUND_GITHUB_APP_ID", GithubStubs.APP_ID);
    env.put("TASKBOUND_GITHUB_APP_KEY", TestKeys.pkcs1Pem(APP_KEY));
    env.put("TASKBOUND_GITHUB_API_URL", "http://127.0.0.1:" + github.port()); // baseUrl() would be the https port
    env.put("TASKBOUND_INSPECT_UPSTREAM_CA", tls.caPem().toString());
    return env;
  }

  private Path policy(int httpsPort) throws IOException {
    return Files.writeString(work.resolve("task.yml"), String.join("\n",
        "apiVersion: taskbound.dev/v1",
        "kind: Task",
        "spec:",
        "  ttl: 10m",
        "  sandbox:",
        "    backends: [netns]",
        "  egress:",
        "    allow: [\"api.github.com:" + httpsPort + "\", \"github.com:" + httpsPort + "\", \"elsewhere.test:"
            + elsewhere.port() + "\"]",
        "    inspect: [api.github.com, github.com]",
        "    hosts:",
        "      api.github.com: 127.0.0.1",
        "      github.com: 127.0.0.1",
        "      elsewhere.test: 127.0.0.1",
        "  github:",
        "    repositories: [acme/app]",
        "    permissions: {contents: write}",
        ""));
  }
}
