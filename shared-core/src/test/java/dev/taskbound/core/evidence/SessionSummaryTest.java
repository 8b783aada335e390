package dev.taskbound.core.evidence;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The summary and report of a multi-command session ({@code session start / exec / end}): one outcome for all its commands. */
class SessionSummaryTest {
  @TempDir Path tmp;

  private List<EvidenceEvent> session(Integer closedExit, Object[]... execs) {
    Path file = tmp.resolve("events.jsonl");
    try (EvidenceLog log = EvidenceLog.create(file, "s1", Clock.systemUTC())) {
      log.append("session.opened", Map.of("task", "T-1", "backend", "netns", "enforcement", "strict"));
      for (Object[] x : execs) {
        log.append("agent.started", Map.of("exec", x[0], "command", List.of("sh", "-c", x[1])));
        Map<String, Object> exited = new HashMap<>(Map.of("exec", x[0], "exit_code", x[2]));
        if (x.length > 3) {
          exited.put("stopped_by", x[3]);
        }
        log.append("agent.exited", exited);
      }
      if (closedExit != null && closedExit == 124) {
        log.append("session.ttl_expired", Map.of("ttl_seconds", 60));
      }
      Map<String, Object> closed = new HashMap<>();
      closed.put("exit_code", closedExit);
      closed.put("teardown_ok", true);
      log.append("session.closed", closed);
    }
    return EvidenceLog.read(file);
  }

  @Test
  void aLaterFailedCommandFailsTheSessionAndIsNamedNotTheFirstCommandsStatus() {
    List<EvidenceEvent> events = session(null, new Object[] {1, "make", 0}, new Object[] {2, "make test", 7},
        new Object[] {3, "true", 0});

    String md = SummaryRenderer.markdown(events, null);
    String html = HtmlReportRenderer.html(events, null);

    assertThat(md)
        .contains("| Outcome | **failed (command 2 of 3 exited 7)** |")
        .contains("| Exit code | 7 |")
        .contains("| 1 | `sh -c make` | 0 |  |")
        .contains("| 2 | `sh -c make test` | 7 |  |")
        .contains("| 3 | `sh -c true` | 0 |  |");
    assertThat(html).contains("failed (command 2 of 3 exited 7)");
  }

  @Test
  void everyCommandExitingZeroIsASucceededSession() {
    List<EvidenceEvent> events = session(null, new Object[] {1, "a", 0}, new Object[] {2, "b", 0});

    String md = SummaryRenderer.markdown(events, null);

    assertThat(md).contains("| Outcome | succeeded |").contains("| Exit code | 0 |");
  }

  @Test
  void theSessionsOwnCodeWinsWhenItHasOneAndAStoppedCommandSaysWhy() {
    List<EvidenceEvent> events = session(124, new Object[] {1, "a", 0}, new Object[] {2, "sleep 120", 143, "ttl expired"});

    String md = SummaryRenderer.markdown(events, null);

    assertThat(md).contains("| Outcome | **TTL expired** |").contains("| Exit code | 124 |")
        .contains("| 2 | `sh -c sleep 120` | 143 | ttl expired |");
  }

  @Test
  void aOneCommandRunHasNoCommandsTable() {
    Path file = tmp.resolve("run.jsonl");
    try (EvidenceLog log = EvidenceLog.create(file, "s1", Clock.systemUTC())) {
      log.append("session.opened", Map.of("task", "T-1"));
      log.append("agent.exited", Map.of("exit_code", 3));
      log.append("session.closed", Map.of("exit_code", 3, "teardown_ok", true));
    }

    String md = SummaryRenderer.markdown(EvidenceLog.read(file), null);

    assertThat(md).contains("| Outcome | **failed (exit 3)** |").doesNotContain("### Commands");
  }
}
