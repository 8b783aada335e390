package io.jenkins.plugins.taskbound;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The environment of a process the host side of a block starts (the core's JVMs: {@code session
 * start}, {@code exec}, {@code end}, {@code verify}, {@code policy check}): the step's, with each
 * variable that loads code into a process ({@link #HOST_CODE_VARIABLES}) set empty,
 * which a launcher's override turns into no variable at all, even where the node's own environment
 * has it. A {@code withEnv(['JAVA_TOOL_OPTIONS=-javaagent:x.jar'])} around a block would otherwise run
 * its code in the host's JVMs, outside the envelope. What the command inside sees is what {@code
 * session exec} passes, as before. No Jenkins types.
 */
final class HostLaunchEnvironment {
  private HostLaunchEnvironment() {}

  /**
   * Variables that load code into a process the host side starts (its JVMs, the reporter's tools):
   * never passed from a step's environment ({@code withEnv}) to them. The command inside the envelope
   * gets only what {@code session exec} passes anyway. A list is never complete: these are the ones
   * the JDK and the dynamic loader read.
   */
  static final List<String> HOST_CODE_VARIABLES = List.of(
      "JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS", "LD_PRELOAD", "LD_LIBRARY_PATH", "LD_AUDIT");

  /** The step's variables as overrides, with the code-loading ones emptied. */
  static Map<String, String> of(Map<String, String> step) {
    Map<String, String> out = new TreeMap<>(step);
    HOST_CODE_VARIABLES.forEach(name -> out.put(name, ""));
    return out;
  }

  /**
   * The environment a block's session starts with (and its policy is checked in): {@link #of(Map)},
   * with what decides the sandbox's view taken from the controller, never from the step, whose
   * {@code withEnv} can change any variable: {@code JENKINS_HOME} (hidden, and with it the build's
   * {@code @tmp} kept read-only), {@code JOB_NAME} and {@code WORKSPACE} (the other builds'
   * workspaces hidden: the workspace of the {@code node} or {@code ws} block around the step, as the
   * flow graph records it, since inside {@code dir()} the step's directory is not the workspace), and
   * no {@code TASKBOUND_CEILING} (the administrator's ceiling is the one the plugin passes; without
   * one, the core's built-in ceiling, which a job must not replace).
   */
  static Map<String, String> forSession(Map<String, String> step, String jenkinsHome, String jobName, String workspace) {
    Map<String, String> out = of(step);
    out.put("JENKINS_HOME", jenkinsHome);
    out.put("JOB_NAME", jobName);
    out.put("WORKSPACE", workspace);
    out.put("TASKBOUND_CEILING", "");
    return out;
  }

  /** As {@link #of(Map)}, for overrides in the launcher's {@code NAME=value} form. */
  static String[] of(String[] step) {
    List<String> out = new ArrayList<>();
    for (String entry : step == null ? new String[0] : step) {
      int eq = entry.indexOf('=');
      if (eq < 0 || !HOST_CODE_VARIABLES.contains(entry.substring(0, eq))) {
        out.add(entry);
      }
    }
    HOST_CODE_VARIABLES.forEach(name -> out.add(name + "="));
    return out.toArray(new String[0]);
  }
}
