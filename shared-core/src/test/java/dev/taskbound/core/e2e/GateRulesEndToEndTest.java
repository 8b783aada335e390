package dev.taskbound.core.e2e;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.delete;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static dev.taskbound.core.broker.vault.VaultStubs.KV2_VALUE;
import static dev.taskbound.core.broker.vault.VaultStubs.SECRET_ID;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import dev.taskbound.core.broker.Secret;
import dev.taskbound.core.broker.TestKeys;
import dev.taskbound.core.broker.vault.VaultStubs;
import dev.taskbound.core.testing.CliProcess;
import dev.taskbound.core.testing.RunArtifacts;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
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
 * Issue 10, reproduction 5: the policy's {@code gate.rules} decide the agent API's actions
 * ({@code secret.read}, {@code github.token.refresh}) in a real {@code taskbound run} (child JVM,
 * netns sandbox, gateway), the agent asking with {@code taskbound secret get} and {@code taskbound
 * token refresh}; GitHub and Vault are loopback WireMock stubs. Every decision is a {@code
 * gate.decided} event naming the rule that made it, or the default.
 */
@Timeout(180)
class GateRulesEndToEndTest {
  private static final Duration WAIT = Duration.ofSeconds(90);
  private static final String GH_TOKEN = "ghs_SENTINELgateTOKEN0123456789abcdefghijXYZ";
  private static final String REFRESHED = "ghs_SENTINELgateREFRESHED0123456789abcdefgh";
  private static final String PEM = TestKeys.pkcs1Pem(TestKeys.rsa());
  private static final String KV2_PATH = "/v1/kv/data/app/db";
  private static final String MINT_PATH = "/app/installations/42/access_tokens";
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The agent: one secret read, one token refresh, each with its exit status. */
  private static final String AGENT = String.join("\n",
      "tb() { java -cp '" + System.getProperty("java.class.path") + "' dev.taskbound.core.cli.Main \"$@\"; }",
      "v=$(tb secret get signing); echo \"secret-status=$?\"",
      "[ -n \"$v\" ] && printf 'signing-sha=%s\\n' \"$(printf %s \"$v\" | sha256sum | cut -c1-64)\"",
      "n=$(tb token refresh); echo \"refresh-status=$?\"",
      "[ -n \"$n\" ] && [ \"$n\" != \"$GH_TOKEN\" ] && echo refreshed=new",
      "exit 0",
      "");

  @TempDir Path work;
  @RegisterExtension final CredentialApis apis = new CredentialApis();
  private WireMockServer github;
  private WireMockServer vault;
  private Path out;

  @BeforeEach
  void startStubs() {
    github = apis.github();
    vault = apis.vault();
    stubGithub();
    VaultStubs.stubAll(vault);
    out = work.resolve("evidence");
  }

  @Test
  void anAllowRuleServesTheSecretAndAnActionNoRuleNamesGetsTheDefaultAllow() throws Exception {
    String stderr;
    try (CliProcess run = run("T-10-allow", "    - {action: secret.read, decision: allow}")) {
      int status = run.waitFor(WAIT);
      stderr = run.stderr();

      assertThat(status).as(stderr).isZero();
      assertThat(run.stdout()).contains("secret-status=0").contains("signing-sha=" + sha256(KV2_VALUE))
          .contains("refresh-status=0").contains("refreshed=new");
    }

    vault.verify(1, getRequestedFor(urlEqualTo(KV2_PATH)));
    github.verify(2, postRequestedFor(urlEqualTo(MINT_PATH)));
    List<JsonNode> decided = gateDecisions();
    assertThat(decided).hasSize(2);
    assertThat(decided.get(0).toString()).isEqualTo("{\"action\":\"secret.read\",\"decision\":\"allow\","
        + "\"name\":\"signing\",\"rule\":\"secret.read: allow\",\"rule_source\":\"" + policyFile() + ":14\"}");
    assertThat(decided.get(1).toString())
        .isEqualTo("{\"action\":\"github.token.refresh\",\"decision\":\"allow\",\"name\":\"github\",\"rule\":\"default\"}");
    assertThat(types()).contains("secret.accessed", "credential.refreshed");
  }

  @Test
  void denyRulesRefuseBothActionsAndTheDeniedSecretIsNeverFetched() throws Exception {
    try (CliProcess run = run("T-10-deny",
        "    - {action: secret.read, decision: deny}",
        "    - {action: github.token.refresh, decision: deny}")) {
      int status = run.waitFor(WAIT);

      assertThat(status).as(run.stderr()).isZero();
      assertThat(run.stdout()).contains("secret-status=122").contains("refresh-status=122")
          .doesNotContain("signing-sha=").doesNotContain("refreshed=new");
      assertThat(run.stderr())
          .contains("could not get secret 'signing': the agent API answered 403 forbidden: secret.read of 'signing'"
              + " denied: denied by gate rule 'secret.read: deny' (" + policyFile() + ":14)")
          .contains("403 forbidden: github.token.refresh of 'github' denied: denied by gate rule"
              + " 'github.token.refresh: deny' (" + policyFile() + ":15)");
    }

    vault.verify(0, getRequestedFor(urlEqualTo(KV2_PATH)));
    github.verify(1, postRequestedFor(urlEqualTo(MINT_PATH)));
    List<JsonNode> decided = gateDecisions();
    assertThat(decided).extracting(d -> d.get("decision").asText()).containsExactly("deny", "deny");
    assertThat(decided).extracting(d -> d.get("rule").asText())
        .containsExactly("secret.read: deny", "github.token.refresh: deny");
    assertThat(types()).contains("secret.denied", "credential.refresh_denied")
        .doesNotContain("secret.accessed", "credential.refreshed");
    assertThat(RunArtifacts.bundleText(out, "events.jsonl")).doesNotContain(Secret.of(KV2_VALUE).fingerprint());
  }

  /** Review finding: a deny rule naming the secret refused it, but the secret was still read from Vault at open. */
  @Test
  void aDenyRuleNamingTheSecretRefusesItAndItIsNeverFetched() throws Exception {
    try (CliProcess run = run("T-10-deny-one", "    - {action: secret.read.signing, decision: deny}")) {
      int status = run.waitFor(WAIT);

      assertThat(status).as(run.stderr()).isZero();
      assertThat(run.stdout()).contains("secret-status=122").doesNotContain("signing-sha=");
      assertThat(run.stderr()).contains("denied by gate rule 'secret.read.signing: deny' (" + policyFile() + ":14)");
    }

    vault.verify(0, getRequestedFor(urlEqualTo(KV2_PATH)));
    assertThat(RunArtifacts.bundleText(out, "events.jsonl")).doesNotContain(Secret.of(KV2_VALUE).fingerprint());
  }

  @Test
  void anApproveRuleNobodyAnswersWaitsThePolicysTimeoutThenRefusesBothActionsSayingItExpired() throws Exception {
    try (CliProcess run = run("T-10-approve", "    - {action: \"*\", decision: approve}", "    approval: {timeout: 1s}")) {
      int status = run.waitFor(WAIT);

      assertThat(status).as(run.stderr()).isZero();
      assertThat(run.stdout()).contains("secret-status=122").contains("refresh-status=122").doesNotContain("signing-sha=");
      assertThat(run.stderr())
          .contains("403 forbidden: secret.read of 'signing' denied: gate rule '*: approve' (" + policyFile()
              + ":14) requires a person's approval; approval-1 expired by taskbound (timeout): nobody answered within 1s"
              + " (gate.approval.timeout)")
          .contains("403 forbidden: github.token.refresh of 'github' denied: gate rule '*: approve' (" + policyFile()
              + ":14) requires a person's approval; approval-2 expired by taskbound (timeout)");
    }

    // fetched at open, because an approval could serve it; never handed out
    vault.verify(1, getRequestedFor(urlEqualTo(KV2_PATH)));
    github.verify(1, postRequestedFor(urlEqualTo(MINT_PATH)));
    assertThat(gateDecisions()).extracting(d -> d.get("decision").asText() + " by " + d.get("rule").asText())
        .containsExactly("approve by *: approve", "approve by *: approve");
    assertThat(events().stream().filter(e -> e.get("type").asText().startsWith("approval."))
        .map(e -> e.get("type").asText() + " " + e.get("data").get("action").asText() + " " + e.get("data").get("source").asText()))
        .containsExactly("approval.requested secret.read agent api", "approval.expired secret.read agent api",
            "approval.requested github.token.refresh agent api", "approval.expired github.token.refresh agent api");
    assertThat(types()).contains("secret.denied").doesNotContain("secret.accessed", "credential.refreshed");
  }

  private CliProcess run(String task, String... rules) throws IOException {
    Path home = Files.createDirectories(work.resolve("home"));
    Path runtime = Files.createDirectories(work.resolve("rt"));
    Map<String, String> env = new LinkedHashMap<>();
    env.put("TASKBOUND_HOME", home.toString());
    env.put("TASKBOUND_RUNTIME_DIR", runtime.toString());
    env.put("TASKBOUND_GITHUB_APP_ID", "12345");
    env.put("TASKBOUND_GITHUB_APP_KEY", PEM);
    env.put("TASKBOUND_GITHUB_API_URL", github.baseUrl());
    env.put("TASKBOUND_VAULT_ADDR", vault.baseUrl());
    env.put("TASKBOUND_VAULT_AUTH", "approle");
    env.put("TASKBOUND_VAULT_ROLE_ID", "role-0001");
    env.put("TASKBOUND_VAULT_SECRET_ID", SECRET_ID);
    // The agent runs the same CLI inside the sandbox.
    // the class path on the command line: host variables such as CLASSPATH do not reach the agent
    return CliProcess.start(work, env, "run", "--task", task, "--policy", policy(rules).toString(),
        "--out", out.toString(), "--", "sh", "-c", AGENT);
  }

  /** The gate rules start on line 14. */
  private Path policy(String... rules) throws IOException {
    List<String> lines = new ArrayList<>(List.of(
        "apiVersion: taskbound.dev/v1",
        "kind: Task",
        "spec:",
        "  ttl: 10m",
        "  sandbox:",
        "    backends: [netns]",
        "  github:",
        "    repositories: [acme/app]",
        "    permissions: {contents: read}",
        "  egress:",
        "    allow: []",
        "  gate:",
        "    rules:"));
    lines.addAll(List.of(rules));
    lines.addAll(List.of(
        "  vault:",
        "    policies: [app-read]",
        "    secrets:",
        "      - {name: signing, kind: kv2, path: kv/app/db, field: password, access: on-request}"));
    return Files.writeString(policyFile(), String.join("\n", lines) + "\n");
  }

  private Path policyFile() {
    return work.resolve("task.yml");
  }

  private void stubGithub() {
    github.stubFor(get(urlEqualTo("/app")).willReturn(okJson(
        "{\"id\":12345,\"slug\":\"taskbound-test\",\"name\":\"Taskbound test\",\"owner\":{\"login\":\"acme\"}}")));
    github.stubFor(get(urlEqualTo("/repos/acme/app/installation")).willReturn(okJson(
        "{\"id\":42,\"app_id\":12345,\"account\":{\"login\":\"acme\",\"type\":\"Organization\"},"
            + "\"access_tokens_url\":\"" + github.baseUrl() + MINT_PATH + "\","
            + "\"repository_selection\":\"selected\",\"target_type\":\"Organization\","
            + "\"permissions\":{\"contents\":\"write\",\"metadata\":\"read\"}}")));
    github.stubFor(post(urlEqualTo(MINT_PATH)).inScenario("refresh").whenScenarioStateIs(Scenario.STARTED)
        .willSetStateTo("refreshed").willReturn(token(GH_TOKEN)));
    github.stubFor(post(urlEqualTo(MINT_PATH)).inScenario("refresh").whenScenarioStateIs("refreshed")
        .willReturn(token(REFRESHED)));
    github.stubFor(delete(urlEqualTo("/installation/token")).willReturn(aResponse().withStatus(204)));
  }

  private static ResponseDefinitionBuilder token(String token) {
    return aResponse().withStatus(201).withHeader("Content-Type", "application/json")
        .withBody("{\"token\":\"" + token + "\",\"expires_at\":\"2026-11-27T13:00:00Z\","
            + "\"permissions\":{\"contents\":\"read\"},\"repository_selection\":\"selected\","
            + "\"repositories\":[{\"id\":1,\"name\":\"app\",\"full_name\":\"acme/app\"}]}");
  }

  private static ResponseDefinitionBuilder okJson(String body) {
    return aResponse().withStatus(200).withHeader("Content-Type", "application/json; charset=utf-8").withBody(body);
  }

  private List<JsonNode> events() throws IOException {
    List<JsonNode> events = new ArrayList<>();
    for (String line : RunArtifacts.bundleText(out, "events.jsonl").split("\n")) {
      events.add(JSON.readTree(line));
    }
    return events;
  }

  private List<String> types() throws IOException {
    return events().stream().map(e -> e.get("type").asText()).toList();
  }

  private List<JsonNode> gateDecisions() throws IOException {
    return events().stream().filter(e -> e.get("type").asText().equals("gate.decided")).map(e -> e.get("data")).toList();
  }

  private static String sha256(String value) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8)));
  }
}
