package io.jenkins.plugins.taskbound;

import edu.umd.cs.findbugs.annotations.CheckForNull;
import edu.umd.cs.findbugs.annotations.NonNull;
import hudson.FilePath;
import hudson.Launcher;
import hudson.LauncherDecorator;
import hudson.Proc;
import hudson.model.Node;
import hudson.remoting.Channel;
import java.io.IOException;
import java.io.OutputStream;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Runs every command launched inside the step's block in a fresh sandbox of the block's session, as
 * {@link DurableShellLaunch} builds it: durable-task's {@code sh} wrapper so that the core's messages
 * and exit codes reach the build log and the step's status, anything else prefixed with {@code
 * taskbound session exec --session H --}. Arguments the caller masked stay masked. {@code kill} is
 * delegated, so an aborted build kills the script's processes (they carry durable-task's cookie) and
 * the exec client, whose sandbox the session's supervisor then stops. Serializable because it lives
 * in the Pipeline program state.
 */
final class EnvelopeDecorator extends LauncherDecorator implements Serializable {
  private static final long serialVersionUID = 2L;

  private final String[] envelope;
  private final String sandbox;

  /**
   * @param envelope {@code taskbound session exec --session H --} (or {@code run ... --}), plain strings
   * @param sandbox the backend the step asked for, or null for the policy's choice
   */
  EnvelopeDecorator(@NonNull List<String> envelope, @CheckForNull String sandbox) {
    this.envelope = envelope.toArray(new String[0]);
    this.sandbox = sandbox;
  }

  @NonNull
  @Override
  public Launcher decorate(@NonNull Launcher launcher, @NonNull Node node) {
    return new Enveloping(launcher, List.of(envelope), sandbox);
  }

  /** The launcher the block's steps get. */
  private static final class Enveloping extends Launcher {
    private final Launcher outer;
    private final List<String> envelope;
    private final String sandbox;

    Enveloping(Launcher outer, List<String> envelope, String sandbox) {
      super(outer);
      this.outer = outer;
      this.envelope = envelope;
      this.sandbox = sandbox;
    }

    @Override
    public boolean isUnix() {
      return outer.isUnix();
    }

    @Override
    public Proc launch(ProcStarter starter) throws IOException {
      List<String> command = starter.cmds();
      boolean[] masks = starter.masks();
      if (masks != null && anyMasked(masks)) {
        // A masked argument must stay at its position under its mask: prefix only, never rewrite.
        starter.cmds(prefixed(command));
        starter.masks(prefixedMasks(masks));
      } else {
        starter.cmds(DurableShellLaunch.command(envelope, command, sandbox));
        starter.masks((boolean[]) null);
      }
      starter.envs(HostLaunchEnvironment.of(starter.envs())); // the core's JVM on the host takes no code from withEnv
      return outer.launch(starter);
    }

    @Override
    public Channel launchChannel(String[] cmd, OutputStream out, FilePath workDir, Map<String, String> envVars)
        throws IOException, InterruptedException {
      // No variable expansion on this path, so the envelope goes in as it is.
      List<String> all = new ArrayList<>(envelope);
      all.addAll(Arrays.asList(cmd));
      return outer.launchChannel(all.toArray(new String[0]), out, workDir, envVars);
    }

    @Override
    public void kill(Map<String, String> modelEnvVars) throws IOException, InterruptedException {
      outer.kill(modelEnvVars);
    }

    private List<String> prefixed(List<String> command) {
      List<String> all = new ArrayList<>();
      envelope.forEach(arg -> all.add(DurableShellLaunch.escape(arg)));
      all.addAll(command);
      return all;
    }

    private boolean[] prefixedMasks(boolean[] masks) {
      boolean[] all = new boolean[envelope.size() + masks.length];
      System.arraycopy(masks, 0, all, envelope.size(), masks.length);
      return all;
    }

    private static boolean anyMasked(boolean[] masks) {
      for (boolean masked : masks) {
        if (masked) {
          return true;
        }
      }
      return false;
    }
  }
}
