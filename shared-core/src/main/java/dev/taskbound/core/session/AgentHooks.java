package dev.taskbound.core.session;

import com.fasterxml.jackson.databind.JsonNode;
import dev.taskbound.core.evidence.EventType;
import dev.taskbound.core.gate.ActionRules;
import dev.taskbound.core.gate.ClaudeCodeTools;
import dev.taskbound.core.gate.HookHandler;
import dev.taskbound.core.gate.ToolCall;
import dev.taskbound.core.gate.ToolGate;
import dev.taskbound.core.policy.GateDecision;
import dev.taskbound.core.policy.GateRule;
import dev.taskbound.core.policy.HookPolicy;
import dev.taskbound.core.policy.PromptRecording;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

/**
 * The session's side of the agent's hooks (docs/hooks.md): records the conversation in the evidence
 * ({@code conversation.started}, {@code prompt.submitted}, {@code tool.called}, {@code gate.decided},
 * {@code tool.result}, {@code conversation.stopped}), each event linked to the prompt and the tool
 * call that led to it, and decides each tool call with the {@link ToolGate} before it runs. Answers
 * in the agent's documented hook output format. Thread-safe.
 */
final class AgentHooks implements HookHandler {
  /** What {@code git push} without refspecs pushes, when {@code .git/HEAD} names a branch. */
  private static final Pattern HEAD_REF = Pattern.compile("ref: (refs/heads/[A-Za-z0-9._/-]{1,200})\\s*");
  private static final int MAX_PROMPT_CHARS = 100_000;

  /**
   * The per-session cap on what the hooks may add to the evidence: the hook events are the agent's
   * own account, posted by a process the agent controls, so a flood of invented events must end.
   *
   * @param events hook events and gate checks recorded at most
   * @param recordedChars characters of recorded event data at most (prompt texts dominate)
   */
  record Budget(int events, long recordedChars) {
    /** 20,000 events, 64 Mi characters: far above a long agent run, far below a full disk. */
    static final Budget DEFAULT = new Budget(20_000, 64L << 20);
  }

  private final HookPolicy policy;
  private final ToolGate tools;
  private final ActionRules actions;
  private final Path workspace;
  private final UnaryOperator<String> mask;
  private final BiConsumer<String, Map<String, ?>> events;
  /** Per conversation ({@code session_id}): the id of its latest prompt. */
  private final Map<String, String> promptOf = new java.util.HashMap<>();
  /** Per tool call: the prompt it answers, so its result links to the same prompt. */
  private final Map<String, String> promptOfCall = new java.util.HashMap<>();
  private int prompts;
  /** Why an {@code approve} is refused without asking: a person is shown the whole call, or is not asked. */
  private static final String NOT_SHOWN_WHOLE = "; its input cannot be shown to a person whole (over "
      + ToolCall.SUMMARY_LIMIT + " characters in all, a value over 200, or a control character other than tab"
      + " and newline), so it is refused without asking";
  /** Taskbound's own number for each PreToolUse: the agent picks {@code tool_use_id}, and may repeat one. */
  private int toolCalls;
  private final Budget budget;
  /** Guarded by {@code this}: what the hooks recorded so far, and whether the cap was reported. */
  private int recordedEvents;
  private long recordedChars;
  private boolean exhausted;
  /** Issue 16: where {@code approve} verdicts wait for a person; null: they are refused. */
  private volatile dev.taskbound.core.gate.ApprovalBroker approvals;

  AgentHooks(HookPolicy policy, ToolGate tools, ActionRules actions, Path workspace, UnaryOperator<String> mask,
      BiConsumer<String, Map<String, ?>> events) {
    this(policy, tools, actions, workspace, mask, events, Budget.DEFAULT);
  }

  AgentHooks(HookPolicy policy, ToolGate tools, ActionRules actions, Path workspace, UnaryOperator<String> mask,
      BiConsumer<String, Map<String, ?>> events, Budget budget) {
    this.budget = budget;
    this.policy = policy;
    this.tools = tools;
    this.actions = actions;
    this.workspace = workspace.toAbsolutePath().normalize();
    this.mask = mask;
    this.events = events;
  }

  /** Lets {@code approve} verdicts wait for a person's answer on {@code broker}. */
  AgentHooks withApprovals(dev.taskbound.core.gate.ApprovalBroker broker) {
    this.approvals = broker;
    return this;
  }

  /**
   * An {@code approve} verdict settled: waits for a person (or the approval given before the run)
   * and answers whether the action may go on, with a line saying who decided.
   */
  private ApprovalGate.Settled settle(String action, String summary, String rule, String reason, Map<String, String> links,
      java.util.function.BooleanSupplier callerGone) {
    return ApprovalGate.settle(approvals, action, mask.apply(summary), summary.length(), rule, reason, links, callerGone);
  }

  @Override
  public Answer handle(String endpoint, JsonNode event) {
    return handle(endpoint, event, () -> false);
  }

  /** {@inheritDoc} A request held for approval is withdrawn once the hook's client went away. */
  @Override
  public Answer handle(String endpoint, JsonNode event, java.util.function.BooleanSupplier callerGone) {
    if (overBudget()) {
      return Answer.error(429, "budget_exhausted", "this session's cap on hook events (" + budget.events() + " events, "
          + budget.recordedChars() + " recorded characters) was reached; nothing more is recorded or decided here");
    }
    if (endpoint.equals("gate/check")) {
      return check(event, callerGone);
    }
    if (!endpoint.equals("hooks/claude-code")) {
      return Answer.error(404, "not_found", "no hooks for '" + ascii(endpoint) + "'; this session serves /v1/hooks/claude-code"
          + " and /v1/gate/check");
    }
    String name = event.path("hook_event_name").asText("");
    String conversation = ascii(event.path("session_id").asText(""));
    switch (name) {
      case "SessionStart":
        return started(conversation, event);
      case "UserPromptSubmit":
        return prompt(conversation, event.path("prompt").asText(""));
      case "PreToolUse":
        return preToolUse(conversation, event, callerGone);
      case "PostToolUse":
        return postToolUse(conversation, event);
      case "Stop":
        return stopped(conversation);
      default:
        return Answer.error(400, "bad_request", "unknown hook_event_name '" + ascii(name) + "'; accepted: SessionStart,"
            + " UserPromptSubmit, PreToolUse, PostToolUse, Stop");
    }
  }

  private Answer started(String conversation, JsonNode event) {
    Map<String, Object> data = base(conversation);
    data.put("source", ascii(event.path("source").asText("")));
    if (event.path("model").isTextual()) {
      data.put("model", ascii(event.path("model").asText()));
    }
    record(EventType.CONVERSATION_STARTED, data);
    return Answer.ok(Map.of());
  }

  private Answer prompt(String conversation, String text) {
    String id;
    synchronized (this) {
      id = "prompt-" + ++prompts;
      promptOf.put(conversation, id);
    }
    Map<String, Object> data = base(conversation);
    data.put("prompt", id);
    data.put("length", text.length());
    data.put("recorded", policy.prompts().yamlName());
    if (policy.prompts() == PromptRecording.FULL) {
      String masked = mask.apply(text);
      data.put("text", masked.length() > MAX_PROMPT_CHARS ? masked.substring(0, MAX_PROMPT_CHARS) + "..." : masked);
    } else if (policy.prompts() == PromptRecording.HASH) {
      data.put("sha256", sha256(text));
    }
    record(EventType.PROMPT_SUBMITTED, data);
    return Answer.ok(Map.of());
  }

  private Answer preToolUse(String conversation, JsonNode event, java.util.function.BooleanSupplier callerGone) {
    String cwd = event.path("cwd").asText("");
    ToolCall call = ClaudeCodeTools.of(ascii(event.path("tool_use_id").asText("")), ascii(event.path("tool_name").asText("")),
        event.path("tool_input"), currentBranch(cwd), mask);
    String prompt;
    String number;
    synchronized (this) {
      prompt = promptOf.getOrDefault(conversation, "");
      promptOfCall.put(call.id(), prompt);
      number = "call-" + ++toolCalls;
    }
    Map<String, Object> called = base(conversation);
    called.put("prompt", prompt);
    called.put("tool_call", call.id());
    called.put("call", number);
    called.put("tool", call.tool());
    called.put("action", call.action());
    called.put("input", mask.apply(call.summary()));
    if (!call.pushes().isEmpty()) {
      called.put("pushes", call.pushes());
    }
    if (!call.deletes().isEmpty()) {
      called.put("deletes", call.deletes());
    }
    record(EventType.TOOL_CALLED, called);
    ToolGate.Verdict v = tools.decide(call);
    Map<String, Object> decided = new LinkedHashMap<>();
    decided.put("action", call.action());
    decided.put("name", call.tool());
    decided.put("target", mask.apply(call.summary()));
    decided.put("decision", v.decision().yamlName());
    decided.put("rule", v.rule());
    decided.put("reason", mask.apply(v.reason()));
    decided.put("tool_call", call.id());
    decided.put("call", number);
    decided.put("prompt", prompt);
    record(EventType.GATE_DECIDED, decided);
    String why = mask.apply(v.reason());
    if (v.decision() == GateDecision.APPROVE && !call.summaryWhole()) {
      // a person is shown the whole call or is not asked: a cut value would hide what is granted
      why = why + NOT_SHOWN_WHOLE;
    } else if (v.decision() == GateDecision.APPROVE) {
      ApprovalGate.Settled settled = settle(call.action(), call.summary(), v.rule(), why,
          Map.of("source", "hook PreToolUse", "tool_call", call.id(), "call", number, "prompt", prompt,
              "conversation", conversation), callerGone);
      if (settled.granted()) {
        return Answer.ok(Map.of()); // approved; Claude Code's own permission settings still apply
      }
      why = settled.line();
    }
    if (v.decision() == GateDecision.ALLOW) {
      return Answer.ok(Map.of()); // Claude Code's own permission settings still apply
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("hookEventName", "PreToolUse");
    out.put("permissionDecision", "deny");
    out.put("permissionDecisionReason", "Taskbound's gate refused this " + call.tool() + " call (rule: " + v.rule() + "): "
        + why);
    return Answer.ok(Map.of("hookSpecificOutput", out));
  }

  private Answer postToolUse(String conversation, JsonNode event) {
    String id = ascii(event.path("tool_use_id").asText(""));
    String prompt;
    synchronized (this) {
      prompt = promptOfCall.getOrDefault(id, promptOf.getOrDefault(conversation, ""));
    }
    JsonNode response = event.path("tool_response");
    boolean failed = response.path("is_error").asBoolean(false) || response.path("interrupted").asBoolean(false);
    Map<String, Object> data = base(conversation);
    data.put("prompt", prompt);
    data.put("tool_call", id);
    data.put("tool", ascii(event.path("tool_name").asText("")));
    data.put("outcome", failed ? "error" : "ok");
    data.put("response_bytes", response.toString().length());
    record(EventType.TOOL_RESULT, data);
    return Answer.ok(Map.of());
  }

  private Answer stopped(String conversation) {
    Map<String, Object> data = base(conversation);
    synchronized (this) {
      data.put("prompt", promptOf.getOrDefault(conversation, ""));
    }
    record(EventType.CONVERSATION_STOPPED, data);
    return Answer.ok(Map.of());
  }

  /** {@code taskbound gate check ACTION [--target T] [--reason TEXT]}: decide, record, answer. */
  private Answer check(JsonNode event, java.util.function.BooleanSupplier callerGone) {
    String action = event.path("action").asText("");
    if (!GateRule.isValidAction(action) || action.contains("*")) {
      return Answer.error(400, "bad_request", "'" + ascii(action) + "' is not an action; accepted: dot-separated lower-case"
          + " names such as git.push or tool.bash");
    }
    String target = event.path("target").asText("");
    String why = event.path("reason").asText("");
    String decision;
    String rule;
    String reason;
    if (action.startsWith("tool.")) {
      ToolGate.Verdict v = tools.decide(ClaudeCodeTools.ofGateCheck(action, target));
      decision = v.decision().yamlName();
      rule = v.rule();
      reason = v.reason();
    } else {
      ActionRules.Outcome o = actions.decide(action, target);
      decision = o.decision().yamlName();
      rule = o.rule();
      reason = o.reason();
    }
    if (decision.equals(GateDecision.APPROVE.yamlName()) && !ToolCall.showsWhole(target)) {
      decision = GateDecision.DENY.yamlName(); // recorded as answered: no person is asked
      reason = reason + NOT_SHOWN_WHOLE;
    }
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("action", action);
    data.put("name", "gate check");
    data.put("target", mask.apply(ToolCall.summariseText(target)));
    data.put("decision", decision);
    data.put("rule", rule);
    data.put("reason", mask.apply(reason));
    if (!why.isEmpty()) {
      data.put("requested_because", mask.apply(ToolCall.summariseText(why)));
    }
    record(EventType.GATE_DECIDED, data);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("action", action);
    out.put("target", target);
    if (decision.equals(GateDecision.APPROVE.yamlName())) {
      Map<String, String> links = new LinkedHashMap<>();
      links.put("source", "gate check");
      if (!why.isEmpty()) {
        links.put("requested_because", mask.apply(ToolCall.summariseText(why)));
      }
      ApprovalGate.Settled settled = settle(action, ToolCall.summariseText(target), rule, mask.apply(reason), links, callerGone);
      decision = settled.granted() ? GateDecision.ALLOW.yamlName() : GateDecision.DENY.yamlName();
      reason = settled.line();
      out.put("approval", settled.request());
    }
    out.put("decision", decision);
    out.put("rule", rule);
    out.put("reason", mask.apply(reason));
    return Answer.ok(out);
  }

  private Map<String, Object> base(String conversation) {
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("agent", "claude-code");
    data.put("conversation", conversation);
    return data;
  }

  private void record(EventType type, Map<String, Object> data) {
    data.put("reported_by", "agent"); // the agent's account, never an observation of Taskbound's
    synchronized (this) {
      recordedEvents++;
      recordedChars += data.toString().length();
    }
    events.accept(type.wireName(), data);
  }

  /** True once the cap is reached; the first time, records {@code hook.budget_exhausted}. */
  private boolean overBudget() {
    Map<String, Object> data = new LinkedHashMap<>();
    synchronized (this) {
      if (recordedEvents < budget.events() && recordedChars < budget.recordedChars()) {
        return false;
      }
      if (exhausted) {
        return true;
      }
      exhausted = true;
      data.put("events", recordedEvents);
      data.put("recorded_chars", recordedChars);
      data.put("max_events", budget.events());
      data.put("max_recorded_chars", budget.recordedChars());
    }
    events.accept(EventType.HOOK_BUDGET_EXHAUSTED.wireName(), data);
    return true;
  }

  /**
   * The branch HEAD names in {@code cwd}, read from {@code .git/HEAD} (never by running git, whose
   * configuration the agent controls), only inside the workspace; {@code ""} when unknown.
   */
  private String currentBranch(String cwd) {
    try {
      // by real paths: a directory the agent linked elsewhere must not lead this (root) process out
      Path dir = Path.of(cwd).toRealPath();
      Path root = workspace.toRealPath();
      if (!dir.startsWith(root)) {
        return "";
      }
      for (Path d = dir; d != null && d.startsWith(root); d = d.getParent()) {
        Path head = d.resolve(".git").resolve("HEAD");
        if (Files.isRegularFile(head, LinkOption.NOFOLLOW_LINKS) && !Files.isSymbolicLink(d.resolve(".git"))) {
          var m = HEAD_REF.matcher(readHead(head));
          return m.matches() ? m.group(1) : "";
        }
      }
    } catch (IOException | RuntimeException e) {
      return "";
    }
    return "";
  }

  /**
   * {@code .git/HEAD}'s text: at most 512 bytes of a regular file, else {@code ""}. The agent can
   * swap what the check above saw, so it is opened without following a link (a link to
   * {@code /dev/zero} filled this root process's heap) and read-write, which never waits (read-only,
   * a FIFO put in its place held the thread until a writer came); a FIFO has size 0, so nothing is
   * read from one.
   */
  static String readHead(Path head) throws IOException {
    java.nio.channels.SeekableByteChannel opened;
    try {
      opened = Files.newByteChannel(head,
          java.util.Set.of(java.nio.file.StandardOpenOption.READ, java.nio.file.StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS));
    } catch (java.nio.file.FileSystemException e) {
      if (!(e instanceof java.nio.file.AccessDeniedException) && !String.valueOf(e.getReason()).contains("Read-only")) {
        throw e;
      }
      // a read-only file system has no FIFO to swap in; a HEAD this user may not write (a host not
      // root) is the agent's own user's, who could only stall its own session: read it read-only
      opened = Files.newByteChannel(head, java.util.Set.of(java.nio.file.StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS));
    }
    try (java.nio.channels.SeekableByteChannel channel = opened) {
      long size = channel.size();
      if (size <= 0 || size > 512) {
        return "";
      }
      java.nio.ByteBuffer bytes = java.nio.ByteBuffer.allocate((int) size);
      while (bytes.hasRemaining() && channel.read(bytes) > 0) {
        // a regular file of at most 512 bytes: one read, or a few
      }
      return new String(bytes.array(), 0, bytes.position(), StandardCharsets.UTF_8);
    }
  }

  private static String sha256(String text) {
    try {
      return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Ids and names from the agent: printable ASCII, at most 200 characters. */
  private static String ascii(String s) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < s.length() && b.length() < 200; i++) {
      char c = s.charAt(i);
      b.append(c >= 0x20 && c < 0x7f ? c : '?');
    }
    return b.toString();
  }
}
