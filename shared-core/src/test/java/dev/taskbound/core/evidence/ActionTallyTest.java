package dev.taskbound.core.evidence;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 15: the summary groups the inspected requests by gate action, with targets and refusing rules. */
class ActionTallyTest {
  @TempDir Path tmp;

  private static Map<String, Object> request(String method, String path, String decision, String rule, String... actions) {
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("method", method);
    data.put("host", "github.com");
    data.put("path", path);
    data.put("actions", java.util.Arrays.stream(actions).map(a -> {
      String[] nt = a.split(" ", 2);
      return Map.of("name", nt[0], "target", nt.length > 1 ? nt[1] : "");
    }).toList());
    data.put("decision", decision);
    data.put("rule", rule);
    data.put("status", decision.equals("allowed") ? 200 : 0);
    return data;
  }

  @Test
  void theSummaryCountsInspectedRequestsPerActionAndNamesTheRulesThatRefusedThem() {
    Path file = tmp.resolve("events.jsonl");
    String onlyTask = "built-in: git.push only to refs/heads/taskbound/T-1/**";
    try (EvidenceLog log = EvidenceLog.create(file, "s1", Clock.systemUTC())) {
      log.append("session.opened", Map.of("task", "T-1"));
      log.append("egress.request", request("POST", "/**/git-receive-pack", "allowed", onlyTask,
          "git.push refs/heads/taskbound/T-1/work"));
      log.append("egress.request", request("POST", "/**/git-receive-pack", "denied", onlyTask, "git.push refs/heads/main"));
      log.append("egress.request", request("POST", "/v1/messages", "allowed", "default", "model.call claude-sonnet-4-5"));
      log.append("egress.request", request("POST", "/v1/messages", "allowed", "default", "model.call claude-sonnet-4-5"));
      log.append("egress.request", request("PUT", "/repos/{owner}/{repo}/pulls/{number}/merge", "approval_required",
          "github.pr.merge: approve", "github.pr.merge"));
    }
    List<EvidenceEvent> events = EvidenceLog.read(file);

    String md = SummaryRenderer.markdown(events, null);
    String html = HtmlReportRenderer.html(events, null);

    assertThat(html).contains("<h2>Requests by action</h2>")
        .contains("<tr class=\"denied\"><td><code>git.push</code></td><td>1</td><td>1</td><td>0</td>"
            + "<td>refs/heads/main, refs/heads/taskbound/T-1/work</td>")
        .contains("<tr><td><code>model.call</code></td><td>2</td><td>0</td><td>0</td><td>claude-sonnet-4-5</td><td></td></tr>");
    assertThat(md).contains("### Requests by action")
        .contains("| `git.push` | 1 | 1 | 0 | `refs/heads/main`, `refs/heads/taskbound/T-1/work` | `" + onlyTask + "` |")
        .contains("| `model.call` | 2 | 0 | 0 | `claude-sonnet-4-5` |  |")
        .contains("| `github.pr.merge` | 0 | 0 | 1 |  | `github.pr.merge: approve` |");
  }

  @Test
  void aSessionWithoutInspectionHasNoRequestsSection() {
    Path file = tmp.resolve("events.jsonl");
    try (EvidenceLog log = EvidenceLog.create(file, "s1", Clock.systemUTC())) {
      log.append("session.opened", Map.of("task", "T-1"));
    }

    String md = SummaryRenderer.markdown(EvidenceLog.read(file), null);

    assertThat(md).doesNotContain("Requests by action");
    assertThat(HtmlReportRenderer.html(EvidenceLog.read(file), null)).doesNotContain("Requests by action");
  }
}
