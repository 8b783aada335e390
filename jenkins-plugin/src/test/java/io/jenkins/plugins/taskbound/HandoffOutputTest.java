package io.jenkins.plugins.taskbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The controller reads the hand-off from the issue's standard output; plain JUnit, no Jenkins. */
class HandoffOutputTest {
  private static final String HANDOFF = "{\"format\":\"taskbound-credential-handoff/1\",\"credentials\":[{\"name\":"
      + "\"github\",\"kind\":\"github-token\",\"value\":\"ghs_SENTINEL\"}]}";

  @Test
  void theIssuesStandardOutputIsTheHandoff() {
    String stdout = HANDOFF;

    Optional<String> handoff = HandoffOutput.read(stdout);

    assertEquals(Optional.of(HANDOFF), handoff);
  }

  @Test
  void nothingOnStandardOutputMeansNothingWasIssued() {
    String stdout = "";

    Optional<String> handoff = HandoffOutput.read(stdout);

    assertEquals(Optional.empty(), handoff);
  }

  @Test
  void anythingElseOnStandardOutputIsRefusedWithoutQuotingIt() {
    String stdout = "/var/jenkins_home/taskbound/credentials/credentials-issued-0011\nghs_SENTINEL\n";

    IllegalStateException e = assertThrows(IllegalStateException.class, () -> HandoffOutput.read(stdout));

    assertFalse(e.getMessage().contains("SENTINEL"), e.getMessage());
    assertFalse(e.getMessage().contains("credentials-issued"), e.getMessage());
  }
}
