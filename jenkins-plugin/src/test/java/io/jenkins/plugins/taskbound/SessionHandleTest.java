package io.jenkins.plugins.taskbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The block's session as the plugin reads, records and passes it on; plain JUnit, no Jenkins. */
class SessionHandleTest {
  private static final EnvelopeCommand COMMAND = new EnvelopeCommand(
      "/opt/java/bin/java", "/node/taskbound/cli-ab12/taskbound.jar", "FIX-123", List.of("p.yml"), null, "coding-agent",
      "netns", null, "30m", "/ws/taskbound-evidence");

  @Test
  void readsTheHandleFromTheOnlyLineSessionStartPrints() {
    SessionHandle handle = SessionHandle.parse("/root/.taskbound/sessions/01abc\n");

    assertEquals("/root/.taskbound/sessions/01abc", handle.path());
  }

  @Test
  void refusesOutputThatIsNotExactlyOneAbsolutePath() {
    IllegalArgumentException none = assertThrows(IllegalArgumentException.class, () -> SessionHandle.parse("\n"));
    IllegalArgumentException two = assertThrows(IllegalArgumentException.class, () -> SessionHandle.parse("/a\n/b\n"));
    IllegalArgumentException relative = assertThrows(IllegalArgumentException.class, () -> SessionHandle.parse("sessions/01abc"));

    assertTrue(none.getMessage().contains("printed 0 lines"), none.getMessage());
    assertTrue(two.getMessage().contains("printed 2 lines"), two.getMessage());
    assertTrue(relative.getMessage().contains("absolute path"), relative.getMessage());
  }

  @Test
  void startsTheSessionWithTheStepsOptionsAndItsEvidenceDirectory() {
    assertEquals(List.of("/opt/java/bin/java", "-jar", "/node/taskbound/cli-ab12/taskbound.jar", "session", "start",
        "--task", "FIX-123", "--policy", "p.yml", "--profile", "coding-agent", "--sandbox", "netns", "--ttl", "30m",
        "--out", "/ws/taskbound-evidence"), COMMAND.sessionStart());
  }

  @Test
  void prefixesEachCommandWithSessionExecAndEndsWithSessionEnd() {
    SessionHandle h = new SessionHandle("/s/01abc");

    assertEquals(List.of("/opt/java/bin/java", "-jar", "/node/taskbound/cli-ab12/taskbound.jar", "session", "exec",
        "--session", "/s/01abc", "--"), COMMAND.sessionExec(h));
    assertEquals(List.of("/opt/java/bin/java", "-jar", "/node/taskbound/cli-ab12/taskbound.jar", "session", "end",
        "--session", "/s/01abc"), COMMAND.sessionEnd(h));
  }

  @Test
  void givesADurableShStepADirectoryOfItsOwnWritableAndItsScriptReadableAndNothingElse() {
    List<String> exec = COMMAND.sessionExec(new SessionHandle("/s/01abc"));
    List<String> run = COMMAND.runPrefix();

    assertEquals(List.of("/opt/java/bin/java", "-jar", "/node/taskbound/cli-ab12/taskbound.jar", "session", "exec",
        "--session", "/s/01abc", "--rw", "/ws@tmp/durable-1/taskbound", "--ro", "/ws@tmp/durable-1/script.sh", "--"),
        DurableShellLaunch.withControlDir(exec, "/ws@tmp/durable-1"));
    assertEquals(run, DurableShellLaunch.withControlDir(run, "/ws@tmp/durable-1"));
  }
}
