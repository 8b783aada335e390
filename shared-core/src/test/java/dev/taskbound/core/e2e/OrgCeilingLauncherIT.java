package dev.taskbound.core.e2e;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static dev.taskbound.core.broker.github.GithubStubs.ACCESS_TOKENS_PATH;
import static dev.taskbound.core.broker.github.GithubStubs.TOKEN;
import static dev.taskbound.core.broker.github.OrgCeilingStubs.CEILING_TOKEN;
import static dev.taskbound.core.broker.github.OrgCeilingStubs.COMMIT;
import static dev.taskbound.core.broker.github.OrgCeilingStubs.CONTENTS_PATH;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.extension.ResponseDefinitionTransformerV2;
import com.github.tomakehurst.wiremock.http.ResponseDefinition;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import dev.taskbound.core.ExitCodes;
import dev.taskbound.core.broker.Secret;
import dev.taskbound.core.broker.TestKeys;
import dev.taskbound.core.broker.github.GithubStubs;
import dev.taskbound.core.broker.github.OrgCeilingStubs;
import dev.taskbound.core.evidence.BundleVerifier;
import dev.taskbound.core.evidence.VerificationResult;
import dev.taskbound.core.session.CeilingReadJournal;
import dev.taskbound.core.testing.CliProcess;
import dev.taskbound.core.testing.FileGrep;
import dev.taskbound.core.testing.RunArtifacts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 17 through what ships: {@code bin/taskbound} with the shaded jar reads the org ceiling from
 * {@code acme/.github} on a loopback GitHub API stand-in, and the repository's Task only narrows it.
 * Every request the stand-in received is asserted in order: the ceiling's read-only token is minted
 * for {@code .github} alone and revoked before the agent's token is minted.
 */
@Timeout(240)
class OrgCeilingLauncherIT {
  private static final Duration WAIT = Duration.ofSeconds(120);
  private static final String CEILING = "github:acme/.github/taskbound/ceiling.yml";

  @TempDir Path work;
  private WireMockServer github;
  private Path out;
  private String ceiling;

  /** Holds the first request made with the ceiling's read token until the test lets it go. */
  private final HoldFirstCeilingRead hold = new HoldFirstCeilingRead();

  @BeforeEach
  void startStandIn() throws IOException {
    github = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1").extensions(hold));
    github.start();
    GithubStubs.stubApp(github);
    ceiling = OrgCeilingStubs.ceiling(github.port());
    Files.createDirectories(work.resolve("home"));
    out = work.resolve("evidence");
  }

  @AfterEach
  void stopStandIn() {
    hold.release.countDown();
    github.stop();
  }

  @Test
  void readTokenOfAProcessKilledBetweenMintAndRevokeIsRevokedByTeardownFromItsJournal() throws Exception {
    OrgCeilingStubs.stubOrgCeiling(github, ceiling);
    hold.armed = true;
    Path sessions = work.resolve("home").resolve("sessions");

    try (CliProcess run = CliProcess.startLauncher(work, hostEnv(), "run", "--task", "IT-17", "--ceiling", CEILING,
        "--policy", task("  ttl: 10m").toString(), "--out", out.toString(), "--", "true")) {
      // The stand-in has minted the read token and holds the first read made with it: kill now.
      assertThat(hold.arrived.await(WAIT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS))
          .as(run.stderr()).isTrue();
      run.process().descendants().forEach(ProcessHandle::destroyForcibly);
      run.process().destroyForcibly();
      assertThat(run.waitFor(WAIT)).isEqualTo(137);
    }
    hold.release.countDown();
    assertThat(OrgCeilingStubs.requestLog(github, TOKEN)).noneMatch(l -> l.startsWith("DELETE"));
    List<Path> left;
    try (var children = Files.list(sessions)) {
      left = children.toList();
    }
    assertThat(left).singleElement()
        .satisfies(dir -> assertThat(dir.getFileName().toString()).startsWith(CeilingReadJournal.PREFIX));

    try (CliProcess teardown = CliProcess.startLauncher(work, hostEnv(), "teardown", "--session", left.get(0).toString())) {
      assertThat(teardown.waitFor(WAIT)).as(teardown.stderr()).isZero();
    }

    List<String> log = OrgCeilingStubs.requestLog(github, TOKEN);
    assertThat(log.subList(3, log.size())).containsExactly(
        "GET /repos/acme/.github [ceiling]",
        "DELETE /installation/token [ceiling]");
    assertThat(left.get(0)).doesNotExist();
    assertThat(FileGrep.filesContaining(CEILING_TOKEN, work)).isEmpty();
  }

  /**
   * A WireMock extension: once armed, the first {@code GET /repos/acme/.github} made with the
   * ceiling's token (so after the mint answered) signals {@link #arrived} and waits for {@link
   * #release} (bounded) before it is answered.
   */
  static final class HoldFirstCeilingRead implements ResponseDefinitionTransformerV2 {
    final java.util.concurrent.CountDownLatch arrived = new java.util.concurrent.CountDownLatch(1);
    final java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    volatile boolean armed;

    @Override
    public ResponseDefinition transform(ServeEvent event) {
      if (armed && event.getRequest().getUrl().equals(OrgCeilingStubs.REPO_PATH)
          && ("token " + CEILING_TOKEN).equals(event.getRequest().getHeader("Authorization"))
          && arrived.getCount() > 0) {
        arrived.countDown();
        try {
          release.await(WAIT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return event.getResponseDefinition();
    }

    @Override
    public String getName() {
      return "hold-first-ceiling-read";
    }
  }

  @Test
  void orgCeilingIsReadAndRevokedBeforeTheAgentTokenIsMintedAndItsCommitAndDigestAreInTheEvidence() throws Exception {
    OrgCeilingStubs.stubOrgCeiling(github, ceiling);
    String api = "http://api.github.test:" + github.port() + "/installation/repositories";

    try (CliProcess run = CliProcess.startLauncher(work, hostEnv(), "run", "--task", "IT-17", "--ceiling", CEILING,
        "--policy", task("  ttl: 10m").toString(), "--out", out.toString(), "--",
        "sh", "-c", "curl -sS --max-time 10 -H \"Authorization: token $GH_TOKEN\" " + api + "; echo")) {
      int status = run.waitFor(WAIT);

      assertThat(status).as(run.stdout() + "\n" + run.stderr()).isZero();
      assertThat(run.stdout()).contains("\"full_name\":\"acme/app\"");
      assertThat(run.stderr()).contains("ceiling:  org ceiling " + CEILING + " at main " + COMMIT + " ("
          + OrgCeilingStubs.digest(ceiling) + ")");
    }

    List<String> log = OrgCeilingStubs.requestLog(github, TOKEN);
    assertThat(log.subList(0, 8)).containsExactly(
        "GET /app [app]",
        "GET /repos/acme/.github/installation [app]",
        "POST " + ACCESS_TOKENS_PATH + " [app] " + log.get(2).substring(log.get(2).indexOf('{')),
        "GET /repos/acme/.github [ceiling]",
        "GET /repos/acme/.github/git/ref/heads/main [ceiling]",
        "GET " + CONTENTS_PATH + " [ceiling]",
        "GET " + OrgCeilingStubs.PROFILES_PATH + " [ceiling]",
        "DELETE /installation/token [ceiling]");
    assertThat(log.get(2)).contains("\"repositories\":[\".github\"]").contains("\"contents\":\"read\"");
    assertThat(log.subList(8, log.size())).containsExactly(
        "GET /app [app]",
        "GET /repos/acme/app/installation [app]",
        "POST " + ACCESS_TOKENS_PATH + " [app] " + log.get(10).substring(log.get(10).indexOf('{')),
        "GET /installation/repositories [agent]",
        "DELETE /installation/token [agent]");
    assertThat(log.get(10)).contains("\"repositories\":[\"app\"]");

    String events = RunArtifacts.bundleText(out, "events.jsonl");
    assertThat(events).contains("\"type\":\"policy.org_ceiling\"").contains("\"commit\":\"" + COMMIT + "\"")
        .contains("\"digest\":\"" + OrgCeilingStubs.digest(ceiling) + "\"")
        .contains(Secret.of(CEILING_TOKEN).fingerprint());
    assertThat(RunArtifacts.bundleText(out, "identity.json"))
        .containsPattern("\"ceiling_commit\"\\s*:\\s*\"" + COMMIT + "\"")
        .containsPattern("\"ceiling_digest\"\\s*:\\s*\"" + OrgCeilingStubs.digest(ceiling) + "\"")
        .containsPattern("\"ceiling_source\"\\s*:\\s*\"" + CEILING + "\"");
    VerificationResult verified = BundleVerifier.verify(RunArtifacts.onlyBundle(out));
    assertThat(verified.valid()).as(verified.message()).isTrue();
    for (String secret : List.of(CEILING_TOKEN, TOKEN)) {
      assertThat(FileGrep.filesContaining(secret, work)).as(secret).isEmpty();
    }
  }

  @Test
  void repositoryTaskThatWidensTheOrgCeilingIsRefusedWithTheFieldAndBothValuesBeforeTheAgentTokenExists()
      throws Exception {
    OrgCeilingStubs.stubOrgCeiling(github, ceiling);
    Path task = task("  ttl: 2h");

    try (CliProcess run = CliProcess.startLauncher(work, hostEnv(), "run", "--task", "IT-17", "--ceiling", CEILING,
        "--policy", task.toString(), "--out", out.toString(), "--", "true")) {
      int status = run.waitFor(WAIT);

      assertThat(status).as(run.stderr()).isEqualTo(ExitCodes.POLICY);
      assertThat(run.stderr()).contains(task + ":4: spec.ttl: 2h widens the ceiling (" + CEILING + "@"
          + COMMIT.substring(0, 12) + ":5 allows at most 20m)");
    }
    assertThat(OrgCeilingStubs.requestLog(github, TOKEN)).last().isEqualTo("DELETE /installation/token [ceiling]");
    assertThat(OrgCeilingStubs.requestLog(github, TOKEN)).noneMatch(l -> l.contains("\"app\""));
  }

  @Test
  void aWriteGrantReachingTheCeilingsOwnRepositoryIsRefusedBeforeTheAgentTokenExists() throws Exception {
    // The ceiling lets tasks write acme/*; a task that keeps acme/* would get a token that can push
    // to acme/.github, where the ceiling itself lives.
    OrgCeilingStubs.stubOrgCeiling(github, ceiling.replace("permissions: {contents: read}",
        "permissions: {contents: write, pull_requests: write}"));
    Path task = Files.writeString(work.resolve("task.yml"), String.join("\n",
        "apiVersion: taskbound.dev/v1", "kind: Task", "spec:", "  ttl: 10m", "  sandbox: {backends: [netns]}",
        "  github:", "    permissions: {contents: write}", ""));

    try (CliProcess run = CliProcess.startLauncher(work, hostEnv(), "run", "--task", "IT-17", "--ceiling", CEILING,
        "--policy", task.toString(), "--out", out.toString(), "--", "true")) {
      int status = run.waitFor(WAIT);

      assertThat(status).as(run.stderr()).isEqualTo(ExitCodes.POLICY);
      assertThat(run.stderr()).contains("spec.github.repositories 'acme/*' (" + CEILING + "@" + COMMIT.substring(0, 12)
          + ":11) reaches acme/.github, which holds the org ceiling (" + CEILING + "), and spec.github.permissions ("
          + task + ":7) grant contents: write: the agent could rewrite the ceiling that binds it; accepted: name the"
          + " repositories the task works on, without acme/.github, or read-only permissions");
    }
    List<String> log = OrgCeilingStubs.requestLog(github, TOKEN);
    assertThat(log).last().isEqualTo("DELETE /installation/token [ceiling]");
    assertThat(log).filteredOn(l -> l.startsWith("POST")).singleElement().asString().contains("\".github\"");
    assertThat(out).doesNotExist();
  }

  @Test
  void missingOrgCeilingFailsWithThePolicyCodeNamingRepositoryAndPathInRunAndPolicyCheck() throws Exception {
    OrgCeilingStubs.stubInstallationAndToken(github);
    OrgCeilingStubs.stubRepositoryAndHead(github);
    github.stubFor(get(urlEqualTo(CONTENTS_PATH)).willReturn(aResponse().withStatus(404)));
    Path task = task("  ttl: 10m");

    try (CliProcess run = CliProcess.startLauncher(work, hostEnv(), "run", "--task", "IT-17", "--ceiling", CEILING,
        "--policy", task.toString(), "--out", out.toString(), "--", "true");
        CliProcess check = CliProcess.startLauncher(work, hostEnv(), "policy", "check", "--ceiling", CEILING,
            task.toString())) {
      assertThat(run.waitFor(WAIT)).as(run.stderr()).isEqualTo(ExitCodes.POLICY);
      assertThat(check.waitFor(WAIT)).as(check.stderr()).isEqualTo(ExitCodes.POLICY);
      for (CliProcess p : List.of(run, check)) {
        assertThat(p.stderr()).contains(CEILING + ": the org ceiling is missing: acme/.github has no"
            + " taskbound/ceiling.yml at main (" + COMMIT + ")");
      }
    }
    assertThat(OrgCeilingStubs.requestLog(github, TOKEN)).noneMatch(l -> l.contains("\"app\""));
  }

  private Map<String, String> hostEnv() {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("TASKBOUND_HOME", work.resolve("home").toString());
    env.put("TASKBOUND_RUNTIME_DIR", work.resolve("rt").toString());
    env.put("TASKBOUND_GITHUB_APP_ID", GithubStubs.APP_ID);
    env.put("TASKBOUND_GITHUB_APP_KEY", TestKeys.pkcs1Pem(TestKeys.rsa()));
    env.put("TASKBOUND_GITHUB_API_URL", github.baseUrl());
    return env;
  }

  /** The repository's Task: netns, acme/app with contents read, and {@code ttlLine}. */
  private Path task(String ttlLine) throws IOException {
    return Files.writeString(work.resolve("task.yml"), String.join("\n",
        "apiVersion: taskbound.dev/v1",
        "kind: Task",
        "spec:",
        ttlLine,
        "  sandbox: {backends: [netns]}",
        "  github:",
        "    repositories: [acme/app]",
        "    permissions: {contents: read}",
        ""));
  }
}
