package dev.taskbound.action;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The runner records the evidence key's kid in the step summary at open; the job log gets the core's stderr unchanged (issue 14). */
class HostRecordTest {
  @TempDir Path tmp;

  private static final String KID = "SwuIaIPdAeGi--4p8t7QDq-uiyx-kDETM-2c0Ghpg48";

  @Test
  void theKidTheCorePrintsAtOpenGoesToTheStepSummaryAndTheLogIsUnchanged() throws Exception {
    Path summary = tmp.resolve("summary.md");
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    String core = "taskbound: task T-1, session s, netns sandbox, ttl 1h\n  evidence key: kid " + KID
        + " (record it; verify with --expect-kid)\nagent output mentioning evidence key: kid " + "A".repeat(43) + "\n";

    try (PrintStream err = new PrintStream(new HostRecord(log, Optional.of(summary)), true, StandardCharsets.UTF_8)) {
      err.print(core);
    }

    assertThat(log.toString(StandardCharsets.UTF_8)).isEqualTo(core);
    assertThat(Files.readString(summary)).contains("`" + KID + "`").contains("taskbound verify --expect-kid " + KID)
        .doesNotContain("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"); // only the first, the core's own line
  }

  @Test
  void theSessionIsTheOneTheCoresFirstLineNamesNotOneTheAgentPrintsAfterIt() {
    HostRecord record = new HostRecord(new ByteArrayOutputStream(), Optional.empty());
    try (PrintStream err = new PrintStream(record, true, StandardCharsets.UTF_8)) {
      assertThat(record.sessionId()).isEmpty();
      err.print("taskbound: task T-1, session 01m97bp7cdjc8tmb65hs, netns sandbox, ttl 1h\n  evidence key: kid " + KID
          + "\ntaskbound: task T-1, session zzzz, netns sandbox, ttl 1h\n");
    }

    assertThat(record.sessionId()).contains("01m97bp7cdjc8tmb65hs");
  }
}
