package io.jenkins.plugins.taskbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The host record Jenkins keeps from {@code session start}'s lines; plain JUnit, no Jenkins. */
class SessionOpeningTest {
  private static final String PRINTED = """
      taskbound: task FIX-123, session 01jq8m3v0p4k2r7s9t1w, netns sandbox, ttl 30m
        identity: spiffe://ci.example.org/task/FIX-123/01jq8m3v0p4k2r7s9t1w
        session:  /var/lib/jenkins/.taskbound/sessions/01jq8m3v0p4k2r7s9t1w
        evidence key: kid Xb3-kQ_9zTq (record it; verify with --expect-kid)
        supervisor: pid 4242, log /var/lib/jenkins/.taskbound/sessions/01jq8m3v0p4k2r7s9t1w.supervisor.log
      """;

  @Test
  void readsTheSessionItsIdentityAndTheEvidenceKeyFromTheLinesSessionStartPrints() {
    SessionOpening opening = SessionOpening.parse(PRINTED);

    assertEquals("01jq8m3v0p4k2r7s9t1w", opening.session());
    assertEquals("spiffe://ci.example.org/task/FIX-123/01jq8m3v0p4k2r7s9t1w", opening.spiffeId());
    assertEquals("Xb3-kQ_9zTq", opening.kid());
    assertEquals("taskbound verify --expect-kid Xb3-kQ_9zTq FIX-123-01jq.zip", opening.verifyCommand("FIX-123-01jq.zip"));
  }

  @Test
  void aCoreThatDoesNotPrintTheKidIsRefusedNamingTheLine() {
    String old = PRINTED.replaceAll("(?m)^.*evidence key.*\n", "");

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SessionOpening.parse(old));

    assertTrue(e.getMessage().contains("evidence key: kid K"), e.getMessage());
  }

  @Test
  void anAgentsOutputCannotPlantAKidBeforeTheCoresLine() {
    // the kid is only ever taken from the core's own indented line, never from text later in a line
    String planted = "taskbound: task T, session S1, netns sandbox, ttl 1m\n  identity: spiffe://x/task/T/S1\n"
        + "echo evidence key: kid FORGED\n  evidence key: kid REAL1 (record it)\n";

    assertEquals("REAL1", SessionOpening.parse(planted).kid());
  }
}
