package dev.taskbound.core.e2e;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.put;
import static com.github.tomakehurst.wiremock.client.WireMock.putRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlMatching;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import dev.taskbound.core.testing.CliProcess;
import dev.taskbound.core.testing.FileGrep;
import dev.taskbound.core.testing.RunArtifacts;
import dev.taskbound.core.testing.StubCertificates;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15 with Maven: {@code bin/taskbound run} with the shaded jar, a netns sandbox and a policy
 * that inspects {@code repo.test}, a WireMock stand-in for a Maven repository over HTTPS that
 * answers 401 unless it gets the deployer's real password. The agent runs the real {@code mvn
 * deploy:deploy-file} (the plugin from the repository scripts/test-prerequisites.sh fetched; the
 * sandbox reaches only the stand-in), holding the password's placeholder in the session's
 * {@code settings.xml}. With {@code package.publish: allow} the repository receives the artifact with
 * the real password; with {@code deny} no {@code PUT} reaches it.
 */
@Timeout(300)
class InspectedMavenDeployLauncherIT {
  private static final Duration WAIT = Duration.ofSeconds(200);
  private static final Path PLUGIN_REPO = Path.of("/opt/taskbound-test/maven-deploy/m2");
  private static final String ARTIFACT = "/releases/dev/taskbound/test/tiny/1.0/tiny-1.0";
  /** Made at run time so that no class file holds it. */
  private static final String PASSWORD = "mvn" + UUID.randomUUID().toString().replace("-", "") + "deploy";
  private static final String BASIC = "Basic " + Base64.getEncoder().encodeToString(("deployer:" + PASSWORD)
      .getBytes(StandardCharsets.UTF_8));

  @TempDir Path work;
  private WireMockServer repository;
  private StubCertificates.Files tls;

  @BeforeEach
  void startRepository() throws Exception {
    assertThat(PLUGIN_REPO).as("maven-deploy-plugin is fetched by scripts/test-prerequisites.sh").isDirectory();
    tls = StubCertificates.forHosts(Files.createDirectories(work.resolve("stub-tls")), "repo.test");
    repository = new WireMockServer(options().bindAddress("127.0.0.1").httpDisabled(true).dynamicHttpsPort()
        .keystorePath(tls.serverKeyStore().toString()).keystoreType("PKCS12")
        .keystorePassword(StubCertificates.PASSWORD).keyManagerPassword(StubCertificates.PASSWORD)
        .http2PlainDisabled(true).http2TlsDisabled(true));
    repository.start();
    // Like a repository manager: a challenge without the deployer's password, nothing to read yet.
    repository.stubFor(any(urlMatching("/releases/.*")).atPriority(10).willReturn(aResponse().withStatus(401)
        .withHeader("WWW-Authenticate", "Basic realm=\"stand-in\"")));
    repository.stubFor(get(urlMatching("/releases/.*")).atPriority(1)
        .withHeader("Authorization", com.github.tomakehurst.wiremock.client.WireMock.equalTo(BASIC))
        .willReturn(aResponse().withStatus(404)));
    repository.stubFor(put(urlMatching("/releases/.*")).atPriority(1)
        .withHeader("Authorization", com.github.tomakehurst.wiremock.client.WireMock.equalTo(BASIC))
        .willReturn(aResponse().withStatus(201)));
  }

  @AfterEach
  void stopRepository() {
    repository.stop();
  }

  @Test
  void mvnDeploysWithAPlaceholderTheRepositoryGetsTheRealPasswordAndTheGateJudgesPackagePublish() throws Exception {
    assertThat(deploy("allow")).contains("deploy=0").contains("settings-placeholder=1");

    List<LoggedRequest> puts = repository.findAll(putRequestedFor(anyUrl()));
    assertThat(puts).extracting(LoggedRequest::getUrl).contains(ARTIFACT + ".jar", ARTIFACT + ".pom",
        "/releases/dev/taskbound/test/tiny/maven-metadata.xml");
    assertThat(puts).filteredOn(r -> BASIC.equals(r.getHeader("Authorization"))).extracting(LoggedRequest::getUrl)
        .contains(ARTIFACT + ".jar", ARTIFACT + ".pom");
    assertThat(puts).filteredOn(r -> r.getUrl().equals(ARTIFACT + ".jar") && BASIC.equals(r.getHeader("Authorization")))
        .first().satisfies(r -> assertThat(r.getBodyAsString()).isEqualTo("tiny artifact\n"));
    String events = RunArtifacts.bundleText(work.resolve("evidence-allow"), "events.jsonl");
    assertThat(events.lines().filter(l -> l.contains("\"egress.request\"") && l.contains("package.publish")
        && l.contains("\"status\":201")))
        .anySatisfy(l -> assertThat(l).contains("\"method\":\"PUT\"").contains("\"host\":\"repo.test\"")
            .contains("\"path\":\"/**/*.jar\"")
            .contains("\"decision\":\"allowed\"").contains("\"rule\":\"package.publish: allow\""));
    assertThat(FileGrep.filesContaining(PASSWORD, work)).isEmpty();
  }

  @Test
  void aGateRuleThatDeniesPackagePublishStopsMvnDeployBeforeTheRepository() throws Exception {
    assertThat(deploy("deny")).doesNotContain("deploy=0").contains("403");

    assertThat(repository.findAll(putRequestedFor(anyUrl()))).isEmpty();
    String events = RunArtifacts.bundleText(work.resolve("evidence-deny"), "events.jsonl");
    assertThat(events.lines().filter(l -> l.contains("\"egress.request\"") && l.contains("package.publish")))
        .isNotEmpty().allSatisfy(l -> assertThat(l).contains("\"method\":\"PUT\"")
            .contains("\"decision\":\"denied\"").contains("\"rule\":\"package.publish: deny\"").contains("\"status\":0"));
    assertThat(repository.findAll(anyRequestedFor(anyUrl()))).noneMatch(r -> r.getMethod().getName().equals("PUT"));
  }

  /** Runs {@code mvn deploy:deploy-file} in a session whose gate rule gives package.publish {@code decision}. */
  private String deploy(String decision) throws Exception {
    int port = repository.httpsPort();
    String url = "https://repo.test:" + port + "/releases";
    Path policy = Files.writeString(work.resolve("task-" + decision + ".yml"), String.join("\n",
        "apiVersion: taskbound.dev/v1",
        "kind: Task",
        "spec:",
        "  ttl: 10m",
        "  sandbox:",
        "    backends: [netns]",
        "  egress:",
        "    allow: [\"repo.test:" + port + "\"]",
        "    inspect: [repo.test]",
        "    hosts:",
        "      repo.test: 127.0.0.1",
        "  registries:",
        "    - kind: maven",
        "      id: standin",
        "      url: '" + url + "'",
        "      credentials: {username: deployer, password: {env: MAVEN_DEPLOY_PASSWORD}}",
        "  gate:",
        "    rules:",
        "      - {action: package.publish, decision: " + decision + "}",
        ""));
    // Maven 3.8 does not read MAVEN_ARGS: the agent passes the session's settings itself.
    String agent = String.join("\n",
        "mkdir dep && cd dep || exit 13",
        "cp -r " + PLUGIN_REPO + " m2 && find m2 -name _remote.repositories -delete || exit 14",
        "printf 'tiny artifact\\n' > tiny.jar",
        "mvn -B $MAVEN_ARGS -Dmaven.repo.local=$PWD/m2 org.apache.maven.plugins:maven-deploy-plugin:3.1.2:deploy-file"
            + " -Dfile=tiny.jar -DgroupId=dev.taskbound.test -DartifactId=tiny -Dversion=1.0 -Dpackaging=jar"
            + " -DrepositoryId=standin -Durl=" + url + " > mvn.log 2>&1; echo deploy=$?",
        "grep -E 'ERROR|BUILD' mvn.log | head -5",
        "printf 'settings-placeholder=%s\\n' \"$(grep -c 'tbph' \"${MAVEN_ARGS#-s }\")\"",
        "");
    Map<String, String> env = new LinkedHashMap<>();
    env.put("TASKBOUND_HOME", work.resolve("home").toString());
    env.put("TASKBOUND_RUNTIME_DIR", work.resolve("rt").toString());
    env.put("TASKBOUND_INSPECT_UPSTREAM_CA", tls.caPem().toString());
    env.put("MAVEN_DEPLOY_PASSWORD", PASSWORD);
    try (CliProcess run = CliProcess.startLauncher(work, env, "run", "--task", "IT-15-mvn", "--policy", policy.toString(),
        "--out", work.resolve("evidence-" + decision).toString(), "--", "sh", "-c", agent)) {
      int status = run.waitFor(WAIT);

      assertThat(status).as(run.stdout() + "\n" + run.stderr()).isZero();
      assertThat(run.stderr()).contains("teardown ok");
      System.out.println(run.stdout());
      return run.stdout();
    }
  }
}
