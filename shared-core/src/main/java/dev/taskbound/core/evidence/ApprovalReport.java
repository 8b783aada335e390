package dev.taskbound.core.evidence;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * The approvals a session's gate asked for (docs/gate.md, "Approvals"): each request with its action,
 * target and rule, what led to it (tool call, gate check, inspected request), and how it ended: granted,
 * denied or expired, by whom, when, through which channel and why. A section of {@code summary.md} and
 * {@code report.html}; empty when the session asked for none. Pure functions, thread-safe.
 */
final class ApprovalReport {
  /** One request and its answer (empty while none was recorded). */
  private record Row(EvidenceEvent requested, Optional<EvidenceEvent> answer) {
    String outcome() {
      return answer.map(a -> a.type().substring("approval.".length())).orElse("no answer recorded");
    }

    String text(String field) {
      String v = requested.text(field);
      return v == null ? "" : v;
    }

    String answered(String field) {
      return answer.map(a -> a.text(field)).map(v -> v == null ? "" : v).orElse("");
    }

    String ledBy() {
      String source = text("source");
      String call = text("tool_call");
      return call.isEmpty() ? source : source + " " + call;
    }
  }

  private ApprovalReport() {}

  /** The {@code ### Approvals} section, or {@code ""}. */
  static String markdown(List<EvidenceEvent> events) {
    List<Row> rows = rows(events);
    if (rows.isEmpty()) {
      return "";
    }
    UnaryOperator<String> esc = SummaryRenderer::esc;
    long granted = rows.stream().filter(r -> r.outcome().equals("granted")).count();
    StringBuilder md = new StringBuilder("\n### Approvals\n\n").append(rows.size())
        .append(rows.size() == 1 ? " request" : " requests").append(" for approval, ").append(granted).append(" granted.\n\n")
        .append("| Request | Action | Target | Rule | Led by | Outcome | Who | Channel | When | Reason |\n")
        .append("|---|---|---|---|---|---|---|---|---|---|\n");
    for (Row r : rows) {
      md.append("| ").append(esc.apply(r.text("request"))).append(" | ").append(esc.apply(r.text("action"))).append(" | ")
          .append(SummaryRenderer.code(r.text("target"))).append(" | ").append(SummaryRenderer.code(r.text("rule"))).append(" | ")
          .append(esc.apply(r.ledBy())).append(" | **").append(esc.apply(r.outcome())).append("** | ")
          .append(esc.apply(r.answered("who"))).append(" | ").append(esc.apply(r.answered("channel"))).append(" | ")
          .append(esc.apply(r.answered("at"))).append(" | ").append(esc.apply(r.answered("reason"))).append(" |\n");
    }
    return md.toString();
  }

  /** The approvals as an HTML section, or {@code ""}. */
  static String html(List<EvidenceEvent> events) {
    List<Row> rows = rows(events);
    if (rows.isEmpty()) {
      return "";
    }
    UnaryOperator<String> esc = HtmlReportRenderer::esc;
    StringBuilder h = new StringBuilder("<h2>Approvals</h2>\n<table><thead><tr><th>Request</th><th>Action and target</th>"
        + "<th>Rule</th><th>Led by</th><th>Outcome</th><th>Who (channel)</th><th>When</th><th>Reason</th></tr></thead><tbody>\n");
    for (Row r : rows) {
      h.append(r.outcome().equals("granted") ? "<tr>" : "<tr class=\"denied\">").append("<td>").append(esc.apply(r.text("request")))
          .append("</td><td>").append(esc.apply(r.text("action"))).append(" <code>").append(esc.apply(r.text("target")))
          .append("</code></td><td><code>").append(esc.apply(r.text("rule"))).append("</code></td><td>")
          .append(esc.apply(r.ledBy())).append("</td><td><b>").append(esc.apply(r.outcome())).append("</b></td><td>")
          .append(esc.apply(r.answered("who"))).append(" (").append(esc.apply(r.answered("channel"))).append(")</td><td>")
          .append(esc.apply(r.answered("at"))).append("</td><td>").append(esc.apply(r.answered("reason"))).append("</td></tr>\n");
    }
    return h.append("</tbody></table>\n").toString();
  }

  private static List<Row> rows(List<EvidenceEvent> events) {
    List<Row> out = new ArrayList<>();
    for (EvidenceEvent e : events) {
      if (!e.type().equals("approval.requested")) {
        continue;
      }
      String id = e.text("request");
      Optional<EvidenceEvent> answer = events.stream()
          .filter(a -> a.type().startsWith("approval.") && !a.type().equals("approval.requested") && id != null
              && id.equals(a.text("request")))
          .findFirst();
      out.add(new Row(e, answer));
    }
    return out;
  }
}
