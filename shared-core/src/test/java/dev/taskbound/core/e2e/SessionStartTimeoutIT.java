package dev.taskbound.core.e2e;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.delete;
import static com.github.tomakehurst.wiremock.client.WireMock.deleteRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import dev.taskbound.core.broker.TestKeys;
import dev.taskbound.core.broker.github.GithubStubs;
import dev.taskbound.core.testing.AgentOwner;
import dev.taskbound.core.testing.CliProcess;
import dev.taskbound.core.testing.FinishedCommand;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code session start} gives up on a session that does not open in time and ends it; the
 * supervisor's teardown is waited for, however long GitHub makes it, never cut short by a kill
 * (which left the token unrevoked and the evidence unsealed). Through what ships: bin/taskbound and
 * the shaded jar, GitHub as a loopback WireMock stand-in that answers the installation lookup after
 * the start's timeout and times out the first three revocations (the broker's request timeout is 10 s).
 */
@Timeout(240)
class SessionStartTimeoutIT {
  private static final KeyPair APP_KEY = TestKeys.rsa();

  @TempDir Path work;
  @RegisterExtension final CredentialApis apis = new CredentialApis();

  @Test
  void aSessionThatOpensTooLateIsEndedAndItsTeardownRunsToTheEndHoweverLongItTakes() throws Exception {
    WireMockServer github = apis.github();
    GithubStubs.stubApp(github);
    github.stubFor(get(urlEqualTo("/repos/acme/app/installation")).atPriority(1).willReturn(aResponse().withStatus(200)
        .withHeader("Content-Type", "application/json").withFixedDelay(8_000)
        .withBody("{\"id\":" + GithubStubs.INSTALLATION_ID + ",\"app_id\":" + GithubStubs.APP_ID
            + ",\"account\":{\"login\":\"acme\",\"type\":\"Organization\"},\"access_tokens_url\":\""
            + github.baseUrl() + GithubStubs.ACCESS_TOKENS_PATH + "\",\"repository_selection\":\"selected\","
            + "\"permissions\":{\"contents\":\"write\",\"metadata\":\"read\"}}")));
    for (int attempt = 1; attempt <= 3; attempt++) {
      github.stubFor(delete(urlEqualTo("/installation/token")).atPriority(1).inScenario("slow revoke")
          .whenScenarioStateIs(attempt == 1 ? Scenario.STARTED : "attempt " + attempt)
          .willSetStateTo("attempt " + (attempt + 1))
          .willReturn(aResponse().withStatus(204).withFixedDelay(11_000)));
    }
    Path ws = AgentOwner.own(Files.createDirectories(work.resolve("ws")));
    Path policy = apis.writeTask(work.resolve("task.yml"), "");
    Map<String, String> env = Map.of(
        "XDG_CACHE_HOME", work.resolve("cache").toString(),
        "TASKBOUND_HOME", work.resolve("home").toString(),
        "TASKBOUND_JAR", CliProcess.shadedJar().toString(),
        "TASKBOUND_GITHUB_APP_ID", GithubStubs.APP_ID,
        "TASKBOUND_GITHUB_APP_KEY", TestKeys.pkcs1Pem(APP_KEY),
        "TASKBOUND_GITHUB_API_URL", github.baseUrl(),
        "TASKBOUND_SESSION_START_TIMEOUT", "3");

    FinishedCommand start = FinishedCommand.run(List.of(CliProcess.launcher().toString(), "session", "start",
        "--task", "SLOW-1", "--policy", policy.toString(), "--out", work.resolve("out").toString()),
        ws, env, Duration.ofSeconds(200));

    assertThat(start.status()).as(start.all()).isEqualTo(121);
    assertThat(start.stdout()).as("no handle: the session is not open for commands").isEmpty();
    assertThat(start.stderr())
        .contains("taskbound: the session did not open within 3 s (TASKBOUND_SESSION_START_TIMEOUT); ending it")
        .containsPattern("teardown revoke-github-token +ok")
        .containsPattern("teardown seal-evidence +ok");
    github.verify(4, deleteRequestedFor(urlEqualTo("/installation/token")));
    try (Stream<Path> bundles = Files.list(work.resolve("out"))) {
      assertThat(bundles.map(p -> p.getFileName().toString())).anyMatch(n -> n.matches("SLOW-1-.*\\.zip"));
    }
  }

  @Test
  void aTimeThatIsNoWholeNumberOfSecondsIsAUsageErrorBeforeAnyProcessStarts() throws Exception {
    Path ws = AgentOwner.own(Files.createDirectories(work.resolve("ws")));
    Path policy = apis.writeTask(work.resolve("task.yml"), "");

    FinishedCommand start = FinishedCommand.run(List.of(CliProcess.launcher().toString(), "session", "start",
        "--task", "SLOW-2", "--policy", policy.toString()), ws, Map.of(
            "XDG_CACHE_HOME", work.resolve("cache").toString(), "TASKBOUND_HOME", work.resolve("home").toString(),
            "TASKBOUND_JAR", CliProcess.shadedJar().toString(), "TASKBOUND_SESSION_START_TIMEOUT", "2m"),
        Duration.ofSeconds(60));

    assertThat(start.status()).as(start.all()).isEqualTo(125);
    assertThat(start.stderr()).contains("TASKBOUND_SESSION_START_TIMEOUT: '2m' is not a time to wait for the session"
        + " to open; accepted: whole seconds from 1 to 86400 (default 120)");
    assertThat(work.resolve("home/sessions")).doesNotExist();
  }
}
