package io.jenkins.plugins.taskbound;

import edu.umd.cs.findbugs.annotations.CheckForNull;
import edu.umd.cs.findbugs.annotations.NonNull;
import hudson.AbortException;
import hudson.EnvVars;
import hudson.FilePath;
import hudson.Launcher;
import hudson.model.Run;
import hudson.model.TaskListener;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * What ending one {@code taskbound} block needs, and the end itself, shared by the Pipeline step's
 * tail call and the freestyle wrapper's disposer: end the session on its node, record the bundles
 * it wrote, verify the session's bundle against the kid recorded at open and archive it, check and
 * remove the envelope inputs, revoke on the controller what the controller issued, and fail for a
 * failed teardown, an expired TTL, an unverified bundle or a failed revocation. Serializable: it
 * lives in the Pipeline program state and in a freestyle build's disposer.
 */
final class BlockEnd implements Serializable {
  private static final long serialVersionUID = 1L;

  private final String actionId;
  private final String task;
  private final TreeSet<String> before;
  private final EnvelopeInputs inputs;
  private final ArrayList<String> end;
  private final ArrayList<String> core;
  private final SessionOpening opening;
  private final boolean archive;
  /** The controller's journal of the credentials it issued for the block, if it issued any. */
  @CheckForNull private final String credentialsJournal;

  BlockEnd(@NonNull String actionId, @NonNull String task, @NonNull Set<String> before, @NonNull EnvelopeInputs inputs,
      @NonNull List<String> end, @NonNull List<String> core, @NonNull SessionOpening opening, boolean archive,
      @CheckForNull String credentialsJournal) {
    this.actionId = actionId;
    this.task = task;
    this.before = new TreeSet<>(before);
    this.inputs = inputs;
    this.end = new ArrayList<>(end);
    this.core = new ArrayList<>(core);
    this.opening = opening;
    this.archive = archive;
    this.credentialsJournal = credentialsJournal;
  }

  /** The id of the build's {@link TaskboundAction} for this block. */
  @NonNull
  String actionId() {
    return actionId;
  }

  /**
   * Ends the block.
   *
   * @param launcher the node's own launcher (never the enveloping one)
   * @param what "block" or "build", for messages
   * @throws AbortException for a failed teardown (123: the session's own report, never the
   *     command's status), an expired TTL (124), a bundle that did not verify, or a failed revocation
   */
  void finish(@NonNull Run<?, ?> run, @NonNull FilePath workspace, @NonNull Launcher launcher, @NonNull EnvVars env,
      @NonNull TaskListener listener, @NonNull String what) throws Exception {
    int status;
    try {
      status = AgentSession.end(end, workspace, launcher, env, listener);
    } finally {
      // Revoked whatever the agent's end did: the controller's revocation needs nothing from the agent.
      revokeOnController(run, listener);
    }
    TaskboundAction action = TaskboundAction.find(run, actionId);
    FilePath evidence = workspace.child(TaskboundStepExecution.EVIDENCE_DIR);
    List<String> written = new ArrayList<>(TaskboundStepExecution.bundleNames(evidence, task));
    written.removeAll(before);
    if (action != null) {
      if (status == 0 || status == EnvelopeExit.TTL_EXPIRED) {
        action.sessionEnded();
      }
      action.addBundles(written);
      run.save();
    }
    listener.getLogger().println(
        "taskbound: task " + task + ": " + written.size() + " evidence bundle(s) in " + evidence.getRemote()
            + (written.isEmpty() ? "" : ": " + String.join(", ", written)));
    boolean verified = TaskboundStepExecution.recordSealed(run, listener, workspace, launcher, env, action, evidence,
        task, written, core, opening, archive);
    try {
      inputs.verify(workspace.getChannel());
    } finally {
      inputs.cleanUp(workspace.getChannel());
    }
    if (status != 0) {
      String line = EnvelopeExit.endMessage(status);
      throw new AbortException(line != null ? line : "taskbound: session end failed with status " + status);
    }
    if (action != null && action.pendingCredentialsJournal() != null) {
      throw new AbortException("taskbound: the controller could not revoke every credential it issued for this " + what
          + " (lines above); retry on the controller with: " + String.join(" ",
              ControllerCredentials.revokeCommandFor(action.pendingCredentialsJournal())));
    }
    if (!verified) {
      throw new AbortException("taskbound: the " + what + "'s evidence bundle did not verify against the evidence key kid "
          + opening.kid() + " recorded when its session opened (lines above)");
    }
  }

  private void revokeOnController(Run<?, ?> run, TaskListener listener) throws Exception {
    if (credentialsJournal == null) {
      return;
    }
    TaskboundAction action = TaskboundAction.find(run, actionId);
    if (ControllerCredentials.revoke(run, credentialsJournal, listener) && action != null) {
      action.credentialsRevoked();
      run.save();
    }
  }
}
