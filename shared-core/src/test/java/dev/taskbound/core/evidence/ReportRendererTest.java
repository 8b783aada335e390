package dev.taskbound.core.evidence;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportRendererTest {
  @TempDir Path tmp;

  private List<EvidenceEvent> sampleEvents() {
    SampleSession s = SampleSession.write(tmp.resolve("s"));
    return EvidenceLog.read(s.events);
  }

  @Test
  void summaryNamesTaskOutcomeIdentityBlockedHostsAndFailedTeardown() {
    List<EvidenceEvent> events = sampleEvents();

    String md = SummaryRenderer.markdown(events, SampleSession.TEARDOWN_JSON);

    assertThat(md)
        .contains("| Task | JIRA-42 |")
        .contains("| Session | " + SampleSession.SESSION + " |")
        .contains("| Outcome | **failed (exit 123); teardown failed** |")
        .contains("| Exit code | 123 |")
        .contains("| Duration | 4.000s |")
        .contains("| SPIFFE ID | `" + SampleSession.SPIFFE_ID + "` |")
        .contains("| Key id (kid) | `kid-identity-1` |")
        .contains("| evil.example.com | 443 | 0 | 2 | `evil.example.com:443` |")
        .contains("| registry.npmjs.org | 443 | 3 | 0 |  |")
        .contains("- evil.example.com: `evil.example.com:443` (no rule allows it)")
        .contains("| revoke-github-token | **FAILED** (failed) | 3 | HTTP 500 from DELETE /installation/token |")
        .contains("| kill-agent | ok | 1 |  |")
        .contains("| remove-namespace | skipped | 0 | backend proxy |")
        .contains("**At least one teardown step failed**");
  }

  @Test
  void teardownStepsComeFromEventsWhenThereIsNoTeardownReport() {
    List<EvidenceEvent> events = sampleEvents();

    String md = SummaryRenderer.markdown(events, null);

    assertThat(md).contains("| revoke-github-token | **FAILED** (failed) | 3 |").contains("| stop-gateway | ok | 1 |");
  }

  /**
   * Review finding: the agent decides how many hosts it tries, and both reports listed each (a 107 MB
   * summary and a 146 MB report for 100,000 hosts). They list the first 200, those with denials first,
   * and say what they leave out.
   */
  @Test
  void bothReportsListAtMostTwoHundredHostsDenialsFirstAndSayHowManyMore() {
    Path file = tmp.resolve("events.jsonl");
    try (EvidenceLog log = EvidenceLog.create(file, "s1", Clock.systemUTC())) {
      log.append("egress.allowed", Map.of("host", "api.example", "port", 443));
      for (int i = 0; i < 250; i++) {
        log.append("egress.denied", Map.of("host", String.format("h%03d.example", i), "port", 443, "rule_to_add",
            String.format("h%03d.example", i)));
      }
    }
    List<EvidenceEvent> events = EvidenceLog.read(file);

    String md = SummaryRenderer.markdown(events, null);
    String html = HtmlReportRenderer.html(events, null);
    html = html.substring(0, html.indexOf("<h2>Timeline")); // the timeline keeps every event

    String more = "51 more hosts (50 with denials) are not listed here; every egress decision is in events.jsonl.";
    assertThat(md).contains("| h199.example |").doesNotContain("h200.example").doesNotContain("api.example").contains(more);
    assertThat(html).contains("h199.example").doesNotContain("h200.example").doesNotContain("api.example").contains(more);
  }

  @Test
  void valuesCannotInjectMarkupIntoEitherReport() {
    Path file = tmp.resolve("events.jsonl");
    try (EvidenceLog log = EvidenceLog.create(file, "s1", Clock.systemUTC())) {
      log.append("session.opened", Map.of("task", "<img src=x onerror=alert(1)>"));
      log.append("egress.denied", Map.of("host", "a.example|b](javascript:x)", "port", 443, "rule_to_add", "`x`</code><script>"));
    }
    List<EvidenceEvent> events = EvidenceLog.read(file);

    String md = SummaryRenderer.markdown(events, null);
    String html = HtmlReportRenderer.html(events, null);

    assertThat(md).doesNotContain("<img").doesNotContain("<script").doesNotContain("b](javascript").contains("b\\](javascript").contains("&lt;img");
    assertThat(html).doesNotContain("<img").doesNotContain("<script").contains("&lt;img src=x onerror=alert(1)&gt;")
        .contains("&lt;/code&gt;&lt;script&gt;");
  }

  /**
   * Review finding: the agent's text reached both reports with its bidi and invisible characters, so a
   * right-to-left override showed a command other than the one recorded.
   */
  @Test
  void bidiAndInvisibleCharactersFromTheAgentAreShownAsEscapesInBothReports() {
    Path file = tmp.resolve("events.jsonl");
    try (EvidenceLog log = EvidenceLog.create(file, "s1", Clock.systemUTC())) {
      log.append("prompt.submitted", Map.of("prompt", "prompt-1", "text", "tidy\u200bup", "reported_by", "agent"));
      log.append("tool.called", Map.of("prompt", "prompt-1", "tool_call", "call-1", "tool", "Bash", "action", "tool.bash",
          "input", "cat notes\u202etxt.sh", "reported_by", "agent"));
      log.append("gate.decided", Map.of("action", "tool.bash", "decision", "deny", "rule", "default", "tool_call", "call-1",
          "target", "cat notes\u202etxt.sh", "reason", "no\u200b rule allows it", "reported_by", "agent"));
    }
    List<EvidenceEvent> events = EvidenceLog.read(file);

    String md = SummaryRenderer.markdown(events, null);
    String html = HtmlReportRenderer.html(events, null);

    for (String report : List.of(md, html)) {
      assertThat(report).doesNotContain("\u202e").doesNotContain("\u200b")
          .contains("cat notes\\u202etxt.sh").contains("no\\u200b rule allows it");
    }
    assertThat(html).contains("tidy\\u200bup");
  }

  @Test
  void aReducedConfinementIsNamedInBothReports() {
    Path file = tmp.resolve("events.jsonl");
    try (EvidenceLog log = EvidenceLog.create(file, "s1", Clock.systemUTC())) {
      log.append("session.opened", Map.of("task", "T-1", "backend", "netns", "enforcement", "strict"));
      log.append("sandbox.started", Map.of("uid", 1001, "confinement", "reduced", "protections_off", List.of("user-namespace")));
    }
    List<EvidenceEvent> events = EvidenceLog.read(file);

    String md = SummaryRenderer.markdown(events, null);
    String html = HtmlReportRenderer.html(events, null);

    String warning = "Confinement was REDUCED (sandbox.confinement: reduced, allowed by the Ceiling): the agent ran"
        + " without user-namespace.";
    assertThat(md).contains("> **Warning.** " + warning);
    assertThat(html).contains("<strong>Warning.</strong> " + warning);
  }

  @Test
  void aFullConfinementCarriesNoReducedWarning() {
    String md = SummaryRenderer.markdown(sampleEvents(), SampleSession.TEARDOWN_JSON);

    assertThat(md).doesNotContain("REDUCED");
  }

  @Test
  void unknownAndMissingEventsStillRender() {
    Path file = tmp.resolve("events.jsonl");
    try (EvidenceLog log = EvidenceLog.create(file, "s1", SampleSession.steppingClock(Instant.EPOCH))) {
      log.appendOfUndefinedTypeForTests("future.event_type", Map.of("anything", List.of(1, 2)));
    }
    List<EvidenceEvent> events = EvidenceLog.read(file);

    String md = SummaryRenderer.markdown(events, "not json");
    String html = HtmlReportRenderer.html(events, "");

    assertThat(md).contains("| Outcome | **incomplete (no session.closed event)** |").contains("No egress decisions were recorded.")
        .contains("No teardown steps were recorded.");
    assertThat(html).contains("future.event_type").contains("{&quot;anything&quot;:[1,2]}");
    assertThat(SummaryRenderer.markdown(List.of(), null)).contains("0 evidence events.");
  }

  @Test
  void htmlReportIsSelfContained() {
    String html = HtmlReportRenderer.html(sampleEvents(), SampleSession.TEARDOWN_JSON);

    assertThat(html).startsWith("<!DOCTYPE html>").contains("<style>").doesNotContain("<script").doesNotContain("<link")
        .doesNotContain("src=").doesNotContain("http://").doesNotContain("url(");
  }
}
