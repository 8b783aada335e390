package dev.taskbound.core.evidence;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * The agent's conversation as its hooks recorded it (docs/hooks.md): each prompt, the tool calls
 * that answered it with the gate's decision and their outcome, and the gate's denials. Rendered as
 * a section of {@code summary.md} and {@code report.html}; empty when the session recorded no
 * conversation and no gate decision. Pure functions, thread-safe.
 */
final class ConversationReport {
  /** One tool call with what decided it and how it ended. */
  private record Call(String id, String prompt, String tool, String input, String decision, String rule, String reason,
      String outcome) {}

  private ConversationReport() {}

  /** The {@code ### Agent conversation} section, or {@code ""}. */
  static String markdown(List<EvidenceEvent> events) {
    List<EvidenceEvent> prompts = of(events, "prompt.submitted");
    // gate checks and hook events may all have been refused at the cap: the notice still shows
    List<Call> calls = calls(events);
    List<EvidenceEvent> denials = events.stream().filter(e -> e.type().equals("gate.decided")
        && !"allow".equals(e.text("decision"))).toList();
    if (prompts.isEmpty() && calls.isEmpty() && denials.isEmpty() && of(events, "hook.budget_exhausted").isEmpty()) {
      return "";
    }
    UnaryOperator<String> esc = SummaryRenderer::esc;
    StringBuilder md = new StringBuilder("\n### Agent conversation\n\n");
    md.append(prompts.size()).append(prompts.size() == 1 ? " prompt, " : " prompts, ").append(calls.size())
        .append(calls.size() == 1 ? " tool call, " : " tool calls, ").append(denials.size())
        .append(denials.size() == 1 ? " refused by the gate.\n" : " refused by the gate.\n");
    md.append("Prompts, tool calls and results are the agent's own account, as its hooks reported them"
        + " (`reported_by: agent`); the gate's decisions are Taskbound's.\n");
    if (!of(events, "hook.budget_exhausted").isEmpty()) {
      md.append("\n**The session's cap on hook events was reached:** later hook events and gate checks were refused"
          + " and not recorded, so the agent's tool calls were blocked.\n");
    }
    if (!denials.isEmpty()) {
      md.append("\n**Gate denials.**\n\n| Action | Target | Decision | Rule | Reason | Tool call |\n|---|---|---|---|---|---|\n");
      for (EvidenceEvent d : denials) {
        md.append("| ").append(esc.apply(d.text("action"))).append(" | ").append(SummaryRenderer.code(d.text("target")))
            .append(" | ").append(esc.apply(d.text("decision"))).append(" | ").append(SummaryRenderer.code(d.text("rule")))
            .append(" | ").append(esc.apply(d.text("reason"))).append(" | ").append(esc.apply(d.text("tool_call"))).append(" |\n");
      }
    }
    if (!calls.isEmpty()) {
      md.append("\n| Prompt | Tool | Input | Gate | Outcome |\n|---|---|---|---|---|\n");
      for (Call c : calls) {
        md.append("| ").append(esc.apply(c.prompt)).append(" | ").append(esc.apply(c.tool)).append(" | ")
            .append(SummaryRenderer.code(shorten(c.input))).append(" | ").append(esc.apply(c.decision)).append(" | ")
            .append(esc.apply(c.outcome)).append(" |\n");
      }
    }
    return md.toString();
  }

  /** The conversation as an HTML section: each prompt followed by its tool calls, or {@code ""}. */
  static String html(List<EvidenceEvent> events) {
    List<EvidenceEvent> prompts = of(events, "prompt.submitted");
    List<Call> calls = calls(events);
    if (prompts.isEmpty() && calls.isEmpty()) {
      return "";
    }
    UnaryOperator<String> esc = HtmlReportRenderer::esc;
    StringBuilder h = new StringBuilder("<h2>Agent conversation</h2>\n<table><thead><tr><th>Prompt</th><th>Tool call</th>"
        + "<th>Input</th><th>Gate</th><th>Rule and reason</th><th>Outcome</th></tr></thead><tbody>\n");
    List<String> shown = new ArrayList<>();
    for (EvidenceEvent p : prompts) {
      String id = p.text("prompt");
      shown.add(id);
      String text = p.text("text") != null ? p.text("text") : p.text("sha256") != null ? "(recorded as " + p.text("sha256") + ")"
          : "(not recorded; " + p.text("length") + " characters)";
      h.append("<tr><td><b>").append(esc.apply(id)).append("</b></td><td colspan=\"5\">").append(esc.apply(text))
          .append("</td></tr>\n");
      calls.stream().filter(c -> id.equals(c.prompt)).forEach(c -> row(h, c, esc));
    }
    calls.stream().filter(c -> !shown.contains(c.prompt)).forEach(c -> row(h, c, esc));
    return h.append("</tbody></table>\n").toString();
  }

  private static void row(StringBuilder h, Call c, UnaryOperator<String> esc) {
    h.append("allow".equals(c.decision) ? "<tr>" : "<tr class=\"denied\">").append("<td></td><td>").append(esc.apply(c.tool))
        .append(" <small>").append(esc.apply(c.id)).append("</small></td><td><code>").append(esc.apply(shorten(c.input)))
        .append("</code></td><td>").append(esc.apply(c.decision)).append("</td><td>").append(esc.apply(c.rule))
        .append(c.reason.isEmpty() ? "" : ": " + esc.apply(c.reason)).append("</td><td>").append(esc.apply(c.outcome))
        .append("</td></tr>\n");
  }

  /**
   * Each {@code tool.called} with its decision and result. The agent chooses {@code tool_call} ids
   * and may repeat one, so the decision is the {@code gate.decided} carrying the same Taskbound
   * {@code call} number (bundles before it: the first later one with the id), and the result the
   * first later {@code tool.result} with the id that no earlier call took (none for a denied call or
   * an approve no person granted, which never run): a repeated id never lends one call's decision or
   * outcome to another.
   */
  private static List<Call> calls(List<EvidenceEvent> events) {
    Map<String, EvidenceEvent> decidedByNumber = new HashMap<>();
    java.util.Set<String> grantedNumbers = new java.util.HashSet<>();
    Map<String, ArrayDeque<Integer>> decidedById = new HashMap<>();
    Map<String, ArrayDeque<Integer>> resultsById = new HashMap<>();
    for (int i = 0; i < events.size(); i++) {
      EvidenceEvent e = events.get(i);
      if (e.type().equals("gate.decided") && e.text("call") != null) {
        decidedByNumber.putIfAbsent(e.text("call"), e);
      } else if (e.type().equals("gate.decided") && e.text("tool_call") != null) {
        decidedById.computeIfAbsent(e.text("tool_call"), k -> new ArrayDeque<>()).add(i);
      } else if (e.type().equals("approval.granted") && e.text("call") != null) {
        grantedNumbers.add(e.text("call"));
      } else if (e.type().equals("tool.result")) {
        resultsById.computeIfAbsent(nz(e.text("tool_call")), k -> new ArrayDeque<>()).add(i);
      }
    }
    List<Call> out = new ArrayList<>();
    for (int i = 0; i < events.size(); i++) {
      EvidenceEvent e = events.get(i);
      if (!e.type().equals("tool.called")) {
        continue;
      }
      String id = nz(e.text("tool_call"));
      EvidenceEvent decided = e.text("call") != null ? decidedByNumber.get(e.text("call"))
          : takeAfter(i, decidedById.get(id), events);
      String decision = decided == null ? "" : nz(decided.text("decision"));
      // a denied call never runs, nor an approve no person granted (numbered bundles record the grant)
      boolean ran = !"deny".equals(decision)
          && !("approve".equals(decision) && e.text("call") != null && !grantedNumbers.contains(e.text("call")));
      EvidenceEvent result = ran ? takeAfter(i, resultsById.get(id), events) : null;
      String outcome = result != null ? nz(result.text("outcome")) : "allow".equals(decision) ? "no result recorded" : "not run";
      out.add(new Call(id, nz(e.text("prompt")), nz(e.text("tool")), nz(e.text("input")), decision,
          decided == null ? "" : nz(decided.text("rule")), decided == null ? "" : nz(decided.text("reason")), outcome));
    }
    return out;
  }

  /** The first of {@code positions} after {@code from}, taken off it (those before it answer no later call); or null. */
  private static EvidenceEvent takeAfter(int from, ArrayDeque<Integer> positions, List<EvidenceEvent> events) {
    if (positions == null) {
      return null;
    }
    while (!positions.isEmpty() && positions.peekFirst() < from) {
      positions.pollFirst();
    }
    return positions.isEmpty() ? null : events.get(positions.pollFirst());
  }

  private static List<EvidenceEvent> of(List<EvidenceEvent> events, String type) {
    return events.stream().filter(e -> e.type().equals(type)).toList();
  }

  private static String shorten(String s) {
    return s.length() > 160 ? s.substring(0, 160) + "..." : s;
  }

  private static String nz(String s) {
    return s == null ? "" : s;
  }
}
