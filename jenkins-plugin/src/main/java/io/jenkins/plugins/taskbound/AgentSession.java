package io.jenkins.plugins.taskbound;

import hudson.AbortException;
import hudson.EnvVars;
import hudson.FilePath;
import hudson.Launcher;
import hudson.model.TaskListener;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Opens and ends a block's session on its agent through the node's own launcher (not the block's
 * enveloping one): {@code session start} leaves its supervisor running there and prints the handle;
 * {@code session end} tears it down. The core's own lines go to the build log.
 */
final class AgentSession {
  private AgentSession() {}

  /**
   * Runs {@code session start} and returns the handle it printed.
   *
   * @throws AbortException with the core's last line and exit code when the session cannot open
   */
  static SessionHandle start(EnvelopeCommand command, FilePath workspace, Launcher launcher, EnvVars env, TaskListener listener)
      throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = launcher.launch()
        .cmds(command.sessionStart().stream().map(DurableShellLaunch::escape).toList()) // the launcher expands $NAME
        .envs(env).pwd(workspace).stdout(out).stderr(err).quiet(true).join();
    String lines = err.toString(StandardCharsets.UTF_8);
    listener.getLogger().print(lines);
    if (status != 0) {
      List<String> all = lines.lines().map(String::strip).filter(s -> !s.isEmpty()).toList();
      String meaning = EnvelopeExit.message(status);
      throw new AbortException("taskbound: the block's session could not open (exit " + status + "): "
          + (all.isEmpty() ? "no message" : all.get(all.size() - 1)) + (meaning == null ? "" : "\n" + meaning));
    }
    try {
      return SessionHandle.parse(out.toString(StandardCharsets.UTF_8));
    } catch (IllegalArgumentException e) {
      throw new AbortException("taskbound: " + e.getMessage());
    }
  }

  /** Runs {@code session end} (idempotent) and returns its exit status; its lines go to the build log. */
  static int end(List<String> end, FilePath workspace, Launcher launcher, EnvVars env, TaskListener listener) throws Exception {
    return launcher.launch()
        .cmds(end.stream().map(DurableShellLaunch::escape).toList())
        .envs(env).pwd(workspace).stdout(listener.getLogger()).stderr(listener.getLogger()).quiet(true).join();
  }
}
