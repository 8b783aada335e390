package dev.taskbound.core.e2e;

import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static dev.taskbound.core.broker.vault.VaultStubs.KV2_VALUE;
import static dev.taskbound.core.broker.vault.VaultStubs.SECRET_ID;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;
import dev.taskbound.core.broker.Secret;
import dev.taskbound.core.broker.vault.VaultStubs;
import dev.taskbound.core.testing.AgentOwner;
import dev.taskbound.core.testing.CliProcess;
import dev.taskbound.core.testing.FileGrep;
import dev.taskbound.core.testing.FinishedCommand;
import dev.taskbound.core.testing.RunArtifacts;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 16: {@code secret.read} with {@code approve} waits for a person like every other approve
 * decision. Through what ships: {@code bin/taskbound session start} (netns sandbox, gateway, Vault
 * as a loopback WireMock stand-in), the agent runs {@code bin/taskbound secret get} inside, and a
 * person answers from a second shell with {@code bin/taskbound approve|deny}; or nobody does and the
 * request expires. Only a granted request hands the agent the value.
 */
@Timeout(420)
class ApprovedSecretLauncherIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path work;
  @RegisterExtension final CredentialApis apis = new CredentialApis();
  private WireMockServer vault;
  private Path ws;
  private String agent;
  private final List<String> handles = new ArrayList<>();

  @BeforeEach
  void setUp() throws IOException {
    vault = apis.vault();
    VaultStubs.stubAll(vault);
    ws = Files.createDirectories(work.resolve("ws"));
    // The agent runs the same launcher from its workspace (the sandbox shows it the jar, not this checkout).
    Path launcher = Files.copy(CliProcess.launcher(), ws.resolve("taskbound"));
    Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));
    AgentOwner.own(ws);
    agent = String.join("; ",
        "v=$(TASKBOUND_JAR='" + CliProcess.shadedJar() + "' ./taskbound secret get signing)",
        "echo \"secret-status=$?\"",
        "[ -n \"$v\" ] && printf 'signing-sha=%s\\n' \"$(printf %s \"$v\" | sha256sum | cut -c1-64)\"",
        "exit 0");
  }

  @AfterEach
  void endWhatIsLeft() throws Exception {
    for (String h : handles) {
      tb("session", "end", "--session", h);
    }
  }

  @Test
  void theAgentGetsAnApprovedSecretOnlyAfterAPersonApprovesFromASecondShellAndADeniedOneNever() throws Exception {
    String h = start("answered", "5m");

    CompletableFuture<FinishedCommand> first = exec(h, agent);
    String id1 = awaitPending(h, first);
    List<String> listed = tb("approvals", "--session", h).stdout().lines().toList();
    FinishedCommand approve = tb("approve", "--session", h, id1, "--reason", "release signing");
    FinishedCommand approved = first.get(300, TimeUnit.SECONDS);
    CompletableFuture<FinishedCommand> second = exec(h, agent);
    String id2 = awaitPending(h, second);
    FinishedCommand deny = tb("deny", "--session", h, id2, "--reason", "not for this task");
    FinishedCommand denied = second.get(300, TimeUnit.SECONDS);
    FinishedCommand end = tb("session", "end", "--session", h);

    assertThat(listed).singleElement().satisfies(l -> assertThat(l).startsWith(id1 + "  secret.read 'signing'  (rule secret.read: approve)"));
    assertThat(approve.status()).as(approve.all()).isZero();
    assertThat(approved.stdout()).as(approved.all()).contains("secret-status=0").contains("signing-sha=" + sha256(KV2_VALUE));
    assertThat(deny.status()).as(deny.all()).isZero();
    assertThat(denied.stdout()).as(denied.all()).contains("secret-status=122").doesNotContain("signing-sha=");
    assertThat(denied.stderr()).contains("403 forbidden: secret.read of 'signing' denied: gate rule 'secret.read: approve' (")
        .contains("requires a person's approval; " + id2 + " denied by root (cli): not for this task");
    assertThat(end.status()).as(end.all()).isZero();
    vault.verify(1, getRequestedFor(urlEqualTo("/v1/kv/data/app/db"))); // read once at open, kept in memory
    List<JsonNode> events = events("answered");
    JsonNode requested = only(events, "approval.requested", id1);
    assertThat(requested.path("action").asText()).isEqualTo("secret.read");
    assertThat(requested.path("target").asText()).isEqualTo("signing");
    assertThat(requested.path("rule").asText()).isEqualTo("secret.read: approve");
    assertThat(requested.path("source").asText()).isEqualTo("agent api");
    JsonNode granted = only(events, "approval.granted", id1);
    assertThat(granted.path("who").asText()).isEqualTo("root");
    assertThat(granted.path("channel").asText()).isEqualTo("cli");
    assertThat(granted.path("reason").asText()).isEqualTo("release signing");
    assertThat(only(events, "approval.denied", id2).path("reason").asText()).isEqualTo("not for this task");
    assertThat(events.stream().filter(e -> e.path("type").asText().equals("secret.accessed")))
        .singleElement().satisfies(e -> assertThat(e.path("data").path("fingerprint").asText()).isEqualTo(Secret.of(KV2_VALUE).fingerprint()));
    assertThat(events.stream().filter(e -> e.path("type").asText().equals("secret.denied"))).hasSize(1);
    assertThat(RunArtifacts.bundleText(work.resolve("out-answered"), "summary.md")).contains("### Approvals")
        .contains("| " + id1 + " | secret.read |").contains("**granted** | root | cli |").contains("**denied** | root | cli |");
    assertThat(FileGrep.filesContaining(KV2_VALUE, work)).isEmpty();
  }

  @Test
  void aSecretNobodyApprovesExpiresAfterThePolicysTimeoutAndIsRefused() throws Exception {
    Path policy = policy("expired", "2s");

    FinishedCommand run = tb("run", "--task", "SECRET-2", "--policy", policy.toString(), "--out", work.resolve("out-expired").toString(),
        "--", "sh", "-c", agent);

    assertThat(run.status()).as(run.all()).isZero();
    assertThat(run.stdout()).contains("secret-status=122").doesNotContain("signing-sha=");
    assertThat(run.stderr()).contains("taskbound: approval-1 waits for approval: secret.read 'signing'")
        .contains("approval-1 expired by taskbound (timeout): nobody answered within 2s (gate.approval.timeout)");
    JsonNode expired = only(events("expired"), "approval.expired", "approval-1");
    assertThat(expired.path("who").asText()).isEqualTo("taskbound");
    assertThat(expired.path("channel").asText()).isEqualTo("timeout");
    assertThat(expired.path("source").asText()).isEqualTo("agent api");
    assertThat(events("expired").stream().filter(e -> e.path("type").asText().equals("secret.accessed"))).isEmpty();
  }

  private Path policy(String name, String timeout) throws IOException {
    return Files.writeString(work.resolve(name + ".yml"), String.join("\n",
        "apiVersion: taskbound.dev/v1",
        "kind: Task",
        "spec:",
        "  ttl: 10m",
        "  sandbox: {backends: [netns]}",
        "  egress: {allow: []}",
        "  gate:",
        "    rules: [{action: secret.read, decision: approve}]",
        "    approval: {timeout: " + timeout + "}",
        "  vault:",
        "    policies: [app-read]",
        "    secrets:",
        "      - {name: signing, kind: kv2, path: kv/app/db, field: password, access: on-request}",
        ""));
  }

  private String start(String name, String timeout) throws Exception {
    FinishedCommand start = tb("session", "start", "--task", "SECRET-1", "--policy", policy(name, timeout).toString(), "--out",
        work.resolve("out-" + name).toString());
    assertThat(start.status()).as(start.all()).isZero();
    String handle = start.stdout().strip();
    handles.add(handle);
    return handle;
  }

  /** Polls the listing (one JVM per call paces it) until a request waits; fails if the agent's call ended first. */
  private String awaitPending(String h, CompletableFuture<FinishedCommand> caller) throws Exception {
    for (int i = 0; i < 120; i++) {
      assertThat(caller).as("ended before asking: " + (caller.isDone() ? caller.get().all() : "")).isNotDone();
      FinishedCommand list = tb("approvals", "--session", h);
      assertThat(list.status()).as(list.all()).isZero();
      if (!list.stdout().isBlank()) {
        return list.stdout().lines().findFirst().orElseThrow().split(" ")[0];
      }
    }
    throw new AssertionError("no request waited for approval");
  }

  private List<JsonNode> events(String name) throws IOException {
    List<JsonNode> out = new ArrayList<>();
    for (String line : RunArtifacts.bundleText(work.resolve("out-" + name), "events.jsonl").split("\n")) {
      if (!line.isBlank()) {
        out.add(JSON.readTree(line));
      }
    }
    return out;
  }

  private static JsonNode only(List<JsonNode> events, String type, String request) {
    List<JsonNode> found = events.stream()
        .filter(e -> e.path("type").asText().equals(type) && e.path("data").path("request").asText().equals(request))
        .map(e -> e.path("data")).toList();
    assertThat(found).as(type + " " + request).hasSize(1);
    return found.get(0);
  }

  private CompletableFuture<FinishedCommand> exec(String h, String script) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return tb("session", "exec", "--session", h, "--", "sh", "-c", script);
      } catch (Exception e) {
        throw new java.util.concurrent.CompletionException(e);
      }
    });
  }

  private static String sha256(String value) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8)));
  }

  private FinishedCommand tb(String... args) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(CliProcess.launcher().toString());
    command.addAll(List.of(args));
    Map<String, String> env = new LinkedHashMap<>();
    env.put("XDG_CACHE_HOME", work.resolve("cache").toString());
    env.put("TASKBOUND_HOME", work.resolve("home").toString());
    env.put("TASKBOUND_JAR", CliProcess.shadedJar().toString());
    env.put("TASKBOUND_VAULT_ADDR", vault.baseUrl());
    env.put("TASKBOUND_VAULT_AUTH", "approle");
    env.put("TASKBOUND_VAULT_ROLE_ID", "role-0001");
    env.put("TASKBOUND_VAULT_SECRET_ID", SECRET_ID);
    return FinishedCommand.run(command, ws, env, Duration.ofSeconds(300));
  }
}
