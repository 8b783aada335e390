package dev.taskbound.core.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.taskbound.core.testing.AgentOwner;
import dev.taskbound.core.testing.FinishedCommand;
import dev.taskbound.core.testing.RunArtifacts;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 16, approvals: an {@code approve} rule holds the agent's request (a hook call to the agent
 * API's {@code /v1/gate/check}, from a real netns sandbox) until a person answers from a second shell
 * with {@code bin/taskbound approve|deny}, or the policy's timeout expires it; every outcome is in the
 * sealed evidence with who, when, the channel and the reason. The agent cannot reach the channel.
 */
@Timeout(420)
class ApprovalsIT {
  private static final Path REPO = Path.of(System.getProperty("taskbound.repo.root")).toAbsolutePath().normalize();
  private static final Path JAR = Path.of(System.getProperty("taskbound.jar"));
  private static final ObjectMapper JSON = new ObjectMapper();
  /** The agent's gate check, as a hook makes it: curl through the gateway with the capability. */
  private static final String CHECK = "curl -sS --max-time 300 -H \"Authorization: Bearer $TASKBOUND_AGENT_TOKEN\""
      + " -H 'Content-Type: application/json' -d '{\"action\":\"github.pr.merge\",\"target\":\"\",\"reason\":\"ship it\"}'"
      + " \"$TASKBOUND_AGENT_API/v1/gate/check\"";

  @TempDir Path work;
  private Path ws;
  private final List<String> handles = new ArrayList<>();

  @BeforeEach
  void workspace() throws IOException {
    ws = Files.createDirectories(work.resolve("ws"));
    AgentOwner.own(ws); // the agent runs as the workspace's owner, never root
  }

  @AfterEach
  void endWhatIsLeft() throws Exception {
    for (String h : handles) {
      tb("session", "end", "--session", h);
    }
  }

  @Test
  void aPersonApprovesAndDeniesFromASecondShellAndTheEvidenceNamesWhoHowAndWhy() throws Exception {
    String h = start("approved", "5m");

    CompletableFuture<FinishedCommand> first = exec(h, CHECK);
    String id1 = awaitPending(h, first);
    FinishedCommand approve = tb("approve", "--session", h, id1, "--reason", "reviewed the diff");
    FinishedCommand approved = first.get(300, TimeUnit.SECONDS);
    CompletableFuture<FinishedCommand> second = exec(h, CHECK);
    String id2 = awaitPending(h, second);
    FinishedCommand deny = tb("deny", "--session", h, id2, "--reason", "not on a Friday");
    FinishedCommand denied = second.get(300, TimeUnit.SECONDS);
    FinishedCommand again = tb("approve", "--session", h, id2);
    FinishedCommand end = tb("session", "end", "--session", h);

    assertThat(approve.status()).as(approve.all()).isZero();
    assertThat(approve.stdout()).startsWith(id1 + " granted by root at ");
    assertThat(approved.status()).as(approved.all()).isZero();
    assertThat(JSON.readTree(approved.stdout()).path("decision").asText()).as(approved.stdout()).isEqualTo("allow");
    assertThat(JSON.readTree(approved.stdout()).path("reason").asText()).contains(id1 + " granted by root (cli): reviewed the diff");
    assertThat(deny.status()).as(deny.all()).isZero();
    assertThat(JSON.readTree(denied.stdout()).path("decision").asText()).as(denied.stdout()).isEqualTo("deny");
    assertThat(JSON.readTree(denied.stdout()).path("reason").asText()).contains(id2 + " denied by root (cli): not on a Friday");
    assertThat(again.status()).as(again.all()).isEqualTo(125);
    assertThat(again.stderr()).contains("no request '" + id2 + "' waits for approval");
    assertThat(end.status()).as(end.all()).isZero();
    List<JsonNode> events = events("approved");
    JsonNode requested = only(events, "approval.requested", id1);
    assertThat(requested.path("action").asText()).isEqualTo("github.pr.merge");
    assertThat(requested.path("rule").asText()).isEqualTo("github.pr.merge: approve");
    assertThat(requested.path("source").asText()).isEqualTo("gate check");
    assertThat(requested.path("requested_because").asText()).isEqualTo("ship it");
    JsonNode granted = only(events, "approval.granted", id1);
    assertThat(granted.path("who").asText()).isEqualTo("root");
    assertThat(granted.path("channel").asText()).isEqualTo("cli");
    assertThat(granted.path("reason").asText()).isEqualTo("reviewed the diff");
    assertThat(granted.path("at").asText()).isNotEmpty();
    assertThat(only(events, "approval.denied", id2).path("reason").asText()).isEqualTo("not on a Friday");
    assertThat(RunArtifacts.bundleText(work.resolve("out-approved"), "summary.md")).contains("### Approvals")
        .contains("| " + id1 + " | github.pr.merge |").contains("**granted** | root | cli |")
        .contains("**denied** | root | cli |");
    assertThat(RunArtifacts.bundleText(work.resolve("out-approved"), "report.html")).contains("<h2>Approvals</h2>")
        .contains("approval.granted");
  }

  @Test
  void nobodyAnsweringExpiresTheRequestAfterThePolicysTimeoutAsADenial() throws Exception {
    String h = start("expired", "3s");

    FinishedCommand expired = exec(h, CHECK).get(300, TimeUnit.SECONDS);
    FinishedCommand late = tb("approve", "--session", h, "approval-1");
    tb("session", "end", "--session", h);

    assertThat(JSON.readTree(expired.stdout()).path("decision").asText()).as(expired.all()).isEqualTo("deny");
    assertThat(JSON.readTree(expired.stdout()).path("reason").asText())
        .contains("approval-1 expired by taskbound (timeout): nobody answered within 3s (gate.approval.timeout)");
    assertThat(late.status()).as(late.all()).isEqualTo(125);
    JsonNode e = only(events("expired"), "approval.expired", "approval-1");
    assertThat(e.path("channel").asText()).isEqualTo("timeout");
    assertThat(e.path("who").asText()).isEqualTo("taskbound");
  }

  @Test
  void aRequestWhoseCallerGaveUpIsWithdrawnAtOnceInsteadOfStayingListedUntilItExpires() throws Exception {
    String h = start("gone", "5m");

    FinishedCommand gaveUp = exec(h, CHECK.replace("--max-time 300", "--max-time 8")).get(300, TimeUnit.SECONDS);
    boolean emptied = false;
    for (int i = 0; i < 60 && !emptied; i++) { // polled: one JVM per call paces it
      emptied = tb("approvals", "--session", h).stdout().isBlank();
    }
    tb("session", "end", "--session", h);

    assertThat(gaveUp.status()).as(gaveUp.all()).isEqualTo(28); // curl: operation timed out
    assertThat(emptied).isTrue();
    List<JsonNode> events = events("gone");
    only(events, "approval.requested", "approval-1");
    JsonNode withdrawn = only(events, "approval.withdrawn", "approval-1");
    assertThat(withdrawn.path("who").asText()).isEqualTo("taskbound");
    assertThat(withdrawn.path("channel").asText()).isEqualTo("caller-gone");
    assertThat(events.stream().filter(e -> e.path("type").asText().equals("approval.expired"))).isEmpty();
  }

  /**
   * On a terminal (script(1)) the agent gets a pty of its own and run asks on the real terminal
   * (TerminalApprovalsIT answers it); nobody answering here, the request expires and its prompt is
   * withdrawn, and the agent carries on.
   */
  @Test
  void onATerminalAPromptNobodyAnswersIsWithdrawnWhenItsRequestExpires() throws Exception {
    Path policy = Files.writeString(work.resolve("tty.yml"), "apiVersion: taskbound.dev/v1\nkind: Task\nspec:\n"
        + "  ttl: 5m\n  sandbox: {backends: [netns]}\n  gate:\n    hooks: [claude-code]\n"
        + "    rules: [{action: github.pr.merge, decision: approve}]\n    approval: {timeout: 3s}\n");
    Files.writeString(ws.resolve("agent.sh"), CHECK + "\n");
    AgentOwner.own(ws);
    Path typescript = work.resolve("tty.typescript");
    String run = REPO.resolve("bin/taskbound") + " run --task TTY-1 --policy " + policy + " --out " + work.resolve("out-tty")
        + " -- sh ./agent.sh";

    FinishedCommand r = host("script", "-qfec", run, typescript.toString());

    String screen = Files.readString(typescript, StandardCharsets.UTF_8);
    assertThat(r.status()).as(r.all() + screen).isZero();
    assertThat(screen).contains("taskbound: approval requested")
        .contains("approval-1 waits for approval: github.pr.merge (rule github.pr.merge: approve")
        .contains("(answered elsewhere, or expired)")
        .contains("approval-1 expired by taskbound (timeout)");
  }

  @Test
  void theAgentCannotReachTheApprovalsSocketNorApproveThroughTheAgentApi() throws Exception {
    String h = start("self", "5m");
    Path runtime = Path.of(JSON.readTree(Path.of(h, "session.json").toFile()).path("runtime_dir").asText());
    Path socket = runtime.resolve("approvals.sock");

    CompletableFuture<FinishedCommand> waiting = exec(h, CHECK);
    String id = awaitPending(h, waiting);
    String auth = "-H \"Authorization: Bearer $TASKBOUND_AGENT_TOKEN\" -H 'Content-Type: application/json'";
    FinishedCommand self = tb("session", "exec", "--session", h, "--", "sh", "-c", String.join("; ",
        "ls -A " + runtime + " 2>&1",
        "test -e " + socket + " && echo SOCKET-VISIBLE",
        "for p in /v1/approvals/" + id + " /v1/approve /v1/hooks/approve /v1/gate/approve; do"
            + " curl -sS --max-time 30 -o /dev/null -w \"$p %{http_code}\\n\" " + auth
            + " -d '{\"request\":\"" + id + "\",\"grant\":true}' \"$TASKBOUND_AGENT_API$p\"; done"));
    List<String> stillWaiting = tb("approvals", "--session", h).stdout().lines().toList();
    String modeOnTheHost = java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(socket));
    FinishedCommand listed = tb("approvals", "--session", h, "--json");
    // as the Jenkins build page answers for a Jenkins user
    FinishedCommand deny = tb("deny", "--session", h, id, "--reason", "cleanup", "--channel", "jenkins", "--on-behalf-of", "alice");
    waiting.get(300, TimeUnit.SECONDS);
    tb("session", "end", "--session", h);

    assertThat(modeOnTheHost).isEqualTo("rw-------"); // on the host it is there, owner-only
    assertThat(self.stdout()).as(self.all()).doesNotContain("SOCKET-VISIBLE").doesNotContain("approvals.sock")
        .contains("/v1/approvals/" + id + " 404").contains("/v1/approve 404")
        // /v1/hooks/* takes the hook's own capability, never the agent token: refused before routing
        .contains("/v1/hooks/approve 401")
        .contains("/v1/gate/approve 404");
    assertThat(stillWaiting).hasSize(1);
    assertThat(stillWaiting.get(0)).startsWith(id + "  github.pr.merge");
    assertThat(JSON.readTree(listed.stdout().lines().findFirst().orElse("{}")).path("request").asText()).as(listed.all()).isEqualTo(id);
    assertThat(JSON.readTree(listed.stdout().lines().findFirst().orElse("{}")).path("source").asText()).isEqualTo("gate check");
    assertThat(deny.status()).as(deny.all()).isZero();
    assertThat(events("self").stream().filter(e -> e.path("type").asText().equals("approval.granted"))).isEmpty();
    JsonNode denied = only(events("self"), "approval.denied", id);
    assertThat(denied.path("who").asText()).isEqualTo("alice (via root)");
    assertThat(denied.path("channel").asText()).isEqualTo("jenkins");
  }

  @Test
  void asTheGithubActionRunsItAnApproveIsGrantedOnlyByAnEnvironmentThePolicyNamesElseDeniedSayingWhy() throws Exception {
    Path policy = Files.writeString(work.resolve("gh.yml"), "apiVersion: taskbound.dev/v1\nkind: Task\nspec:\n"
        + "  ttl: 5m\n  sandbox: {backends: [netns]}\n  gate:\n    hooks: [claude-code]\n"
        + "    rules: [{action: github.pr.merge, decision: approve}]\n    approval: {environments: [production]}\n");

    FinishedCommand approved = tb("run", "--task", "GH-1", "--policy", policy.toString(), "--out", work.resolve("out-gh").toString(),
        "--approvals-before-run", "--approval-environment", "production", "--", "sh", "-c", CHECK);
    FinishedCommand denied = tb("run", "--task", "GH-2", "--policy", policy.toString(), "--out", work.resolve("out-gh2").toString(),
        "--approvals-before-run", "--", "sh", "-c", CHECK);

    assertThat(approved.status()).as(approved.all()).isZero();
    JsonNode yes = JSON.readTree(approved.stdout().lines().filter(l -> l.startsWith("{")).findFirst().orElse("{}"));
    assertThat(yes.path("decision").asText()).as(approved.all()).isEqualTo("allow");
    assertThat(yes.path("reason").asText()).contains("granted by github-environment:production (github-environment)");
    JsonNode no = JSON.readTree(denied.stdout().lines().filter(l -> l.startsWith("{")).findFirst().orElse("{}"));
    assertThat(no.path("decision").asText()).as(denied.all()).isEqualTo("deny");
    assertThat(no.path("reason").asText()).contains("GitHub Actions cannot pause a step for a person")
        .contains("the job ran in no (verified) environment");
    JsonNode granted = only(events("gh"), "approval.granted", "approval-1");
    assertThat(granted.path("who").asText()).isEqualTo("github-environment:production");
    assertThat(granted.path("channel").asText()).isEqualTo("github-environment");
    assertThat(only(events("gh2"), "approval.requested", "approval-1").path("mode").asText()).isEqualTo("before-run");
    assertThat(only(events("gh2"), "approval.denied", "approval-1").path("who").asText()).isEqualTo("taskbound");
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
        JsonNode e = JSON.readTree(line);
        out.add(e);
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

  private String start(String name, String timeout) throws Exception {
    Path policy = Files.writeString(work.resolve(name + ".yml"), "apiVersion: taskbound.dev/v1\nkind: Task\nspec:\n"
        + "  ttl: 5m\n  sandbox: {backends: [netns]}\n  gate:\n    hooks: [claude-code]\n"
        + "    rules: [{action: github.pr.merge, decision: approve}]\n    approval: {timeout: " + timeout + "}\n");
    FinishedCommand start = tb("session", "start", "--task", "APPROVE-1", "--policy", policy.toString(), "--out",
        work.resolve("out-" + name).toString());
    assertThat(start.status()).as(start.all()).isZero();
    String handle = start.stdout().strip();
    handles.add(handle);
    return handle;
  }

  private FinishedCommand tb(String... args) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(REPO.resolve("bin/taskbound").toString());
    command.addAll(List.of(args));
    return host(command.toArray(String[]::new));
  }

  private FinishedCommand host(String... args) throws Exception {
    return FinishedCommand.run(List.of(args), ws, Map.of("XDG_CACHE_HOME", work.resolve("cache").toString(),
        "TASKBOUND_HOME", work.resolve("home").toString(), "TASKBOUND_JAR", JAR.toString()), Duration.ofSeconds(300));
  }
}
