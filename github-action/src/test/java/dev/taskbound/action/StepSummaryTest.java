package dev.taskbound.action;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the action appends stays under GitHub's 1 MiB per step, past which the whole summary is dropped. */
class StepSummaryTest {
  private static final String KID_LINE = "**Taskbound evidence key**: `kid`\n\n";

  @TempDir Path tmp;

  @Test
  void aSummaryThatFitsIsAppendedWholeWithALineBreakAtItsEnd() throws Exception {
    Path file = tmp.resolve("summary");
    StepSummary.append(file, KID_LINE);
    StepSummary.append(file, "## Taskbound session s\n| a | b |");

    assertThat(Files.readString(file)).isEqualTo(KID_LINE + "## Taskbound session s\n| a | b |\n");
  }

  @Test
  void anAgentDrivenSummaryOverTheLimitIsCutAtALineBreakAndTheKidLineAndTheLinesAfterItStay() throws Exception {
    Path file = tmp.resolve("summary");
    StepSummary.append(file, KID_LINE);
    StringBuilder rows = new StringBuilder("| Host | Denied |\n|---|---:|\n");
    for (int i = 0; rows.length() < 3 * StepSummary.LIMIT; i++) {
      rows.append("| host-").append(i).append(".example.test | 1 |\n");
    }

    StepSummary.append(file, rows.toString());
    StepSummary.append(file, "No org ceiling applied.");

    String summary = Files.readString(file);
    assertThat(Files.size(file)).isLessThanOrEqualTo(StepSummary.LIMIT).isGreaterThan(StepSummary.LIMIT - 2 * StepSummary.RESERVE);
    assertThat(summary).startsWith(KID_LINE + "| Host | Denied |\n").contains(StepSummary.NOTE).endsWith("No org ceiling applied.\n");
    String kept = summary.substring(0, summary.indexOf(StepSummary.NOTE));
    assertThat(kept).endsWith(" | 1 |\n"); // whole rows only
  }

  @Test
  void aCutNeverSplitsACharacter() throws Exception {
    Path file = tmp.resolve("summary");
    String row = "| \u00e9\u00e9\u00e9\u00e9 \u4e2d\u6587 \ud83d\ude00 |\n";
    String text = row.repeat((int) (2 * StepSummary.LIMIT / row.getBytes(StandardCharsets.UTF_8).length));

    StepSummary.append(file, text);

    byte[] written = Files.readAllBytes(file);
    String decoded = new String(written, StandardCharsets.UTF_8);
    assertThat(decoded).doesNotContain("\ufffd").contains(StepSummary.NOTE);
    assertThat(decoded.substring(0, decoded.indexOf(StepSummary.NOTE))).matches("(?s)(\\Q" + row + "\\E)+");
  }

  @Test
  void aFileAlreadyAtTheLimitGetsNothingMore() throws Exception {
    Path file = tmp.resolve("summary");
    Files.write(file, new byte[(int) StepSummary.LIMIT - 10]);

    StepSummary.append(file, "## Taskbound session s\n".repeat(100));

    assertThat(Files.size(file)).isEqualTo(StepSummary.LIMIT - 10);
  }
}
