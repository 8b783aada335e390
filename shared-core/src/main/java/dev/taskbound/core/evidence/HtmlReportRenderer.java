package dev.taskbound.core.evidence;

import java.util.List;

/**
 * Renders the self-contained HTML report of a session ({@code report.html}): inline CSS, no
 * scripts, no external resources. Sections: header (task, session, SPIFFE ID, outcome), identity,
 * egress decisions by host with allowed/denied counts and the rule to add, teardown steps and
 * results, and a timeline of every event (unknown types included). Every value is HTML-escaped, and
 * invisible and bidi characters in it are shown as escapes (<code>&#92;u202e</code>).
 */
public final class HtmlReportRenderer {
  private static final String CSS =
      "body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:70em;padding:0 1em;color:#1b1f24}"
          + "h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.8em;border-bottom:1px solid #d0d7de}"
          + "table{border-collapse:collapse;width:100%}th,td{border:1px solid #d0d7de;padding:.3em .5em;"
          + "text-align:left;vertical-align:top}th{background:#f6f8fa}code{font:12px ui-monospace,monospace;"
          + "background:#f6f8fa;padding:0 .2em;word-break:break-all}"
          + ".failed{background:#ffebe9;color:#82071e;font-weight:bold}.ok{color:#116329}"
          + ".denied{background:#fff8c5}.muted{color:#57606a}dl{display:grid;grid-template-columns:max-content auto;"
          + "gap:.2em 1em}dt{font-weight:bold}dd{margin:0}";

  private HtmlReportRenderer() {}

  /**
   * Renders the report. Pure function, thread-safe.
   *
   * @param events the session's events, in order
   * @param teardownJson the teardown report, or null to take the steps from {@code teardown.step}
   *     events
   */
  public static String html(List<EvidenceEvent> events, String teardownJson) {
    SessionReport r = SessionReport.of(events, teardownJson);
    StringBuilder h = new StringBuilder(8192);
    h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
        .append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">")
        .append("<title>Taskbound session ").append(esc(r.session)).append("</title><style>").append(CSS)
        .append("</style></head><body>\n");
    h.append("<h1>Taskbound session <code>").append(esc(r.session)).append("</code></h1>\n<dl>");
    item(h, "Task", "<code>" + esc(r.task) + "</code>");
    item(h, "Session", "<code>" + esc(r.session) + "</code>");
    item(h, "SPIFFE ID", "<code>" + esc(r.spiffeId) + "</code>");
    String outcomeClass = r.teardownFailed() || !"0".equals(r.exitCode) || !r.closed ? "failed" : "ok";
    item(h, "Outcome", "<span class=\"" + outcomeClass + "\">" + esc(r.outcome()) + "</span>");
    item(h, "Exit code", esc(r.exitCode));
    item(h, "Duration", esc(r.duration()));
    item(h, "Sandbox", esc(r.backend) + (r.enforcement == null ? "" : " (" + esc(r.enforcement) + ")"));
    item(h, "Profile", esc(r.profile));
    h.append("</dl>\n");
    if (r.cooperative()) {
      h.append("<p class=\"failed\"><strong>Warning.</strong> ").append(esc(SessionReport.COOPERATIVE_WARNING))
          .append("</p>\n");
    }
    if (r.reducedWarning() != null) {
      h.append("<p class=\"failed\"><strong>Warning.</strong> ").append(esc(r.reducedWarning())).append("</p>\n");
    }

    h.append("<h2>Identity</h2>\n<dl>");
    item(h, "SPIFFE ID", "<code>" + esc(r.spiffeId) + "</code>");
    item(h, "Key id (kid)", "<code>" + esc(r.keyId) + "</code>");
    item(h, "Audience", "<code>" + esc(r.audience) + "</code>");
    item(h, "Expires", esc(r.identityExpiresAt));
    item(h, "Token fingerprint", "<code>" + esc(r.tokenFingerprint) + "</code>");
    item(h, "Policy digest", "<code>" + esc(r.policyDigest) + "</code>");
    h.append("</dl>\n");

    h.append("<h2>Egress</h2>\n");
    SessionReport.Listed listed = r.listedHosts();
    List<SessionReport.HostStats> hosts = listed.hosts();
    if (hosts.isEmpty()) {
      h.append("<p class=\"muted\">No egress decisions were recorded.</p>\n");
    } else {
      h.append("<table><thead><tr><th>Host</th><th>Ports</th><th>Allowed</th><th>Denied</th><th>Rule to add</th>")
          .append("<th>Reason</th></tr></thead><tbody>\n");
      for (SessionReport.HostStats s : hosts) {
        h.append(s.denied > 0 ? "<tr class=\"denied\">" : "<tr>")
            .append("<td><code>").append(esc(s.host)).append("</code></td><td>").append(esc(SummaryRenderer.ports(s)))
            .append("</td><td>").append(s.allowed).append("</td><td>").append(s.denied).append("</td><td>");
        for (String rule : s.rulesToAdd) {
          h.append("<code>").append(esc(rule)).append("</code> ");
        }
        h.append(esc(String.join("; ", s.hints)));
        h.append("</td><td>").append(esc(String.join("; ", s.reasons))).append("</td></tr>\n");
      }
      h.append("</tbody></table>\n");
      if (listed.unlisted() != null) {
        h.append("<p class=\"muted\">").append(esc(listed.unlisted())).append(".</p>\n");
      }
    }
    h.append(ActionTally.html(events)); // issue 15: inspected requests by gate action

    List<List<SessionReport.Step>> earlier = r.earlierAttempts();
    h.append(earlier.isEmpty() ? "<h2>Teardown</h2>\n" : "<h2>Teardown (attempt " + (earlier.size() + 1) + ", final)</h2>\n");
    if (r.steps.isEmpty()) {
      h.append("<p class=\"muted\">No teardown steps were recorded.</p>\n");
    } else {
      steps(h, r.steps);
    }
    for (int i = 0; i < earlier.size(); i++) {
      h.append("<h2>Teardown attempt ").append(i + 1).append(" (earlier)</h2>\n");
      steps(h, earlier.get(i));
    }

    h.append(ConversationReport.html(r.events));
    h.append(ApprovalReport.html(r.events)); // issue 16: who approved or denied what

    h.append("<h2>Timeline</h2>\n<table><thead><tr><th>#</th><th>Time (UTC)</th><th>Event</th><th>Data</th></tr>")
        .append("</thead><tbody>\n");
    for (EvidenceEvent e : r.events) {
      h.append(SessionReport.isDenial(e.type()) ? "<tr class=\"denied\">" : "<tr>")
          .append("<td>").append(e.seq()).append("</td><td>").append(esc(e.tsText())).append("</td><td>")
          .append(esc(e.type())).append("</td><td><code>").append(esc(SessionReport.details(e))).append("</code></td></tr>\n");
    }
    h.append("</tbody></table>\n</body></html>\n");
    return h.toString();
  }

  private static void steps(StringBuilder h, List<SessionReport.Step> steps) {
    h.append("<table><thead><tr><th>Step</th><th>Result</th><th>Attempts</th><th>Error / detail</th></tr></thead><tbody>\n");
    for (SessionReport.Step s : steps) {
      h.append(s.failed() ? "<tr class=\"failed\">" : "<tr>")
          .append("<td>").append(esc(s.name())).append("</td><td>")
          .append(s.failed() ? "FAILED (" + esc(s.outcome()) + ")" : esc(s.outcome()))
          .append("</td><td>").append(esc(s.attempts())).append("</td><td>")
          .append(esc(s.error() != null ? s.error() : s.detail())).append("</td></tr>\n");
    }
    h.append("</tbody></table>\n");
  }

  private static void item(StringBuilder h, String key, String valueHtml) {
    h.append("<dt>").append(key).append("</dt><dd>").append(valueHtml).append("</dd>");
  }

  /**
   * Escapes text for HTML element content and attribute values; invisible and bidi characters become
   * visible escapes (<code>&#92;u202e</code>), as in {@link SummaryRenderer}.
   */
  static String esc(String text) {
    if (text == null) {
      return "";
    }
    StringBuilder out = new StringBuilder(text.length() + 16);
    for (int i = 0; i < text.length(); ) {
      int c = text.codePointAt(i);
      i += Character.charCount(c);
      switch (c) {
        case '&' -> out.append("&amp;");
        case '<' -> out.append("&lt;");
        case '>' -> out.append("&gt;");
        case '"' -> out.append("&quot;");
        case '\'' -> out.append("&#39;");
        case '\n', '\r', '\t' -> out.append((char) c); // white space in HTML: moves and hides nothing
        default -> SummaryRenderer.appendVisible(out, c);
      }
    }
    return out.toString();
  }
}
