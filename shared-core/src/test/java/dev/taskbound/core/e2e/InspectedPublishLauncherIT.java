package dev.taskbound.core.e2e;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.put;
import static com.github.tomakehurst.wiremock.client.WireMock.putRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import dev.taskbound.core.testing.CliProcess;
import dev.taskbound.core.testing.FileGrep;
import dev.taskbound.core.testing.RunArtifacts;
import dev.taskbound.core.testing.StubCertificates;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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
 * Issue 15 through what ships: the real npm client in the netns sandbox publishes a package to
 * {@code registry.npmjs.org}, inspected and pinned to a loopback WireMock stand-in over HTTPS (shaped
 * after npm's registry API: {@code PUT /{package}} with the packument, answered {@code 201}). The
 * agent's {@code .npmrc} holds a placeholder; the stand-in receives the real token; the gate names
 * the request {@code package.publish}, and the policy's gate rule decides it.
 */
@Timeout(240)
class InspectedPublishLauncherIT {
  private static final Duration WAIT = Duration.ofSeconds(150);
  /** Made at run time so that no class file holds it. */
  private static final String NPM_TOKEN = "npm_" + UUID.randomUUID().toString().replace("-", "") + "publish";

  @TempDir Path work;
  private WireMockServer registry;
  private StubCertificates.Files tls;

  @BeforeEach
  void startRegistry() throws Exception {
    tls = StubCertificates.forHosts(Files.createDirectories(work.resolve("stub-tls")), "registry.npmjs.org");
    registry = new WireMockServer(options().bindAddress("127.0.0.1").httpDisabled(true).dynamicHttpsPort()
        .keystorePath(tls.serverKeyStore().toString()).keystoreType("PKCS12")
        .keystorePassword(StubCertificates.PASSWORD).keyManagerPassword(StubCertificates.PASSWORD)
        .http2PlainDisabled(true).http2TlsDisabled(true));
    registry.start();
    // A package the registry does not know yet: npm reads its packument first (404), then publishes.
    registry.stubFor(get(urlEqualTo("/tb-demo")).willReturn(aResponse().withStatus(404)
        .withHeader("Content-Type", "application/json").withBody("{\"error\":\"Not found\"}")));
    registry.stubFor(put(urlEqualTo("/tb-demo")).willReturn(aResponse().withStatus(201)
        .withHeader("Content-Type", "application/json").withBody("{\"ok\":true,\"id\":\"tb-demo\",\"rev\":\"1-0\"}")));
  }

  @AfterEach
  void stopRegistry() {
    registry.stop();
  }

  @Test
  void npmPublishesWithAPlaceholderTheRegistryGetsTheRealTokenAndTheGateJudgesPackagePublish() throws Exception {
    assertThat(publish("allow")).contains("publish=0").contains("npmrc-placeholder=1");

    List<LoggedRequest> received = registry.findAll(anyRequestedFor(anyUrl()));
    assertThat(received).extracting(r -> r.getMethod().getName() + " " + r.getUrl() + " " + r.getHeader("Authorization"))
        .containsExactly("GET /tb-demo Bearer " + NPM_TOKEN, "GET /tb-demo Bearer " + NPM_TOKEN, "PUT /tb-demo Bearer " + NPM_TOKEN);
    assertThat(received.get(2)).satisfies(r -> {
      assertThat(r.getMethod().getName()).isEqualTo("PUT");
      assertThat(r.getUrl()).isEqualTo("/tb-demo");
      assertThat(r.getHeader("Authorization")).isEqualTo("Bearer " + NPM_TOKEN);
      JsonNode packument = new ObjectMapper().readTree(r.getBodyAsString());
      assertThat(packument.path("name").asText()).isEqualTo("tb-demo");
      assertThat(packument.path("versions").has("1.0.0")).isTrue();
      assertThat(packument.path("_attachments").has("tb-demo-1.0.0.tgz")).isTrue();
    });
    String events = RunArtifacts.bundleText(work.resolve("evidence-allow"), "events.jsonl");
    assertThat(events.lines().filter(l -> l.contains("\"egress.request\"") && l.contains("package.publish")))
        .singleElement().satisfies(l -> assertThat(l).contains("\"method\":\"PUT\"")
        .contains("\"host\":\"registry.npmjs.org\"").contains("\"path\":\"/{package}\"")
        .contains("{\"name\":\"package.publish\",\"target\":\"\"}").contains("\"decision\":\"allowed\"")
        .contains("\"rule\":\"package.publish: allow\"").contains("\"status\":201"));
    assertThat(FileGrep.filesContaining(NPM_TOKEN, work)).isEmpty();
  }

  @Test
  void aGateRuleThatDeniesPackagePublishStopsNpmPublishBeforeTheRegistry() throws Exception {
    assertThat(publish("deny")).contains("publish=1").contains("403");

    assertThat(registry.findAll(putRequestedFor(anyUrl()))).isEmpty(); // the packument reads went through
    String events = RunArtifacts.bundleText(work.resolve("evidence-deny"), "events.jsonl");
    assertThat(events.lines().filter(l -> l.contains("\"egress.request\"") && l.contains("package.publish")))
        .singleElement().satisfies(l -> assertThat(l).contains("\"method\":\"PUT\"")
        .contains("\"decision\":\"denied\"").contains("\"rule\":\"package.publish: deny\"").contains("\"status\":0"));
  }

  /** Runs {@code npm publish} in a session whose gate rule gives package.publish {@code decision}; returns stdout. */
  private String publish(String decision) throws Exception {
    int port = registry.httpsPort();
    Path policy = Files.writeString(work.resolve("task-" + decision + ".yml"), String.join("\n",
        "apiVersion: taskbound.dev/v1",
        "kind: Task",
        "spec:",
        "  ttl: 10m",
        "  sandbox:",
        "    backends: [netns]",
        "  egress:",
        "    allow: [\"registry.npmjs.org:" + port + "\"]",
        "    inspect: [registry.npmjs.org]",
        "    hosts:",
        "      registry.npmjs.org: 127.0.0.1",
        "  registries:",
        "    - {kind: npm, url: 'https://registry.npmjs.org:" + port + "/', token: {env: NPM_TOKEN}}",
        "  gate:",
        "    rules:",
        "      - {action: package.publish, decision: " + decision + "}",
        ""));
    String agent = String.join("\n",
        "export npm_config_update_notifier=false npm_config_audit=false npm_config_fund=false"
            + " npm_config_fetch_retries=0 npm_config_cache=/tmp/npm-cache",
        "mkdir pkg && cd pkg || exit 13",
        "printf '{\"name\":\"tb-demo\",\"version\":\"1.0.0\",\"description\":\"demo\",\"license\":\"MIT\"}' > package.json",
        "echo 'module.exports = 1;' > index.js",
        "npm publish 2>&1; echo publish=$?",
        "printf 'npmrc-placeholder=%s\\n' \"$(grep -c 'tbph' \"$NPM_CONFIG_USERCONFIG\")\"",
        "");
    Map<String, String> env = new LinkedHashMap<>();
    env.put("TASKBOUND_HOME", work.resolve("home").toString());
    env.put("TASKBOUND_RUNTIME_DIR", work.resolve("rt").toString());
    env.put("TASKBOUND_INSPECT_UPSTREAM_CA", tls.caPem().toString());
    env.put("NPM_TOKEN", NPM_TOKEN);
    try (CliProcess run = CliProcess.startLauncher(work, env, "run", "--task", "IT-15-npm", "--policy", policy.toString(),
        "--out", work.resolve("evidence-" + decision).toString(), "--", "sh", "-c", agent)) {
      int status = run.waitFor(WAIT);

      assertThat(status).as(run.stdout() + "\n" + run.stderr()).isZero();
      assertThat(run.stderr()).contains("teardown ok");
      return run.stdout();
    }
  }
}
