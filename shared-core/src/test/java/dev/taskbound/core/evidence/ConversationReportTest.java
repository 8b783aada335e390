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
}
