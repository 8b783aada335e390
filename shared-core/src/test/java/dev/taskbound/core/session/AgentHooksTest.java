package dev.taskbound.core.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.taskbound.core.egress.RuleSet;
import dev.taskbound.core.gate.ActionRules;
import dev.taskbound.core.gate.GateRules;
import dev.taskbound.core.gate.HookHandler;
import dev.taskbound.core.gate.ToolGate;
import dev.taskbound.core.policy.GateDecision;
import dev.taskbound.core.policy.HookPolicy;
import dev.taskbound.core.policy.PromptRecording;
import dev.taskbound.core.policy.ToolRule;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 16: the session's side of Claude Code's hooks: what it records and what it answers. */
class AgentHooksTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String SECRET = "ghs_sentinelSecretValue0123456789abcdefXYZ";

  @TempDir Path workspace;
  private final List<Map.Entry<String, Map<String, Object>>> events = new ArrayList<>();

  private AgentHooks hooks(PromptRecording prompts, ToolRule... rules) {
    GateRules none = GateRules.none();
    ActionRules actions = new ActionRules(none, "T-1");
    return new AgentHooks(new HookPolicy(List.of("claude-code"), prompts, List.of(rules)),
        new ToolGate(none, actions, List.of(rules), RuleSet.of(List.of(), List.of())), actions, workspace,
        text -> text.replace(SECRET, "***"), (type, data) -> events.add(Map.entry(type, new java.util.LinkedHashMap<String, Object>(data))));
  }

  private HookHandler.Answer send(AgentHooks hooks, String json) throws Exception {
    return hooks.handle("hooks/claude-code", JSON.readTree(json));
  }

  @Test
  void aDeniedToolCallIsRecordedBeforeAndAfterTheDecisionLinkedToItsPromptAndAnsweredInClaudeCodesFormat() throws Exception {
    AgentHooks hooks = hooks(PromptRecording.FULL,
        new ToolRule("tool.bash", "git push *", GateDecision.DENY, Optional.of("open a pull request")));
    send(hooks, "{\"hook_event_name\":\"UserPromptSubmit\",\"session_id\":\"c1\",\"prompt\":\"publish with " + SECRET + "\"}");

    HookHandler.Answer answer = send(hooks, "{\"hook_event_name\":\"PreToolUse\",\"session_id\":\"c1\",\"cwd\":\"" + workspace
        + "\",\"tool_name\":\"Bash\",\"tool_use_id\":\"toolu_9\",\"tool_input\":{\"command\":\"git push origin main\"}}");

    assertThat(answer.status()).isEqualTo(200);
    assertThat(JSON.writeValueAsString(answer.body())).isEqualTo("{\"hookSpecificOutput\":{\"hookEventName\":\"PreToolUse\","
        + "\"permissionDecision\":\"deny\",\"permissionDecisionReason\":\"Taskbound's gate refused this Bash call (rule:"
        + " tool.bash 'git push *': deny): open a pull request\"}}");
    assertThat(events).extracting(Map.Entry::getKey).containsExactly("prompt.submitted", "tool.called", "gate.decided");
    assertThat(events.get(0).getValue().get("text")).isEqualTo("publish with ***");
    assertThat(events.get(1).getValue().get("prompt")).isEqualTo("prompt-1");
    assertThat(events.get(1).getValue().get("pushes")).isEqualTo(List.of("refs/heads/main"));
    assertThat(events.get(2).getValue()).containsEntry("tool_call", "toolu_9").containsEntry("prompt", "prompt-1")
        .containsEntry("decision", "deny").containsEntry("rule", "tool.bash 'git push *': deny");
  }

  @Test
  void twoCallsUnderOneToolUseIdAreNumberedApartSoTheReportNeverLendsOneCallsDecisionToTheOther() throws Exception {
    AgentHooks hooks = hooks(PromptRecording.HASH, new ToolRule("tool.bash", "rm *", GateDecision.DENY, Optional.empty()));
    send(hooks, "{\"hook_event_name\":\"PreToolUse\",\"session_id\":\"c1\",\"tool_name\":\"Bash\",\"tool_use_id\":\"t1\","
        + "\"tool_input\":{\"command\":\"ls\"}}");
    send(hooks, "{\"hook_event_name\":\"PreToolUse\",\"session_id\":\"c1\",\"tool_name\":\"Bash\",\"tool_use_id\":\"t1\","
        + "\"tool_input\":{\"command\":\"rm -rf x\"}}");

    assertThat(events).extracting(Map.Entry::getKey).containsExactly("tool.called", "gate.decided", "tool.called", "gate.decided");
    assertThat(events).extracting(e -> e.getValue().get("call")).containsExactly("call-1", "call-1", "call-2", "call-2");
    assertThat(events).extracting(e -> e.getValue().get("tool_call")).containsOnly("t1");
  }

  @Test
  void anAllowedCallIsAnsweredWithAnEmptyObjectSoClaudeCodesOwnPermissionsStillApply() throws Exception {
    HookHandler.Answer answer = send(hooks(PromptRecording.HASH), "{\"hook_event_name\":\"PreToolUse\",\"session_id\":\"c1\","
        + "\"tool_name\":\"Read\",\"tool_use_id\":\"t1\",\"tool_input\":{\"file_path\":\"/w/a\"}}");

    assertThat(answer.status()).isEqualTo(200);
    assertThat(answer.body()).isEmpty();
  }

  @Test
  void aPromptIsRecordedAsItsHashByDefaultAndNeverAsText() throws Exception {
    send(hooks(PromptRecording.HASH), "{\"hook_event_name\":\"UserPromptSubmit\",\"session_id\":\"c1\",\"prompt\":\"abc\"}");

    assertThat(events.get(0).getValue()).doesNotContainKey("text").containsEntry("length", 3)
        .containsEntry("sha256", "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  }

  @Test
  void aPushWithoutRefspecsPushesTheBranchGitHeadNames() throws Exception {
    Files.createDirectories(workspace.resolve(".git"));
    Files.writeString(workspace.resolve(".git/HEAD"), "ref: refs/heads/taskbound/T-1/fix\n");

    HookHandler.Answer answer = send(hooks(PromptRecording.OFF), "{\"hook_event_name\":\"PreToolUse\",\"session_id\":\"c1\","
        + "\"cwd\":\"" + workspace + "\",\"tool_name\":\"Bash\",\"tool_use_id\":\"t1\",\"tool_input\":{\"command\":\"git push\"}}");

    assertThat(answer.body()).isEmpty();
    assertThat(events.get(0).getValue().get("pushes")).isEqualTo(List.of("refs/heads/taskbound/T-1/fix"));
  }

  /**
   * Review finding: the agent could swap {@code .git/HEAD} between the check and the read: a link to
   * {@code /dev/zero} filled this root process's heap, a FIFO held its thread until a writer came.
   * The read follows no link, never waits and takes at most 512 bytes (bounded here on a thread of
   * its own: a FIFO opened the old way blocks in a call no interrupt ends).
   */
  @Test
  @org.junit.jupiter.api.Timeout(value = 30, threadMode = org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD)
  void headIsReadWithoutFollowingALinkWithoutWaitingOnAFifoAndAtMost512Bytes() throws Exception {
    Path fifo = workspace.resolve("fifo");
    Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).start();
    assertThat(mkfifo.waitFor()).isZero();
    Path zero = Files.createSymbolicLink(workspace.resolve("zero"), Path.of("/dev/zero"));
    Path big = Files.writeString(workspace.resolve("big"), "ref: refs/heads/" + "x".repeat(600) + "\n");
    Path head = Files.writeString(workspace.resolve("head"), "ref: refs/heads/taskbound/T-1/fix\n");

    assertThat(AgentHooks.readHead(fifo)).isEmpty();
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> AgentHooks.readHead(zero)).isInstanceOf(java.io.IOException.class);
    assertThat(AgentHooks.readHead(big)).isEmpty();
    assertThat(AgentHooks.readHead(head)).isEqualTo("ref: refs/heads/taskbound/T-1/fix\n");
  }

  /** A follow-up review: a HEAD the host may not open for writing (a host that is not root) is still read. */
  @Test
  void aHeadThisUserMayNotWriteIsStillRead() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeFalse(dev.taskbound.core.ProcessUser.effectiveUid() == 0, "root may write any file");
    Path head = Files.writeString(workspace.resolve("head"), "ref: refs/heads/taskbound/T-1/fix\n");
    Files.setPosixFilePermissions(head, java.nio.file.attribute.PosixFilePermissions.fromString("r--r--r--"));

    assertThat(AgentHooks.readHead(head)).isEqualTo("ref: refs/heads/taskbound/T-1/fix\n");
  }

  @Test
  void theResultOfACallLinksToThePromptItAnswered() throws Exception {
    AgentHooks hooks = hooks(PromptRecording.OFF);
    send(hooks, "{\"hook_event_name\":\"UserPromptSubmit\",\"session_id\":\"c1\",\"prompt\":\"one\"}");
    send(hooks, "{\"hook_event_name\":\"PreToolUse\",\"session_id\":\"c1\",\"tool_name\":\"Bash\",\"tool_use_id\":\"t1\","
        + "\"tool_input\":{\"command\":\"true\"}}");
    send(hooks, "{\"hook_event_name\":\"UserPromptSubmit\",\"session_id\":\"c1\",\"prompt\":\"two\"}");

    send(hooks, "{\"hook_event_name\":\"PostToolUse\",\"session_id\":\"c1\",\"tool_name\":\"Bash\",\"tool_use_id\":\"t1\","
        + "\"tool_response\":{\"stdout\":\"" + SECRET + "\",\"is_error\":true}}");

    Map<String, Object> result = events.get(events.size() - 1).getValue();
    assertThat(events.get(events.size() - 1).getKey()).isEqualTo("tool.result");
    assertThat(result).containsEntry("prompt", "prompt-1").containsEntry("outcome", "error");
    assertThat(result.toString()).doesNotContain(SECRET);
  }

  @Test
  void anUnknownHookEventIsABadRequestAndRecordsNothing() throws Exception {
    HookHandler.Answer answer = send(hooks(PromptRecording.OFF), "{\"hook_event_name\":\"Notification\"}");

    assertThat(answer.status()).isEqualTo(400);
    assertThat(events).isEmpty();
  }

  @Test
  void aGateCheckDecidesAGatewayActionWithItsBuiltInDefaultAndRecordsWhy() throws Exception {
    HookHandler.Answer answer = hooks(PromptRecording.OFF).handle("gate/check",
        JSON.readTree("{\"action\":\"git.push\",\"target\":\"refs/heads/main\",\"reason\":\"release\"}"));

    assertThat(answer.body()).containsEntry("decision", "deny")
        .containsEntry("rule", "built-in: git.push only to refs/heads/taskbound/T-1/**");
    assertThat(events.get(0).getValue()).containsEntry("requested_because", "release").containsEntry("name", "gate check");
  }

  @Test
  void aGateCheckOfAToolReadsItsTargetAsTheSameCallThroughAHookWould() throws Exception {
    AgentHooks hooks = hooks(PromptRecording.OFF,
        new ToolRule("tool.write", ".github/workflows/**", GateDecision.DENY, Optional.empty()),
        new ToolRule("tool.web_fetch", "pastebin.com", GateDecision.DENY, Optional.empty()));
    HookHandler.Answer hooked = send(hooks, "{\"hook_event_name\":\"PreToolUse\",\"session_id\":\"c1\",\"tool_name\":\"Bash\","
        + "\"tool_use_id\":\"t1\",\"tool_input\":{\"command\":\"git push origin main\"}}");

    Map<String, Object> push = check(hooks, "tool.bash", "git push origin main");
    Map<String, Object> write = check(hooks, "tool.write", ".github/x/../workflows/ci.yml");
    Map<String, Object> fetch = check(hooks, "tool.web_fetch", "https://PASTEBIN.com./raw/1");
    Map<String, Object> noUrl = check(hooks, "tool.web_fetch", "pastebin.com");

    // the built-in push check, not only the policy's tool rules
    assertThat(JSON.writeValueAsString(hooked.body())).contains("\"permissionDecision\":\"deny\"");
    assertThat(push).containsEntry("decision", "deny");
    assertThat((String) push.get("rule")).startsWith("built-in");
    assertThat(write).containsEntry("decision", "deny").containsEntry("rule", "tool.write '.github/workflows/**': deny");
    assertThat(fetch).containsEntry("decision", "deny").containsEntry("rule", "tool.web_fetch 'pastebin.com': deny");
    assertThat(noUrl).containsEntry("decision", "deny");
    assertThat(check(hooks, "tool.bash", "ls -l")).containsEntry("decision", "allow");
  }

  private Map<String, Object> check(AgentHooks hooks, String action, String target) throws Exception {
    com.fasterxml.jackson.databind.node.ObjectNode body = JSON.createObjectNode().put("action", action).put("target", target);
    return hooks.handle("gate/check", body).body();
  }

  @Test
  void anEventThatCannotBeRecordedFailsTheHookSoTheCallIsBlocked() throws Exception {
    GateRules none = GateRules.none();
    ActionRules actions = new ActionRules(none, "T-1");
    AgentHooks broken = new AgentHooks(HookPolicy.DEFAULT, new ToolGate(none, actions, List.of(), RuleSet.of(List.of(), List.of())),
        actions, workspace, t -> t, (type, data) -> {
          throw new IllegalStateException("disk full");
        });
    JsonNode pre = JSON.readTree("{\"hook_event_name\":\"PreToolUse\",\"tool_name\":\"Bash\",\"tool_input\":{\"command\":\"ls\"}}");

    assertThatThrownBy(() -> broken.handle("hooks/claude-code", pre)).isInstanceOf(IllegalStateException.class);
  }

  private AgentHooks hooks(AgentHooks.Budget budget) {
    GateRules none = GateRules.none();
    ActionRules actions = new ActionRules(none, "T-1");
    return new AgentHooks(new HookPolicy(List.of("claude-code"), PromptRecording.FULL, List.of()),
        new ToolGate(none, actions, List.of(), RuleSet.of(List.of(), List.of())), actions, workspace, t -> t,
        (type, data) -> events.add(Map.entry(type, new java.util.LinkedHashMap<String, Object>(data))), budget);
  }

  @Test
  void everyHookEventIsMarkedAsTheAgentsOwnAccount() throws Exception {
    AgentHooks hooks = hooks(PromptRecording.HASH);

    send(hooks, "{\"hook_event_name\":\"SessionStart\",\"session_id\":\"c1\"}");
    send(hooks, "{\"hook_event_name\":\"UserPromptSubmit\",\"session_id\":\"c1\",\"prompt\":\"hi\"}");
    send(hooks, "{\"hook_event_name\":\"PreToolUse\",\"session_id\":\"c1\",\"tool_name\":\"Read\",\"tool_use_id\":\"t1\"}");
    hooks.handle("gate/check", JSON.readTree("{\"action\":\"tool.bash\",\"target\":\"ls\"}"));

    assertThat(events).hasSize(5).allSatisfy(e -> assertThat(e.getValue()).containsEntry("reported_by", "agent"));
  }

  @Test
  void aFloodOfInventedEventsEndsAtTheSessionsCapWithOneRecordedNotice() throws Exception {
    AgentHooks hooks = hooks(new AgentHooks.Budget(3, 1 << 20));
    List<Integer> statuses = new ArrayList<>();

    for (int i = 0; i < 6; i++) {
      statuses.add(send(hooks, "{\"hook_event_name\":\"UserPromptSubmit\",\"session_id\":\"c1\",\"prompt\":\"p" + i + "\"}").status());
    }
    HookHandler.Answer check = hooks.handle("gate/check", JSON.readTree("{\"action\":\"tool.bash\",\"target\":\"ls\"}"));

    assertThat(statuses).containsExactly(200, 200, 200, 429, 429, 429);
    assertThat(check.status()).isEqualTo(429);
    assertThat(check.body().get("message").toString()).contains("cap on hook events (3 events");
    assertThat(events).extracting(Map.Entry::getKey)
        .containsExactly("prompt.submitted", "prompt.submitted", "prompt.submitted", "hook.budget_exhausted");
    assertThat(events.get(3).getValue()).containsEntry("events", 3).containsEntry("max_events", 3);
  }

  @Test
  void largePromptsEndAtTheCapOnRecordedCharactersSoAForgerCannotFillTheDisk() throws Exception {
    AgentHooks hooks = hooks(new AgentHooks.Budget(1000, 250_000));
    String big = "x".repeat(100_000);

    List<Integer> statuses = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      statuses.add(send(hooks, "{\"hook_event_name\":\"UserPromptSubmit\",\"session_id\":\"c1\",\"prompt\":\"" + big + "\"}").status());
    }

    assertThat(statuses).containsExactly(200, 200, 200, 429);
    assertThat(events).extracting(Map.Entry::getKey).endsWith("hook.budget_exhausted").hasSize(4);
  }
}
