package dev.taskbound.core.evidence;

import dev.taskbound.core.SafeText;
import java.util.List;

/**
 * Renders the Markdown summary of a session ({@code summary.md}, also fit for {@code
 * $GITHUB_STEP_SUMMARY}): task, session, outcome, exit code, duration, identity, egress by host
 * with the rule to add for each blocked host, and teardown steps with failures flagged. Values from
 * events are escaped so that they cannot inject Markdown or HTML, and invisible and bidi characters
 * are shown as escapes (<code>&#92;u202e</code>). Unknown event types are ignored.
 */
public final class SummaryRenderer {
  private SummaryRenderer() {}

  /**
   * Renders the summary. Pure function, thread-safe.
   *
   * @param events the session's events, in order
   * @param teardownJson the teardown report, or null to take the steps from {@code teardown.step}
   *     events
   */
  public static String markdown(List<EvidenceEvent> events, String teardownJson) {
    SessionReport r = SessionReport.of(events, teardownJson);
    StringBuilder md = new StringBuilder();
    md.append("## Taskbound session ").append(esc(r.session)).append("\n\n");
    md.append("| | |\n|---|---|\n");
    row(md, "Task", esc(r.task));
    row(md, "Session", esc(r.session));
    row(md, "Outcome", (r.teardownFailed() || !"0".equals(r.exitCode) ? "**" + esc(r.outcome()) + "**" : esc(r.outcome())));
    row(md, "Exit code", esc(r.exitCode));
    row(md, "Duration", esc(r.duration()));
    row(md, "Sandbox", esc(r.backend) + (r.enforcement == null ? "" : " (" + esc(r.enforcement) + ")"));
    row(md, "Profile", esc(r.profile));
    if (r.cooperative()) {
      md.append("\n> **Warning.** ").append(SessionReport.COOPERATIVE_WARNING).append("\n");
    }
    if (r.reducedWarning() != null) {
      md.append("\n> **Warning.** ").append(esc(r.reducedWarning())).append("\n");
    }
    if (!r.execs.isEmpty()) {
      md.append("\n### Commands\n\n| # | Command | Exit code | Stopped by |\n|---:|---|---:|---|\n");
      for (SessionReport.Exec x : r.execs.values()) {
        md.append("| ").append(x.number).append(" | ").append(code(x.command)).append(" | ")
            .append(x.exitCode == null ? "(did not exit)" : esc(x.exitCode)).append(" | ").append(esc(x.stoppedBy))
            .append(" |\n");
      }
    }
    md.append("\n### Identity\n\n| | |\n|---|---|\n");
    row(md, "SPIFFE ID", code(r.spiffeId));
    row(md, "Key id (kid)", code(r.keyId));
    row(md, "Audience", code(r.audience));
    row(md, "Expires", esc(r.identityExpiresAt));
    row(md, "Token fingerprint", code(r.tokenFingerprint));
    row(md, "Policy digest", code(r.policyDigest));

    md.append("\n### Egress\n\n");
    SessionReport.Listed listed = r.listedHosts();
    List<SessionReport.HostStats> hosts = listed.hosts();
    if (hosts.isEmpty()) {
      md.append("No egress decisions were recorded.\n");
    } else {
      md.append("| Host | Ports | Allowed | Denied | Rule to add |\n|---|---|---:|---:|---|\n");
      for (SessionReport.HostStats h : hosts) {
        md.append("| ").append(esc(h.host)).append(" | ").append(esc(ports(h))).append(" | ").append(h.allowed)
            .append(" | ").append(h.denied).append(" | ")
            .append(h.rulesToAdd.isEmpty() ? "" : String.join(", ", h.rulesToAdd.stream().map(SummaryRenderer::code).toList()))
            .append(" |\n");
      }
      List<SessionReport.HostStats> blocked = hosts.stream().filter(h -> h.denied > 0).toList();
      if (!blocked.isEmpty()) {
        md.append("\n**Blocked hosts.** To allow one, add its rule to the policy's egress allow list:\n\n");
        for (SessionReport.HostStats h : blocked) {
          md.append("- ").append(esc(h.host)).append(": ");
          List<String> todo = new java.util.ArrayList<>(h.rulesToAdd.stream().map(SummaryRenderer::code).toList());
          h.hints.forEach(hint -> todo.add(esc(hint)));
          md.append(todo.isEmpty() ? "no rule can allow it" : String.join("; ", todo));
          if (!h.reasons.isEmpty()) {
            md.append(" (").append(esc(String.join("; ", h.reasons))).append(")");
          }
          md.append("\n");
        }
      }
      if (listed.unlisted() != null) {
        md.append("\n").append(listed.unlisted()).append(".\n");
      }
    }

    md.append(ActionTally.markdown(events)); // issue 15: inspected requests by gate action
    md.append(ConversationReport.markdown(events)); // issue 16: the agent's prompts and tool calls
    md.append(ApprovalReport.markdown(events)); // issue 16: who approved or denied what

    List<List<SessionReport.Step>> earlier = r.earlierAttempts();
    md.append(earlier.isEmpty() ? "\n### Teardown\n\n" : "\n### Teardown (attempt " + (earlier.size() + 1) + ", final)\n\n");
    if (r.steps.isEmpty()) {
      md.append("No teardown steps were recorded.\n");
    } else {
      steps(md, r.steps);
      if (r.teardownFailed()) {
        md.append("\n**At least one teardown step failed**: a credential or resource may still be live.\n");
      }
    }
    for (int i = 0; i < earlier.size(); i++) {
      md.append("\n### Teardown attempt ").append(i + 1).append(" (earlier)\n\n");
      steps(md, earlier.get(i));
    }
    md.append("\n").append(r.events.size()).append(" evidence events.\n");
    return md.toString();
  }

  private static void steps(StringBuilder md, List<SessionReport.Step> steps) {
    md.append("| Step | Result | Attempts | Error / detail |\n|---|---|---:|---|\n");
    for (SessionReport.Step s : steps) {
      String result = s.failed() ? "**FAILED** (" + esc(s.outcome()) + ")" : esc(s.outcome());
      String note = s.error() != null ? esc(s.error()) : esc(s.detail());
      md.append("| ").append(esc(s.name())).append(" | ").append(result).append(" | ").append(esc(s.attempts()))
          .append(" | ").append(note).append(" |\n");
    }
  }

  private static void row(StringBuilder md, String key, String value) {
    md.append("| ").append(key).append(" | ").append(value).append(" |\n");
  }

  static String ports(SessionReport.HostStats h) {
    return String.join(", ", h.ports.stream().map(String::valueOf).toList());
  }

  /** Escapes text for a Markdown table cell: no HTML, no emphasis, links or cell breaks. */
  static String esc(String text) {
    if (text == null) {
      return "";
    }
    StringBuilder out = new StringBuilder(text.length());
    for (int i = 0; i < text.length(); ) {
      int c = text.codePointAt(i);
      i += Character.charCount(c);
      switch (c) {
        case '&' -> out.append("&amp;");
        case '<' -> out.append("&lt;");
        case '>' -> out.append("&gt;");
        case '\n', '\r', '\t' -> out.append(' ');
        case '\\', '`', '*', '_', '[', ']', '|', '#', '~', '!' -> out.append('\\').append((char) c);
        default -> appendVisible(out, c);
      }
    }
    return out.toString();
  }

  /**
   * Appends the character, or its visible escape (<code>&#92;u202e</code>) when {@link SafeText} escapes it:
   * controls, bidi overrides, zero-width and other invisible characters, lone surrogates. Agent text
   * holding a right-to-left override would otherwise show a command other than the one recorded.
   */
  static void appendVisible(StringBuilder out, int codePoint) {
    if (codePoint >= 0x20 && codePoint < 0x7f) {
      out.append((char) codePoint);
      return;
    }
    String c = new String(Character.toChars(codePoint));
    out.append(SafeText.isPrintable(c) ? c : SafeText.line(c));
  }

  /**
   * A code span; values with a backtick, bar, {@code <} or a character {@link SafeText} escapes (a
   * line break, a bidi override) fall back to escaped text.
   */
  static String code(String text) {
    if (text == null) {
      return "";
    }
    if (text.indexOf('`') >= 0 || text.indexOf('|') >= 0 || text.indexOf('<') >= 0 || !SafeText.isPrintable(text)) {
      return esc(text);
    }
    return "`" + text + "`";
  }
}
