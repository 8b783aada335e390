package io.jenkins.plugins.taskbound;

import edu.umd.cs.findbugs.annotations.CheckForNull;
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

  /** An open session: its handle, and what {@code session start} said about it (the host record). */
  record Opened(SessionHandle handle, SessionOpening opening) {}

  /**
   * Runs {@code session start} and returns the handle it printed with its identity and evidence key.
   * With {@code handoff}, the session uses the credentials the controller issued instead of minting
   * any: the hand-off goes to {@code session start}'s standard input ({@code --credentials-handoff -}),
   * pumped over the agent channel, so no file of it exists on the agent. {@code claims} go into the
   * session's identity ({@link JenkinsClaims}).
   *
   * @throws AbortException with the core's last line and exit code when the session cannot open
   */
  static Opened start(EnvelopeCommand command, @CheckForNull hudson.util.Secret handoff,
      java.util.Map<String, String> claims, FilePath workspace, Launcher launcher, EnvVars env, TaskListener listener)
      throws Exception {
    List<String> cmd = new java.util.ArrayList<>(handoff == null ? command.sessionStart()
        : command.sessionStartWithHandoffOnStdin());
    cmd.addAll(JenkinsClaims.options(claims));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Launcher.ProcStarter starter = launcher.launch()
        .cmds(cmd.stream().map(DurableShellLaunch::escape).toList()) // the launcher expands $NAME
        .envs(HostLaunchEnvironment.of(env)).pwd(workspace).stdout(out).stderr(err).quiet(true);
    if (handoff != null) {
      starter.stdin(new java.io.ByteArrayInputStream(handoff.getPlainText().getBytes(StandardCharsets.UTF_8)));
    }
    int status = starter.join();
    String lines = err.toString(StandardCharsets.UTF_8);
    listener.getLogger().print(lines);
    if (status != 0) {
      List<String> all = lines.lines().map(String::strip).filter(s -> !s.isEmpty()).toList();
      String meaning = EnvelopeExit.message(status);
      throw new AbortException("taskbound: the block's session could not open (exit " + status + "): "
          + (all.isEmpty() ? "no message" : all.get(all.size() - 1)) + (meaning == null ? "" : "\n" + meaning));
    }
    SessionHandle handle;
    try {
      handle = SessionHandle.parse(out.toString(StandardCharsets.UTF_8));
    } catch (IllegalArgumentException e) {
      throw new AbortException("taskbound: " + e.getMessage());
    }
    try {
      return new Opened(handle, SessionOpening.parse(lines));
    } catch (IllegalArgumentException e) {
      // Open, but without its host record: end it rather than run commands whose evidence nobody can anchor.
      end(EnvelopeCommand.sessionEnd(command.java(), command.jar(), handle), workspace, launcher, env, listener);
      throw new AbortException("taskbound: " + e.getMessage());
    }
  }

  /**
   * Runs {@code taskbound verify --expect-kid KID BUNDLE} on the agent: the bundle's chain and seal,
   * and its sealing key against the kid Jenkins recorded when the session opened.
   *
   * @return the exit status (0 verified, 1 tampered or another key, 2 unreadable) and the core's lines
   */
  static Verified verify(List<String> java, SessionOpening opening, String bundle, FilePath workspace, Launcher launcher,
      EnvVars env) throws Exception {
    ByteArrayOutputStream output = new ByteArrayOutputStream();
    List<String> cmd = new java.util.ArrayList<>(java);
    cmd.addAll(List.of("verify", "--expect-kid", opening.kid(), bundle));
    int status = launcher.launch()
        .cmds(cmd.stream().map(DurableShellLaunch::escape).toList())
        .envs(HostLaunchEnvironment.of(env)).pwd(workspace).stdout(output).stderr(output).quiet(true).join();
    return new Verified(status, output.toString(StandardCharsets.UTF_8).strip());
  }

  /** The result of {@link #verify}. */
  record Verified(int status, String lines) {}

  /** Runs {@code session end} (idempotent) and returns its exit status; its lines go to the build log. */
  static int end(List<String> end, FilePath workspace, Launcher launcher, EnvVars env, TaskListener listener) throws Exception {
    return launcher.launch()
        .cmds(end.stream().map(DurableShellLaunch::escape).toList())
        .envs(HostLaunchEnvironment.of(env)).pwd(workspace).stdout(listener.getLogger()).stderr(listener.getLogger()).quiet(true).join();
  }
}
