package io.jenkins.plugins.taskbound;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Review finding: {@code withEnv(['JAVA_TOOL_OPTIONS=-javaagent:x.jar'])} around a block ran its code
 * in every JVM of the block's host side (session start and its supervisor, exec, end, verify). Each
 * such variable is overridden empty, which Jenkins' launcher turns into no variable at all.
 */
class HostLaunchEnvironmentTest {
  @Test
  void codeLoadingVariablesAreEmptiedAndTheRestKept() {
    Map<String, String> step = Map.of("PATH", "/ws/node_modules/.bin:/usr/bin", "JAVA_TOOL_OPTIONS", "-javaagent:x.jar",
        "LD_PRELOAD", "/ws/evil.so", "WORKSPACE", "/ws");

    Map<String, String> expected = new TreeMap<>(Map.of("PATH", "/ws/node_modules/.bin:/usr/bin", "WORKSPACE", "/ws",
        "JAVA_TOOL_OPTIONS", "", "JDK_JAVA_OPTIONS", "", "_JAVA_OPTIONS", "", "LD_PRELOAD", "", "LD_LIBRARY_PATH", "",
        "LD_AUDIT", ""));
    assertEquals(expected, HostLaunchEnvironment.of(step));
    assertArrayEquals(new String[] {"PATH=/usr/bin", "JAVA_TOOL_OPTIONS=", "JDK_JAVA_OPTIONS=", "_JAVA_OPTIONS=",
        "LD_PRELOAD=", "LD_LIBRARY_PATH=", "LD_AUDIT="},
        HostLaunchEnvironment.of(new String[] {"PATH=/usr/bin", "_JAVA_OPTIONS=-Xbootclasspath/a:x", "LD_AUDIT=/a.so"}));
  }

  /**
   * Review finding: {@code withEnv(['JENKINS_HOME='])} around a block turned off the hiding of the
   * other builds' workspaces and of JENKINS_HOME, and {@code TASKBOUND_CEILING} replaced the built-in
   * ceiling where the administrator had set none; {@code withEnv(['WORKSPACE=/elsewhere'])} turned off
   * the hiding of the other builds' workspaces. The session takes those from the controller.
   */
  @Test
  void theSessionsViewIsDecidedByTheControllersValuesNotTheSteps() {
    Map<String, String> step = Map.of("JENKINS_HOME", "", "WORKSPACE", "/elsewhere", "JOB_NAME", "other",
        "TASKBOUND_CEILING", "/ws/wide-open.yml", "PATH", "/usr/bin");

    Map<String, String> session = HostLaunchEnvironment.forSession(step, "/var/jenkins_home", "team/app",
        "/srv/agent/workspace/team/app");

    assertEquals("/var/jenkins_home", session.get("JENKINS_HOME"));
    assertEquals("/srv/agent/workspace/team/app", session.get("WORKSPACE"));
    assertEquals("team/app", session.get("JOB_NAME"));
    assertEquals("", session.get("TASKBOUND_CEILING")); // an empty override: no such variable at all
    assertEquals("", session.get("JAVA_TOOL_OPTIONS"));
    assertEquals("/usr/bin", session.get("PATH"));
  }
}
