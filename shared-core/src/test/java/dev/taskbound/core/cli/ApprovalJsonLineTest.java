package dev.taskbound.core.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.taskbound.core.session.ApprovalClient;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Issue 16: {@code taskbound approvals --json} keeps every field exact for programs and still shows a
 * person reading it in a terminal no ESC sequence, C1 control or bidi override: the line is printable
 * ASCII, and {@code display} is the escaped line the plain listing prints.
 */
class ApprovalJsonLineTest {
  private static final String TARGET = "ls \u001b[2K\u009b1A \u202egnp.exe\u007f\nnext \u00e9t\u00e9";

  @Test
  void theJsonLineIsPrintableAsciiAndDecodesToTheExactTarget() throws Exception {
    ApprovalClient.Waiting w = new ApprovalClient.Waiting(Map.of("request", "approval-1", "action", "tool.bash",
        "target", TARGET, "rule", "tool.bash: approve\u2066", "expires_at", "2026-12-06T10:00:00Z"));

    String line = ApprovalCommands.jsonLine(w);
    JsonNode parsed = new ObjectMapper().readTree(line);

    assertThat(line.chars()).allMatch(c -> c >= 0x20 && c < 0x7f);
    assertThat(line).contains("\\u001B[2K\\u009B1A \\u202Egnp.exe\\u007F\\nnext \\u00E9t\\u00E9");
    assertThat(parsed.path("target").asText()).isEqualTo(TARGET);
    assertThat(parsed.path("rule").asText()).isEqualTo("tool.bash: approve\u2066");
    assertThat(parsed.path("display").asText()).isEqualTo(w.describe())
        .contains("'ls \\e[2K\\x9b1A \\u202egnp.exe\\x7f\\nnext \u00e9t\u00e9'");
  }
}
