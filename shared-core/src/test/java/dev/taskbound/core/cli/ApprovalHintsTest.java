package dev.taskbound.core.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskbound.core.gate.ApprovalBroker;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The run's terminal gets a hint that points to another shell, never a prompt; the hint is one escaped line. */
class ApprovalHintsTest {
  @Test
  void theHintNamesTheRequestAndTheCommandsForAnotherShellOnOneEscapedLine() {
    ApprovalBroker.Pending p = new ApprovalBroker.Pending("approval-3",
        new ApprovalBroker.Request("git.push", "refs/heads/main\n\u001b[1Aok", "needs approval", "git.push: approve",
            Map.of()),
        Instant.parse("2026-12-06T10:00:00Z"), Instant.parse("2026-12-06T10:05:00Z"));

    String line = ApprovalHints.line(p, Path.of("/run/tb/s1"));

    assertThat(line).doesNotContain("\n").doesNotContain("\u001b")
        .startsWith("taskbound: approval-3 waits for approval: git.push 'refs/heads/main\\n\\e[1Aok'")
        .contains("another shell, never this one: taskbound approvals --session /run/tb/s1")
        .endsWith("taskbound approve|deny --session /run/tb/s1 approval-3");
  }
}
