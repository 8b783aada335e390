package dev.taskbound.core.evidence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A hostile chain of empty objects is refused by counting, before it is parsed into gigabytes. */
class ChainLimitsTest {

  private static String lineOf(int objects) {
    return "{\"data\":{\"a\":[" + String.join(",", Collections.nCopies(objects, "{}")) + "]}}";
  }

  @Test
  void aLineWithMoreObjectsThanAnEventHoldsIsRefusedUnparsedAsUnreadable() {
    assertThatThrownBy(() -> Chain.checkReceived(List.of(lineOf(Chain.MAX_CONTAINERS_PER_LINE))))
        .isInstanceOf(EvidenceException.class)
        .hasMessage("line 1: more JSON objects and arrays than an evidence log holds (at most"
            + " 100000 in a line, 4000000 in all): not read further");
    // the session's own log, read to seal it, is bounded by its budgets instead: never refused by count
    assertThat(Chain.check(List.of(lineOf(Chain.MAX_CONTAINERS_PER_LINE))).problem()).doesNotContain("more JSON objects");
  }

  @Test
  void bracketsInsideStringsAreTheAgentsTextAndNeverCount() {
    // a prompt or a command of brackets, as the agent may have written it: one object, one string
    String line = "{\"data\":{\"prompt\":\"" + "{[".repeat(Chain.MAX_CONTAINERS_PER_LINE) + "\\\"{\"}}";

    assertThat(Chain.checkReceived(List.of(line)).problem()).doesNotContain("more JSON objects");
  }

  @Test
  void aValidChainWhoseLinesEachPassIsRefusedOnceTheirSumIsPastTheChainsCap() {
    List<String> lines = new ArrayList<>();
    String prev = EvidenceEvent.GENESIS;
    for (int seq = 1; seq <= 5; seq++) { // each line: its event, its data and the data's array of three objects
      com.fasterxml.jackson.databind.JsonNode data = CanonicalJson.MAPPER.valueToTree(
          java.util.Map.of("a", List.of(java.util.Map.of(), java.util.Map.of(), java.util.Map.of())));
      String ts = "2026-12-08T01:00:0" + seq + ".000Z"; // EvidenceEvent.TS: milliseconds
      String hash = EvidenceEvent.hashOf(EvidenceEvent.withoutHash(seq, ts, "test.event", "s1", data, prev));
      lines.add(new EvidenceEvent(seq, java.time.Instant.parse(ts), "test.event", "s1", data, prev, hash).toJsonLine());
      prev = hash;
    }

    assertThat(Chain.check(lines, 6, 30).problem()).as("6 in a line, 30 in all: the chain is whole").isNull();

    assertThatThrownBy(() -> Chain.check(lines, 6, 20))
        .isInstanceOf(EvidenceException.class)
        .hasMessage("line 4: more JSON objects and arrays than an evidence log holds (at most 6 in a line, 20 in all):"
            + " not read further");
  }

  @Test
  void aLineUnderTheCapIsJudgedOnItsContentAsBefore() {
    Chain.Result result = Chain.checkReceived(List.of(lineOf(10)));

    assertThat(result.badLine()).isEqualTo(1);
    assertThat(result.problem()).doesNotContain("more JSON objects");
  }
}
