package dev.taskbound.core.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskbound.core.gate.ApprovalBroker;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What the prompt on the terminal shows: the request's every field escaped, each line one line. */
class TerminalApprovalsTest {
  @Test
  void thePromptShowsTheRequestEscapedAndHowToAnswerItFromAnotherShell() {
    ApprovalBroker.Pending p = new ApprovalBroker.Pending("approval-2",
        new ApprovalBroker.Request("git.push", "refs/heads/main\r\u001bc\u001b[2KApprove? [y/n]", "ship\nit\u202e",
            "git.push: approve", Map.of()),
        Instant.parse("2026-12-06T10:00:00Z"), Instant.parse("2026-12-06T10:05:00Z"));

    List<String> lines = TerminalApprovals.lines(p, Path.of("/run/tb/s1"));

    assertThat(lines).hasSize(3).allSatisfy(l -> assertThat(l).doesNotContain("\n", "\r", "\u001b", "\u202e"));
    assertThat(lines.get(0)).isEqualTo("approval-2 waits for approval: git.push 'refs/heads/main\\r\\ec\\e[2KApprove? [y/n]'"
        + " (rule git.push: approve, expires 2026-12-06T10:05:00Z)");
    assertThat(lines.get(1)).isEqualTo("reason: ship\\nit\\u202e");
    assertThat(lines.get(2)).isEqualTo("Answer here with the code below, or from another shell:"
        + " taskbound approve|deny --session /run/tb/s1 approval-2");
  }

  @Test
  void aVeryLongRequestIsShownCutWithAMarkerKeepingItsStartAndItsDigest() {
    // given an inspected request whose path the agent made 8 KiB long
    String path = "/upload/" + "p".repeat(8200);
    ApprovalBroker.Pending p = new ApprovalBroker.Pending("approval-3",
        new ApprovalBroker.Request("http.request", "", "", "uploads: approve", Map.of("method", "POST", "host", "up.example",
            "path", path, "path_template", "/upload/**", "body_sha256", "sha256:" + "ab".repeat(32))),
        Instant.parse("2026-12-06T10:00:00Z"), Instant.parse("2026-12-06T10:05:00Z"));

    // when the prompt's lines are made
    List<String> lines = TerminalApprovals.lines(p, Path.of("/run/tb/s1"));

    // then the first line is bounded, says it was cut and where to read it whole, and keeps both ends
    String first = lines.get(0);
    assertThat(first.length()).isLessThanOrEqualTo(TerminalApprovals.MAX_LINE);
    assertThat(first).startsWith("approval-3 waits for approval: http.request  request POST up.example/upload/ppp")
        .containsPattern(" \\.\\.\\.\\[\\d+ characters cut; whole: taskbound approvals --session /run/tb/s1\\]\\.\\.\\. ")
        .endsWith("body sha256:" + "ab".repeat(32) + ") (rule uploads: approve, expires 2026-12-06T10:05:00Z)");
    int cut = Integer.parseInt(first.replaceAll("(?s).*\\[(\\d+) characters cut.*", "$1"));
    assertThat(first.length() - first.replaceAll("(?s).*?( \\.\\.\\.\\[.*\\]\\.\\.\\. ).*", "$1").length() + cut)
        .as("what is shown plus what is cut is the whole line").isEqualTo(ApprovalHints.request(p).length());
  }

  @Test
  void whoAnsweredIsTheOwnerOfTheTerminalDevice() throws Exception {
    Path device = Path.of("/dev/null");

    assertThat(TerminalApprovals.owner(device)).isEqualTo(java.nio.file.Files.getOwner(device).getName());
  }
}
