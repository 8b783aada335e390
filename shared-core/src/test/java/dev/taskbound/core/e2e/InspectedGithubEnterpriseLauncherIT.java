package dev.taskbound.core.e2e;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.delete;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.patch;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static dev.taskbound.core.broker.github.GithubStubs.APP_ID;
import static dev.taskbound.core.broker.github.GithubStubs.INSTALLATION_ID;
import static dev.taskbound.core.broker.github.GithubStubs.TOKEN;
import static dev.taskbound.core.broker.github.GithubStubs.okJson;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import dev.taskbound.core.broker.TestKeys;
import dev.taskbound.core.broker.github.GithubStubs;
import dev.taskbound.core.testing.CliProcess;
import dev.taskbound.core.testing.FileGrep;
import dev.taskbound.core.testing.RunArtifacts;
import dev.taskbound.core.testing.StubCertificates;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15 on GitHub Enterprise Server, through what ships ({@code bin/taskbound run}, the shaded
 * jar, a netns sandbox): {@code TASKBOUND_GITHUB_API_URL} names an Enterprise host ({@code localhost}
 * here, so the broker on the host reaches the stub without a name of its own) whose REST API is at
 * {@code /api/v3} and GraphQL at {@code /api/graphql}. With that host inspected, the action table
 * judges its API as it judges api.github.com's: a ref move to {@code main}, a GraphQL mutation and a
 * release are refused before the stub sees them, a ref move on the task branch and a read go through
 * with the real token injected.
 */
@Timeout(240)
class InspectedGithubEnterpriseLauncherIT {
  private static final Duration WAIT = Duration.ofSeconds(150);
  private static final KeyPair APP_KEY = TestKeys.rsa();
  private static final String TASK = "GHE-15";
  private static final String API = "/api/v3";

  @TempDir Path work;
  /** The controller's side of a hand-off: outside the workspace, which is given to the agent's user. */
  @TempDir Path issuer;

  @Test
  void theEnterpriseApiIsJudgedByTheSameActionsAsGithubComs() throws Exception {
    // given a stub Enterprise Server (plain http for the broker on the host, https for the agent)
    StubCertificates.Files tls = StubCertificates.forHosts(Files.createDirectories(work.resolve("stub-tls")), "localhost");
    WireMockServer ghe = new WireMockServer(options().bindAddress("127.0.0.1").dynamicPort().dynamicHttpsPort()
        .keystorePath(tls.serverKeyStore().toString()).keystoreType("PKCS12")
        .keystorePassword(StubCertificates.PASSWORD).keyManagerPassword(StubCertificates.PASSWORD)
        .http2PlainDisabled(true).http2TlsDisabled(true));
    ghe.start();
    try {
      stubEnterprise(ghe);
      int https = ghe.httpsPort();
      String base = "https://localhost:" + https;
      String agent = String.join("\n",
          "c() { code=$(curl -sS --max-time 20 -o /dev/null -w '%{http_code}' -H \"Authorization: token $GH_TOKEN\" \"$@\");"
              + " echo \"$code\"; }",
          "echo main=$(c -X PATCH -d '{\"sha\":\"" + "b".repeat(40) + "\",\"force\":true}' " + base + API
              + "/repos/acme/app/git/refs/heads/main)",
          "echo task=$(c -X PATCH -d '{\"sha\":\"" + "b".repeat(40) + "\"}' " + base + API
              + "/repos/acme/app/git/refs/heads/taskbound/" + TASK + "/work)",
          "echo mutation=$(c -X POST -d '{\"query\":\"mutation { mergePullRequest(input:{pullRequestId:$id}) { clientMutationId } }\"}' "
              + base + "/api/graphql)",
          "echo release=$(c -X POST -d '{\"tag_name\":\"v1\"}' " + base + API + "/repos/acme/app/releases)",
          "echo read=$(c " + base + API + "/repos/acme/app)",
          "");
      Path policy = Files.writeString(work.resolve("task.yml"), String.join("\n",
          "apiVersion: taskbound.dev/v1",
          "kind: Task",
          "spec:",
          "  ttl: 10m",
          "  sandbox: {backends: [netns]}",
          "  egress:",
          "    allow: [\"localhost:" + https + "\"]",
          "    inspect: [localhost]",
          "    hosts: {localhost: 127.0.0.1}",
          "  github:",
          "    repositories: [acme/app]",
          "    permissions: {contents: write}",
          ""));
      Map<String, String> env = new LinkedHashMap<>();
      env.put("TASKBOUND_HOME", work.resolve("home").toString());
      env.put("TASKBOUND_RUNTIME_DIR", work.resolve("rt").toString());
      env.put("TASKBOUND_GITHUB_APP_ID", APP_ID);
      env.put("TASKBOUND_GITHUB_APP_KEY", TestKeys.pkcs1Pem(APP_KEY));
      env.put("TASKBOUND_GITHUB_API_URL", "http://localhost:" + ghe.port() + API);
      env.put("TASKBOUND_INSPECT_UPSTREAM_CA", tls.caPem().toString());
      Path out = work.resolve("evidence");

      // when the agent calls the Enterprise API with its placeholder
      try (CliProcess run = CliProcess.startLauncher(work, env, "run", "--task", TASK, "--policy", policy.toString(),
          "--out", out.toString(), "--", "sh", "-c", agent)) {
        int status = run.waitFor(WAIT);

        // then the writes the defaults refuse got 403 and the others reached the stub
        assertThat(status).as(run.stdout() + "\n" + run.stderr()).isZero();
        assertThat(run.stdout().lines().filter(l -> l.contains("="))).contains(
            "main=403", "task=200", "mutation=403", "release=403", "read=200");
      }
      // the stub saw the mint, the two allowed calls with the real token, and the revocation: nothing refused
      List<LoggedRequest> logged = new ArrayList<>(ghe.findAll(anyRequestedFor(anyUrl())));
      logged.sort(Comparator.comparing(LoggedRequest::getLoggedDate));
      List<String> seen = logged.stream().filter(r -> !r.getUrl().startsWith(API + "/app"))
          .map(r -> r.getMethod() + " " + r.getUrl() + " " + (("token " + TOKEN).equals(r.getHeader("Authorization"))
              ? "token" : "other")).toList();
      assertThat(seen).containsExactly(
          "GET " + API + "/repos/acme/app/installation other",
          "PATCH " + API + "/repos/acme/app/git/refs/heads/taskbound/" + TASK + "/work token",
          "GET " + API + "/repos/acme/app token",
          "DELETE " + API + "/installation/token token");
      String events = RunArtifacts.bundleText(out, "events.jsonl");
      List<String> requests = events.lines().filter(l -> l.contains("\"egress.request\"")).toList();
      assertThat(requests).anySatisfy(l -> assertThat(l).contains("\"path\":\"/api/v3/repos/{owner}/{repo}/git/refs/**\"")
          .contains("refs/heads/main").contains("\"decision\":\"denied\"")
          .contains("\"rule\":\"built-in: git.push only to refs/heads/taskbound/" + TASK + "/**\""));
      assertThat(requests).anySatisfy(l -> assertThat(l).contains("\"path\":\"/api/graphql\"")
          .contains("\"decision\":\"denied\"").contains("built-in: github.graphql mutations denied"));
      assertThat(requests).anySatisfy(l -> assertThat(l).contains("\"path\":\"/api/v3/repos/{owner}/{repo}/releases\"")
          .contains("\"decision\":\"denied\"").contains("built-in: github.release.create denied"));
      assertThat(FileGrep.filesContaining(TOKEN, work)).isEmpty();
    } finally {
      ghe.stop();
    }
  }

  /**
   * The Jenkins node path: the token was issued elsewhere ({@code credentials issue}) and handed off;
   * this host has only {@code TASKBOUND_GITHUB_API_URL}. The Enterprise host's actions and the token's
   * placeholder follow that URL as they do with an App source: the agent never holds the real token,
   * a ref move to {@code main}, a repository delete and a GraphQL mutation never reach the stub.
   */
  @Test
  void aHandedOffTokenOnAnInspectedEnterpriseHostIsAPlaceholderJudgedByTheSameActions() throws Exception {
    // given a stub Enterprise Server and a hand-off issued by a controller holding the App key
    StubCertificates.Files tls = StubCertificates.forHosts(Files.createDirectories(work.resolve("stub-tls")), "localhost");
    WireMockServer ghe = new WireMockServer(options().bindAddress("127.0.0.1").dynamicPort().dynamicHttpsPort()
        .keystorePath(tls.serverKeyStore().toString()).keystoreType("PKCS12")
        .keystorePassword(StubCertificates.PASSWORD).keyManagerPassword(StubCertificates.PASSWORD)
        .http2PlainDisabled(true).http2TlsDisabled(true));
    ghe.start();
    try {
      stubEnterprise(ghe);
      int https = ghe.httpsPort();
      String base = "https://localhost:" + https;
      Path policy = Files.writeString(work.resolve("task.yml"), String.join("\n",
          "apiVersion: taskbound.dev/v1",
          "kind: Task",
          "spec:",
          "  ttl: 10m",
          "  sandbox: {backends: [netns]}",
          "  egress:",
          "    allow: [\"localhost:" + https + "\"]",
          "    inspect: [localhost]",
          "    hosts: {localhost: 127.0.0.1}",
          "  github:",
          "    repositories: [acme/app]",
          "    permissions: {contents: write}",
          ""));
      String apiUrl = "http://localhost:" + ghe.port() + API;
      Path handoff = issuer.resolve("handoff.json");
      Map<String, String> controller = new LinkedHashMap<>();
      controller.put("TASKBOUND_HOME", issuer.resolve("controller-home").toString());
      controller.put("TASKBOUND_GITHUB_APP_ID", APP_ID);
      controller.put("TASKBOUND_GITHUB_APP_KEY", TestKeys.pkcs1Pem(APP_KEY));
      controller.put("TASKBOUND_GITHUB_API_URL", apiUrl);
      try (CliProcess issue = CliProcess.startLauncher(work, controller, "credentials", "issue", "--task", TASK,
          "--policy", policy.toString(), "--handoff", handoff.toString())) {
        assertThat(issue.waitFor(WAIT)).as(issue.stderr()).isZero();
      }
      String agent = String.join("\n",
          "c() { code=$(curl -sS --max-time 20 -o /dev/null -w '%{http_code}' -H \"Authorization: token $GH_TOKEN\" \"$@\");"
              + " echo \"$code\"; }",
          "echo main=$(c -X PATCH -d '{\"sha\":\"" + "b".repeat(40) + "\",\"force\":true}' " + base + API
              + "/repos/acme/app/git/refs/heads/main)",
          "echo delete=$(c -X DELETE " + base + API + "/repos/acme/app)",
          "echo mutation=$(c -X POST -d '{\"query\":\"mutation { mergePullRequest(input:{pullRequestId:$id}) { clientMutationId } }\"}' "
              + base + "/api/graphql)",
          "echo task=$(c -X PATCH -d '{\"sha\":\"" + "b".repeat(40) + "\"}' " + base + API
              + "/repos/acme/app/git/refs/heads/taskbound/" + TASK + "/work)",
          "echo held: \"$(env)\" \"$(tr '\\0' '\\n' < /proc/self/environ)\"",
          "echo token-set=$([ -n \"$GH_TOKEN\" ] && echo yes)",
          "");
      Map<String, String> env = new LinkedHashMap<>();
      env.put("TASKBOUND_HOME", work.resolve("home").toString());
      env.put("TASKBOUND_RUNTIME_DIR", work.resolve("rt").toString());
      env.put("TASKBOUND_GITHUB_API_URL", apiUrl);
      env.put("TASKBOUND_INSPECT_UPSTREAM_CA", tls.caPem().toString());
      Path out = work.resolve("evidence");

      // when the agent host runs with the hand-off and no App key of its own
      try (CliProcess run = CliProcess.startLauncher(work, env, "run", "--task", TASK, "--policy", policy.toString(),
          "--credentials-handoff", handoff.toString(), "--out", out.toString(), "--", "sh", "-c", agent)) {
        int status = run.waitFor(WAIT);

        // then the agent held a placeholder, and only the task-branch write reached the stub
        assertThat(status).as(run.stdout() + "\n" + run.stderr()).isZero();
        assertThat(run.stdout().lines().filter(l -> l.matches("[a-z-]+=.*"))).contains(
            "main=403", "delete=403", "mutation=403", "task=200", "token-set=yes");
        assertThat(run.stdout()).contains("GH_TOKEN=").doesNotContain(TOKEN);
      }
      List<LoggedRequest> logged = new ArrayList<>(ghe.findAll(anyRequestedFor(anyUrl())));
      logged.sort(Comparator.comparing(LoggedRequest::getLoggedDate));
      List<String> seen = logged.stream().filter(r -> !r.getUrl().startsWith(API + "/app"))
          .map(r -> r.getMethod() + " " + r.getUrl() + " " + (("token " + TOKEN).equals(r.getHeader("Authorization"))
              ? "token" : "other")).toList();
      assertThat(seen).containsExactly(
          "GET " + API + "/repos/acme/app/installation other",
          "PATCH " + API + "/repos/acme/app/git/refs/heads/taskbound/" + TASK + "/work token",
          "DELETE " + API + "/installation/token token");
      String events = RunArtifacts.bundleText(out, "events.jsonl");
      assertThat(events.lines().filter(l -> l.contains("\"egress.request\"")).toList())
          .anySatisfy(l -> assertThat(l).contains("refs/heads/main").contains("\"decision\":\"denied\"")
              .contains("\"rule\":\"built-in: git.push only to refs/heads/taskbound/" + TASK + "/**\""));
      assertThat(FileGrep.filesContaining(TOKEN, out)).isEmpty();
    } finally {
      ghe.stop();
    }
  }

  /** The App's installation and token endpoints under /api/v3, and the two calls the gate lets through. */
  private static void stubEnterprise(WireMockServer ghe) {
    ghe.stubFor(get(urlEqualTo(API + "/app")).willReturn(okJson(
        "{\"id\":" + APP_ID + ",\"slug\":\"taskbound-test\",\"name\":\"Taskbound test\",\"owner\":{\"login\":\"acme\"}}")));
    ghe.stubFor(get(urlEqualTo(API + "/repos/acme/app/installation")).willReturn(okJson(
        "{\"id\":" + INSTALLATION_ID + ",\"app_id\":" + APP_ID + ",\"account\":{\"login\":\"acme\",\"type\":\"Organization\"},"
            + "\"access_tokens_url\":\"" + ghe.baseUrl() + API + "/app/installations/" + INSTALLATION_ID + "/access_tokens\","
            + "\"repository_selection\":\"selected\",\"target_type\":\"Organization\","
            + "\"permissions\":{\"contents\":\"write\",\"metadata\":\"read\"}}")));
    ghe.stubFor(post(urlEqualTo(API + "/app/installations/" + INSTALLATION_ID + "/access_tokens"))
        .willReturn(GithubStubs.tokenResponse(TOKEN)));
    ghe.stubFor(delete(urlEqualTo(API + "/installation/token")).willReturn(aResponse().withStatus(204)));
    ghe.stubFor(patch(urlEqualTo(API + "/repos/acme/app/git/refs/heads/taskbound/" + TASK + "/work"))
        .willReturn(okJson("{\"ref\":\"refs/heads/taskbound/" + TASK + "/work\"}")));
    ghe.stubFor(get(urlEqualTo(API + "/repos/acme/app")).willReturn(okJson("{\"full_name\":\"acme/app\"}")));
  }
}
