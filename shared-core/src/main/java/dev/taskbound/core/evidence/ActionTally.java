package dev.taskbound.core.evidence;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Issue 15: the requests the inspecting gateway read ({@code egress.request} events), grouped by
 * gate action for the summary: how many were allowed, denied or needed an approval, the targets
 * they named (refs, models) and the rules that refused them. Pure, thread-safe.
 */
final class ActionTally {
  /** The most targets and rules listed per action; the rest are counted. */
  static final int MAX_LISTED = 5;

  /** One action's counts. */
  static final class Row {
    int allowed;
    int denied;
    int approval;
    final Set<String> targets = new TreeSet<>();
    final Set<String> refusingRules = new TreeSet<>();
  }

  private ActionTally() {}

  /** Each action named by an {@code egress.request} event, sorted by name. */
  static Map<String, Row> of(List<EvidenceEvent> events) {
    Map<String, Row> rows = new TreeMap<>();
    for (EvidenceEvent e : events) {
      if (!e.type().equals(EventType.EGRESS_REQUEST.wireName())) {
        continue;
      }
      String decision = e.text("decision");
      JsonNode actions = e.data().get("actions");
      if (actions == null || !actions.isArray()) {
        continue;
      }
      for (JsonNode a : actions) {
        Row row = rows.computeIfAbsent(a.path("name").asText("http.request"), k -> new Row());
        switch (String.valueOf(decision)) {
          case "allowed" -> row.allowed++;
          case "approval_required" -> row.approval++;
          default -> row.denied++;
        }
        String target = a.path("target").asText("");
        if (!target.isEmpty()) {
          row.targets.add(target);
        }
        if (!"allowed".equals(decision) && e.text("rule") != null) {
          row.refusingRules.add(e.text("rule"));
        }
      }
    }
    return rows;
  }

  /** The summary's section, or {@code ""} when no request was inspected. */
  static String markdown(List<EvidenceEvent> events) {
    Map<String, Row> rows = of(events);
    if (rows.isEmpty()) {
      return "";
    }
    StringBuilder md = new StringBuilder("\n### Requests by action\n\n");
    md.append("| Action | Allowed | Denied | Needs approval | Targets | Refused by |\n|---|---:|---:|---:|---|---|\n");
    rows.forEach((action, r) -> md.append("| ").append(SummaryRenderer.code(action)).append(" | ").append(r.allowed)
        .append(" | ").append(r.denied).append(" | ").append(r.approval).append(" | ").append(listed(r.targets))
        .append(" | ").append(listed(r.refusingRules)).append(" |\n"));
    return md.toString();
  }

  /** The HTML report's section, or {@code ""} when no request was inspected. */
  static String html(List<EvidenceEvent> events) {
    Map<String, Row> rows = of(events);
    if (rows.isEmpty()) {
      return "";
    }
    StringBuilder h = new StringBuilder("<h2>Requests by action</h2>\n<table><thead><tr><th>Action</th><th>Allowed</th>"
        + "<th>Denied</th><th>Needs approval</th><th>Targets</th><th>Refused by</th></tr></thead><tbody>\n");
    rows.forEach((action, r) -> h.append(r.denied + r.approval > 0 ? "<tr class=\"denied\">" : "<tr>")
        .append("<td><code>").append(HtmlReportRenderer.esc(action)).append("</code></td><td>").append(r.allowed)
        .append("</td><td>").append(r.denied).append("</td><td>").append(r.approval).append("</td><td>")
        .append(HtmlReportRenderer.esc(String.join(", ", first(r.targets)))).append("</td><td>")
        .append(HtmlReportRenderer.esc(String.join(", ", first(r.refusingRules)))).append("</td></tr>\n"));
    return h.append("</tbody></table>\n").toString();
  }

  private static List<String> first(Set<String> values) {
    List<String> out = new java.util.ArrayList<>(values.stream().limit(MAX_LISTED).toList());
    if (values.size() > MAX_LISTED) {
      out.add("and " + (values.size() - MAX_LISTED) + " more");
    }
    return out;
  }

  private static String listed(Set<String> values) {
    StringBuilder sb = new StringBuilder();
    int i = 0;
    for (String v : values) {
      if (i == MAX_LISTED) {
        sb.append(", and ").append(values.size() - MAX_LISTED).append(" more");
        break;
      }
      sb.append(i++ == 0 ? "" : ", ").append(SummaryRenderer.code(v));
    }
    return sb.toString();
  }
}
