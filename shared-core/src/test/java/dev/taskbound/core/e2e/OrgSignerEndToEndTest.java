package dev.taskbound.core.e2e;

import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import dev.taskbound.core.broker.vault.TransitStub;
import dev.taskbound.core.broker.vault.VaultStubs;
import dev.taskbound.core.testing.CliProcess;
import dev.taskbound.core.testing.RunArtifacts;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14 end to end: a Ceiling names a Vault Transit signer; {@code run} has it certify the
 * session's evidence key at open, and a reviewer verifies the bundle with the org's public keys
 * (fetched once from {@code transit/keys/<key>}) and the kid the host printed. An unreachable signer
 * keeps the session from opening (exit 122). A session killed with SIGKILL is sealed by {@code
 * teardown --session} with a recovery key the same signer certifies.
 */
@Timeout(240)
class OrgSignerEndToEndTest {
  private static final Duration WAIT = Duration.ofSeconds(90);
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path work;

  private final TransitStub transit = new TransitStub();
  private WireMockServer vault;

  @BeforeEach
  void start() {
    vault = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1").extensions(transit.transformer()));
    vault.start();
    transit.stub(vault, VaultStubs.GIVEN_TOKEN);
  }

  @AfterEach
  void stop() {
    vault.stop();
  }

  private Path ceiling() throws Exception {
    return Files.writeString(work.resolve("ceiling.yml"), String.join("\n",
        "apiVersion: taskbound.dev/v1", "kind: Ceiling", "spec:", "  sandbox:", "    backends: [proxy, netns, container]",
        "    enforcement: cooperative", "  evidence:", "    signer:",
        "      vault-transit: {mount: transit, key: taskbound-evidence}", ""));
  }

  private Path task() throws Exception {
    return Files.writeString(work.resolve("task.yml"), String.join("\n",
        "apiVersion: taskbound.dev/v1", "kind: Task", "spec:", "  ttl: 10m", "  sandbox:", "    backends: [netns]", ""));
  }

  private Map<String, String> env(String vaultAddress) throws Exception {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("TASKBOUND_HOME", Files.createDirectories(work.resolve("home")).toString());
    env.put("TASKBOUND_RUNTIME_DIR", Files.createDirectories(work.resolve("rt")).toString());
    env.put("PATH", "/usr/bin:/bin");
    env.put("TASKBOUND_VAULT_ADDR", vaultAddress);
    env.put("TASKBOUND_VAULT_AUTH", "token");
    env.put("TASKBOUND_VAULT_TOKEN", VaultStubs.GIVEN_TOKEN);
    return env;
  }

  private record Run(int status, String out, String err) {}

  /**
   * A CLI process in {@code work} (the agent's workspace, owned by the agent's user): the netns backend,
   * since the cooperative proxy backend is refused while the Vault token is in Taskbound's environment.
   */
  private Run taskbound(Map<String, String> env, String... args) throws Exception {
    try (CliProcess p = CliProcess.start(work, env, args)) {
      int status = p.waitFor(WAIT);
      return new Run(status, p.stdout(), p.stderr());
    }
  }

  @Test
  void aCertifiedSessionVerifiesWithTheOrgKeysAndTheHostRecord() throws Exception {
    Path out = work.resolve("evidence");
    Run run = taskbound(env(vault.baseUrl()), "run", "--task", "T-14", "--ceiling", ceiling().toString(), "--policy",
        task().toString(), "--out", out.toString(), "--", "true");
    Matcher kid = Pattern.compile("evidence key: kid ([A-Za-z0-9_-]{43})").matcher(run.err());
    // What the platform team does once: fetch the org key's public versions.
    String keys = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(vault.baseUrl()
        + "/v1/transit/keys/taskbound-evidence")).header("X-Vault-Token", VaultStubs.GIVEN_TOKEN).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    Path trusted = Files.writeString(work.resolve("org-keys.json"), keys);

    assertThat(run.status()).as(run.err()).isZero();
    Path bundle = RunArtifacts.onlyBundle(out);
    assertThat(kid.find()).as(run.err()).isTrue();
    Run verify = taskbound(Map.of(), "verify", bundle.toString(), "--trusted-keys", trusted.toString(), "--expect-kid",
        kid.group(1));
    assertThat(verify.status()).as(verify.err()).isZero();
    assertThat(verify.out()).contains("signer verified by org signer vault-transit:transit/taskbound-evidence key version 1"
        + " (--trusted-keys) and the host record (--expect-kid " + kid.group(1) + ")");
    vault.verify(1, postRequestedFor(urlEqualTo("/v1/transit/sign/taskbound-evidence"))
        .withHeader("X-Vault-Token", equalTo(VaultStubs.GIVEN_TOKEN)));
    assertThat(RunArtifacts.bundleText(out, "events.jsonl")).contains("\"signer_statement\":{\"claims\":");
    assertThat(RunArtifacts.bundleText(out, "signer-statement.json")).contains("\"signature\" : \"vault:v1:");
  }

  @Test
  void anUnreachableSignerKeepsTheSessionFromOpeningWithTheCredentialsExitCode() throws Exception {
    int closed;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      closed = s.getLocalPort();
    }
    Path marker = work.resolve("agent-ran");

    Run run = taskbound(env("http://127.0.0.1:" + closed), "run", "--task", "T-14", "--ceiling", ceiling().toString(),
        "--policy", task().toString(), "--out", work.resolve("evidence").toString(), "--", "touch", marker.toString());

    assertThat(run.status()).as(run.err()).isEqualTo(122);
    assertThat(run.err()).contains("transit key transit/taskbound-evidence");
    assertThat(marker).doesNotExist();
  }

  @Test
  void aSessionKilledWithSigkillIsRecoveredWithAKeyTheOrgSignerCertifiesAndVerifiesWithTheOrgKeys() throws Exception {
    Path out = work.resolve("evidence");
    Map<String, String> env = env(vault.baseUrl());
    Map<String, String> noVault = new LinkedHashMap<>(env);
    noVault.keySet().removeIf(k -> k.startsWith("TASKBOUND_VAULT_"));
    Path stateDir;
    String kid;
    try (CliProcess run = CliProcess.start(work, env, "run", "--task", "T-14", "--ceiling", ceiling().toString(), "--policy",
        task().toString(), "--out", out.toString(), "--", "sleep", "600")) {
      stateDir = RunArtifacts.stateDir(run, WAIT);
      kid = run.awaitLine(l -> l.startsWith("  evidence key: kid "), WAIT).replaceFirst("  evidence key: kid (\\S+) .*", "$1");
      run.process().destroyForcibly(); // SIGKILL: the session's evidence key dies with its process
      run.waitFor(WAIT);
    }

    // A recovery without the host's Vault cannot have the key certified: the seal fails, the state stays for a retry.
    Run withoutVault = taskbound(noVault, "teardown", "--session", stateDir.toString());
    Run recovered = taskbound(env, "teardown", "--session", stateDir.toString());
    Path trusted = Files.writeString(work.resolve("org-keys.json"), transit.keysResponse());
    Path bundle = RunArtifacts.onlyBundle(out);
    Run verify = taskbound(Map.of(), "verify", bundle.toString(), "--trusted-keys", trusted.toString(), "--expect-kid", kid);
    Run unanchored = taskbound(Map.of(), "verify", bundle.toString(), "--expect-kid", kid);

    assertThat(withoutVault.status()).as(withoutVault.err()).isEqualTo(123);
    assertThat(withoutVault.err()).contains("seal-evidence").contains("certify the evidence key with"
        + " vault-transit:transit/taskbound-evidence");
    assertThat(recovered.status()).as(recovered.err()).isZero();
    assertThat(RunArtifacts.bundleText(out, "summary.md")).contains("sealed with a new key")
        .contains("the new key is certified by the org signer vault-transit:transit/taskbound-evidence");
    assertThat(stateDir).doesNotExist();
    String events = RunArtifacts.bundleText(out, "events.jsonl");
    String rekeyed = events.lines().filter(l -> l.contains("\"type\":\"evidence.rekeyed\"")).findFirst().orElseThrow();
    String fresh = rekeyed.replaceFirst(".*\"kid\":\"([A-Za-z0-9_-]{43})\".*", "$1");
    String head = rekeyed.replaceFirst(".*\"chain_head\":\"(sha256:[0-9a-f]{64})\".*", "$1");
    assertThat(rekeyed).contains("\"previous_kid\":\"" + kid + "\"").contains("\"signer_statement\":{");
    assertThat(verify.status()).as(verify.err()).isZero();
    assertThat(verify.out()).contains("resealed by recovery key " + fresh).contains("signer verified by org signer"
        + " vault-transit:transit/taskbound-evidence key version 1 (--trusted-keys), which certified recovery key " + fresh
        + " to continue chain head " + head);
    assertThat(unanchored.status()).isEqualTo(3); // the host record names the lost key, which sealed nothing
    // Exactly two signatures, each the exact request: the session's key at open, the recovery key at teardown.
    List<LoggedRequest> signs = vault.findAll(postRequestedFor(urlEqualTo("/v1/transit/sign/taskbound-evidence")));
    assertThat(signs).hasSize(2);
    JsonNode recovery = JSON.readTree(signs.get(1).getBodyAsString());
    assertThat(recovery.fieldNames()).toIterable().containsExactly("input", "hash_algorithm", "marshaling_algorithm");
    assertThat(recovery.path("hash_algorithm").asText()).isEqualTo("sha2-256");
    assertThat(recovery.path("marshaling_algorithm").asText()).isEqualTo("asn1");
    assertThat(signs.get(1).getHeader("X-Vault-Token")).isEqualTo(VaultStubs.GIVEN_TOKEN);
    JsonNode claims = JSON.readTree(Base64.getDecoder().decode(recovery.path("input").asText()));
    assertThat(claims.path("kid").asText()).isEqualTo(fresh);
    assertThat(claims.path("task").asText()).isEqualTo("T-14");
    assertThat(claims.path("session").asText()).isEqualTo(stateDir.getFileName().toString());
    assertThat(claims.path("recovery_of").path("kid").asText()).isEqualTo(kid);
    assertThat(claims.path("recovery_of").path("chain_head").asText()).isEqualTo(head);
    JsonNode opening = JSON.readTree(Base64.getDecoder().decode(JSON.readTree(signs.get(0).getBodyAsString()).path("input").asText()));
    assertThat(claims.path("policy_digest").asText()).isEqualTo(opening.path("policy_digest").asText()).startsWith("sha256:");
    assertThat(claims.path("trust_domain").asText()).isEqualTo(opening.path("trust_domain").asText()).isNotBlank();
  }
}
