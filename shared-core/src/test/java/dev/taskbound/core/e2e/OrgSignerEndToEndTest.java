package dev.taskbound.core.e2e;

import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import dev.taskbound.core.broker.vault.TransitStub;
import dev.taskbound.core.broker.vault.VaultStubs;
import dev.taskbound.core.cli.TaskboundCli;
import dev.taskbound.core.testing.RunArtifacts;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14 end to end: a Ceiling names a Vault Transit signer; {@code run} has it certify the
 * session's evidence key at open, and a reviewer verifies the bundle with the org's public keys
 * (fetched once from {@code transit/keys/<key>}) and the kid the host printed. An unreachable signer
 * keeps the session from opening (exit 122).
 */
class OrgSignerEndToEndTest {
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
        "apiVersion: taskbound.dev/v1", "kind: Task", "spec:", "  ttl: 10m", "  sandbox:", "    backends: [proxy]",
        "    enforcement: cooperative", ""));
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

  private Run taskbound(Map<String, String> env, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int status = TaskboundCli.execute(args, new PrintWriter(out), new PrintWriter(err), env);
    return new Run(status, out.toString(), err.toString());
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
}
