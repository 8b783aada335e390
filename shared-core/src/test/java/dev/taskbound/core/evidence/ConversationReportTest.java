package dev.taskbound.core.evidence;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Issue 16 (review finding MEDIUM-2): the conversation section says whose account it is, and when the cap ended it. */
class ConversationReportTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static EvidenceEvent event(long seq, String type, String data) throws Exception {
    return new EvidenceEvent(seq, Instant.EPOCH, type, "s1", JSON.readTree(data), EvidenceEvent.GENESIS, EvidenceEvent.GENESIS);
  }

  @Test
  void theSectionSaysTheConversationIsTheAgentsOwnAccount() throws Exception {
    List<EvidenceEvent> events = List.of(
        event(1, "prompt.submitted", "{\"prompt\":\"prompt-1\",\"reported_by\":\"agent\"}"));

    String md = ConversationReport.markdown(events);

    assertThat(md).contains("the agent's own account, as its hooks reported them (`reported_by: agent`)")
        .doesNotContain("cap on hook events");
  }

  @Test
  void aReachedCapIsShownEvenWhenNothingElseWasRecorded() throws Exception {
    List<EvidenceEvent> events = List.of(event(1, "hook.budget_exhausted", "{\"events\":20000,\"max_events\":20000}"));

    String md = ConversationReport.markdown(events);

    assertThat(md).contains("### Agent conversation").contains("**The session's cap on hook events was reached:**");
  }

  @Test
  void aRepeatedToolCallIdNeverLendsOneCallsDecisionOrOutcomeToAnother() throws Exception {
    // the agent picks tool_use_id: the second call reuses the first one's, is denied and never runs
    List<EvidenceEvent> events = List.of(
        event(1, "tool.called", "{\"tool_call\":\"t1\",\"call\":\"call-1\",\"tool\":\"Bash\",\"input\":\"ls\"}"),
        event(2, "tool.called", "{\"tool_call\":\"t1\",\"call\":\"call-2\",\"tool\":\"Bash\",\"input\":\"rm -rf x\"}"),
        event(3, "gate.decided", "{\"tool_call\":\"t1\",\"call\":\"call-2\",\"decision\":\"deny\",\"rule\":\"r\"}"),
        event(4, "gate.decided", "{\"tool_call\":\"t1\",\"call\":\"call-1\",\"decision\":\"allow\",\"rule\":\"default\"}"),
        event(5, "tool.result", "{\"tool_call\":\"t1\",\"outcome\":\"ok\"}"));

    String md = ConversationReport.markdown(events);

    assertThat(md).contains("| Bash | `ls` | allow | ok |").contains("| Bash | `rm -rf x` | deny | not run |");
  }

  @Test
  void inABundleWithoutCallNumbersEachCallTakesTheNextDecisionAndResultWithItsIdNotYetTaken() throws Exception {
    List<EvidenceEvent> events = List.of(
        event(1, "tool.called", "{\"tool_call\":\"t1\",\"tool\":\"Bash\",\"input\":\"ls\"}"),
        event(2, "gate.decided", "{\"tool_call\":\"t1\",\"decision\":\"allow\",\"rule\":\"default\"}"),
        event(3, "tool.result", "{\"tool_call\":\"t1\",\"outcome\":\"ok\"}"),
        event(4, "tool.called", "{\"tool_call\":\"t1\",\"tool\":\"Bash\",\"input\":\"rm -rf x\"}"),
        event(5, "gate.decided", "{\"tool_call\":\"t1\",\"decision\":\"deny\",\"rule\":\"r\"}"));

    String md = ConversationReport.markdown(events);

    assertThat(md).contains("| Bash | `ls` | allow | ok |").contains("| Bash | `rm -rf x` | deny | not run |");
  }

  @Test
  void anApproveNoPersonGrantedNeverTakesALaterCallsResult() throws Exception {
    List<EvidenceEvent> events = List.of(
        event(1, "tool.called", "{\"tool_call\":\"t1\",\"call\":\"call-1\",\"tool\":\"Bash\",\"input\":\"npm publish\"}"),
        event(2, "gate.decided", "{\"tool_call\":\"t1\",\"call\":\"call-1\",\"decision\":\"approve\",\"rule\":\"r\"}"),
        event(3, "approval.denied", "{\"request\":\"approval-1\",\"tool_call\":\"t1\",\"call\":\"call-1\"}"),
        event(4, "tool.called", "{\"tool_call\":\"t1\",\"call\":\"call-2\",\"tool\":\"Bash\",\"input\":\"ls\"}"),
        event(5, "gate.decided", "{\"tool_call\":\"t1\",\"call\":\"call-2\",\"decision\":\"allow\",\"rule\":\"default\"}"),
        event(6, "tool.result", "{\"tool_call\":\"t1\",\"outcome\":\"ok\"}"),
        event(7, "tool.called", "{\"tool_call\":\"t2\",\"call\":\"call-3\",\"tool\":\"Bash\",\"input\":\"npm run x\"}"),
        event(8, "gate.decided", "{\"tool_call\":\"t2\",\"call\":\"call-3\",\"decision\":\"approve\",\"rule\":\"r\"}"),
        event(9, "approval.granted", "{\"request\":\"approval-2\",\"tool_call\":\"t2\",\"call\":\"call-3\"}"),
        event(10, "tool.result", "{\"tool_call\":\"t2\",\"outcome\":\"error\"}"));

    String md = ConversationReport.markdown(events);

    assertThat(md).contains("| Bash | `npm publish` | approve | not run |").contains("| Bash | `ls` | allow | ok |")
        .contains("| Bash | `npm run x` | approve | error |");
  }
}
