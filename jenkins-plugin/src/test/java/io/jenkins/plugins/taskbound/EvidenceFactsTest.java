package io.jenkins.plugins.taskbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import org.junit.jupiter.api.Test;

/** What the build page shows from a sealed bundle; plain JUnit, no Jenkins. */
class EvidenceFactsTest {
  private static String event(String data, String type) {
    return "{\"data\":" + data + ",\"hash\":\"h\",\"prev\":\"p\",\"seq\":1,\"session\":\"s1\",\"ts\":\"2026-01-01T00:00:00Z\",\"type\":\""
        + type + "\"}\n";
  }

  private static final String EVENTS = event("{\"task\":\"T-1\"}", "session.opened")
      + event("{\"fingerprint\":\"sha256:ab\",\"kind\":\"github-token\",\"name\":\"github\"}", "credential.issued")
      + event("{\"fingerprint\":\"sha256:cd\",\"kind\":\"vault-token\",\"name\":\"vault\"}", "credential.issued")
      + event("{\"command\":[\"sh\",\"-c\",\"make\"],\"exec\":1}", "agent.started")
      + event("{\"host\":\"evil.test\",\"port\":443,\"type\":\"not-the-events\"}", "egress.denied")
      + event("{\"host\":\"1.2.3.4\",\"port\":443}", "egress.denied.address")
      + event("{\"host\":\"api.github.com\",\"port\":443}", "egress.allowed")
      + event("{\"command\":[\"sh\",\"-c\",\"make test\"],\"exec\":2}", "agent.started")
      + event("{\"attempts\":1,\"outcome\":\"ok\",\"step\":\"revoke-github-token\"}", "teardown.step")
      + event("{\"attempts\":3,\"error\":\"HTTP 500\",\"outcome\":\"failed\",\"step\":\"revoke-vault-token\"}", "teardown.step")
      + event("{\"attempts\":1,\"outcome\":\"ok\",\"step\":\"revoke-vault-login\"}", "teardown.step")
      + event("{\"attempts\":1,\"outcome\":\"ok\",\"step\":\"stop-gateway\"}", "teardown.step");

  private static final String SUMMARY = "## Taskbound session s1\n\n| | |\n|---|---|\n| Task | T\\-1 |\n"
      + "| Outcome | **failed (command 2 of 2 exited 7); teardown failed** |\n| Exit code | 7 |\n";

  @Test
  void countsCommandsDenialsAndTheCredentialsIssuedAndRevokedAndTakesTheOutcomeFromTheSummary() {
    EvidenceFacts facts = EvidenceFacts.of(EVENTS, SUMMARY);

    assertEquals("failed (command 2 of 2 exited 7); teardown failed", facts.outcome());
    assertEquals("7", facts.exitCode());
    assertEquals(2, facts.commands());
    assertEquals(2, facts.denials());
    assertEquals(2, facts.issued());
    assertEquals(1, facts.revoked());
    assertEquals(1, facts.revocationsFailed());
    assertEquals("failed (command 2 of 2 exited 7); teardown failed, exit 7; 2 command(s), 2 egress denial(s),"
        + " credentials 2 issued / 1 revoked / 1 revocation(s) FAILED", facts.describe());
  }

  @Test
  void offersBeanGettersForTheBuildPagesView() {
    EvidenceFacts facts = EvidenceFacts.of(EVENTS, SUMMARY);

    assertEquals(facts.outcome(), facts.getOutcome());
    assertEquals(facts.exitCode(), facts.getExitCode());
    assertEquals(List.of(2, 2, 2, 1, 1), List.of(facts.getCommands(), facts.getDenials(), facts.getIssued(),
        facts.getRevoked(), facts.getRevocationsFailed()));
  }

  @Test
  void aBundleWithoutASummarySaysSo() {
    EvidenceFacts facts = EvidenceFacts.of(EVENTS, "");

    assertEquals("unknown (the bundle has no summary)", facts.outcome());
    assertNull(facts.exitCode());
  }

  /** Jenkins keeps the facts in build.xml, and its XStream cannot read a record back (jenkinsci/jenkins#26077). */
  @Test
  void theFactsAreAClassJenkinsCanReadBackNotARecord() {
    assertEquals(false, EvidenceFacts.class.isRecord());
  }
}
