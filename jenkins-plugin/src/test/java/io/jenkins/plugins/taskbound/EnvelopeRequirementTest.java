package io.jenkins.plugins.taskbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** "Require the envelope": which launches it refuses; plain JUnit, no Jenkins. */
class EnvelopeRequirementTest {
  private static final List<String> EXEC =
      List.of("/opt/java/bin/java", "-jar", "/node/taskbound/ab/taskbound.jar", "session", "exec", "--session", "/s/01", "--");

  @TempDir Path root;

  @Test
  void refusesADurableShStepOutsideABlockNamingTheStepAndTheFix() {
    DurableFixture step = DurableFixture.of(root, "echo hi");

    String refusal = EnvelopeRequirement.refusal(step.command());

    assertNotNull(refusal);
    assertTrue(refusal.contains("this sh step runs outside a taskbound block"), refusal);
    assertTrue(refusal.contains("taskbound(task: 'FIX-123') { sh '...' }"), refusal);
  }

  @Test
  void letsTheSameStepRunOnceABlockWrappedIt() {
    DurableFixture step = DurableFixture.of(root, "echo hi");

    List<String> enveloped = DurableShellLaunch.command(EXEC, step.command(), null);
    List<String> refusedContainer = DurableShellLaunch.command(EXEC, step.command(), "container");
    List<String> otherShape = DurableShellLaunch.command(EXEC, List.of("git", "fetch", "origin"), null);

    assertNull(EnvelopeRequirement.refusal(enveloped));
    assertNull(EnvelopeRequirement.refusal(refusedContainer));
    assertNull(EnvelopeRequirement.refusal(otherShape));
  }

  @Test
  void letsEverythingThatIsNotADurableStepRun() {
    assertNull(EnvelopeRequirement.refusal(List.of("git", "checkout", "-f", "abc123")));
    assertNull(EnvelopeRequirement.refusal(List.of("/opt/java/bin/java", "-jar", "/n/taskbound.jar", "session", "start",
        "--task", "T-1", "--out", "/ws/taskbound-evidence")));
  }

  @Test
  void refusesAFreestyleShellStepOutsideTheWrapperAndLetsItRunInsideIt() {
    List<String> shell = List.of("sh", "-xe", "/var/lib/jenkins/workspace/job@tmp/jenkins123456789.sh");
    List<String> wrapped = DurableShellLaunch.command(EXEC, shell, null);

    String refusal = EnvelopeRequirement.refusal(shell);

    assertNotNull(refusal);
    assertTrue(refusal.contains("this sh step runs outside a taskbound block"), refusal);
    assertNull(EnvelopeRequirement.refusal(wrapped));
  }

  @Test
  void namesBatAndPowershellSteps() {
    String bat = EnvelopeRequirement.refusal(List.of("cmd", "/c", "call", "C:\\ws@tmp\\durable-1a2b3c4d\\jenkins-wrap.bat"));
    String ps = EnvelopeRequirement.refusal(List.of("powershell.exe", "-NoProfile", "-File",
        "C:\\ws@tmp\\durable-1a2b3c4d\\jenkins-wrap.ps1"));

    assertNotNull(bat);
    assertNotNull(ps);
    assertTrue(bat.contains("this bat step"), bat);
    assertTrue(ps.contains("this powershell step"), ps);
    assertEquals("sh", EnvelopeRequirement.durableStep(DurableFixture.of(root, "true", "durable-0a0b0c0d").command()));
  }
}
