package io.jenkins.plugins.taskbound;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The core command lines of controller-held credentials; plain JUnit, no Jenkins. */
class ControllerCommandsTest {
  private static final EnvelopeCommand FULL =
      new EnvelopeCommand(
          "/opt/java/bin/java", "/ws@tmp/taskbound/taskbound.jar", "FIX-123", List.of("org.yml", "task.yml"),
          "/ws@tmp/taskbound/ceiling-1.yml", "coding-agent", "container", "node:22", "45m", "/ws/taskbound-evidence");

  @Test
  void issuesOnTheControllerWithTheSessionsPolicyToStandardOutputAndNeverASecretOnTheCommandLine() {
    assertEquals(
        List.of(
            "/opt/java/bin/java", "-jar", "/ws@tmp/taskbound/taskbound.jar", "credentials", "issue", "--task", "FIX-123",
            "--policy", "org.yml", "--policy", "task.yml", "--ceiling", "/ws@tmp/taskbound/ceiling-1.yml",
            "--profile", "coding-agent", "--sandbox", "container", "--ttl", "45m",
            "--session-root", "/jh/taskbound/credentials", "--journal", "/jh/taskbound/credentials/credentials-issued-01",
            "--handoff", "-", "--allow-none"),
        FULL.credentialsIssue("/jh/taskbound/credentials", "/jh/taskbound/credentials/credentials-issued-01"));
    assertEquals(List.of("java", "-jar", "tb.jar", "credentials", "revoke", "--journal", "/jh/j"),
        EnvelopeCommand.credentialsRevoke("java", "tb.jar", "/jh/j"));
  }

  @Test
  void opensTheSessionWithTheHandoffOnStandardInputNeverAFileOnTheAgent() {
    List<String> start = FULL.sessionStartWithHandoffOnStdin();

    assertEquals(FULL.sessionStart(), start.subList(0, start.size() - 2));
    assertEquals(List.of("--credentials-handoff", "-"), start.subList(start.size() - 2, start.size()));
  }
}
