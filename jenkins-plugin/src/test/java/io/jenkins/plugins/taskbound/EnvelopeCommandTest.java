package io.jenkins.plugins.taskbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The step's translation into core flags; plain JUnit, no Jenkins. */
class EnvelopeCommandTest {

  private static final EnvelopeCommand FULL =
      new EnvelopeCommand(
          "/opt/java/bin/java", "/ws@tmp/taskbound/taskbound.jar", "FIX-123", List.of("org.yml", "task.yml"),
          "/ws@tmp/taskbound/ceiling-1.yml", "coding-agent", "container", "node:22", "45m", "/ws/taskbound-evidence");

  @Test
  void prefixesCommandsWithAFullRunInvocationEndingInDoubleDash() {
    assertEquals(
        List.of(
            "/opt/java/bin/java", "-jar", "/ws@tmp/taskbound/taskbound.jar", "run", "--task", "FIX-123",
            "--policy", "org.yml", "--policy", "task.yml", "--ceiling", "/ws@tmp/taskbound/ceiling-1.yml",
            "--profile", "coding-agent", "--sandbox", "container", "--image", "node:22", "--ttl", "45m",
            "--out", "/ws/taskbound-evidence", "--"),
        FULL.runPrefix());
  }

  @Test
  void neverAsksToWaitForTheWholeSandboxWhichContainerAndProxyRefuse() {
    for (String sandbox : TaskboundStep.SANDBOXES) {
      EnvelopeCommand command = new EnvelopeCommand("java", "tb.jar", "T-1", List.of("p.yml"), null, null, sandbox, null, null, "/ev");

      assertFalse(command.runPrefix().contains("--wait-all"), sandbox);
    }
  }

  @Test
  void checksTaskPolicyCeilingAndProfileButNotRuntimeOptions() {
    assertEquals(
        List.of(
            "/opt/java/bin/java", "-jar", "/ws@tmp/taskbound/taskbound.jar", "policy", "check", "--task", "FIX-123",
            "--ceiling", "/ws@tmp/taskbound/ceiling-1.yml", "--profile", "coding-agent", "org.yml", "task.yml"),
        FULL.policyCheck());
  }

  @Test
  void leavesOutOptionsThatAreNotSet() {
    EnvelopeCommand minimal = new EnvelopeCommand("java", "tb.jar", "T-1", List.of("p.yml"), null, null, null, null, null, "/ev");

    assertEquals(List.of("java", "-jar", "tb.jar", "run", "--task", "T-1", "--policy", "p.yml", "--out", "/ev", "--"), minimal.runPrefix());
  }

  @Test
  void swapsPolicyFilesAndKeepsEverythingElse() {
    EnvelopeCommand snapshots = FULL.withPolicies(List.of("/ws@tmp/taskbound/policy-1-org.yml"));

    assertEquals(List.of("/ws@tmp/taskbound/policy-1-org.yml"), snapshots.policies());
    assertEquals(FULL.withPolicies(FULL.policies()), FULL);
    assertEquals(FULL.ceiling(), snapshots.ceiling());
  }

  @Test
  void refusesToBuildWithoutAPolicy() {
    assertThrows(
        IllegalArgumentException.class,
        () -> new EnvelopeCommand("java", "tb.jar", "T-1", List.of(), null, null, null, null, null, "/ev"));
  }

  @Test
  void splitsCommaSeparatedPolicyArgumentAndFallsBackToTheDefault() {
    TaskboundStep step = new TaskboundStep("T-1");
    step.setPolicy(" org.yml ,, task.yml ");
    TaskboundStep blank = new TaskboundStep("T-1");
    blank.setPolicy(" , ");

    assertEquals(List.of("org.yml", "task.yml"), step.policyFiles());
    assertEquals(List.of("taskbound/policy.yml"), blank.policyFiles());
  }
}
