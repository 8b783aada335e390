package io.jenkins.plugins.taskbound;

import edu.umd.cs.findbugs.annotations.NonNull;
import hudson.Extension;
import hudson.FilePath;
import hudson.model.Computer;
import hudson.model.Node;
import hudson.model.Run;
import hudson.model.TaskListener;
import hudson.model.listeners.RunListener;
import java.io.IOException;
import java.util.List;
import jenkins.model.Jenkins;

/**
 * Ends the sessions of a build that died inside a {@code taskbound} block (the controller restarted,
 * the build was killed hard, the tail call never ran): when the build completes, every
 * {@link TaskboundAction} whose session is still recorded as open gets {@code taskbound session end}
 * on its node, which tears the session down through its supervisor or, if that is gone, from its
 * journal. A node that is offline is named in the build log with the command to run there.
 */
@Extension
public final class SessionBackstop extends RunListener<Run<?, ?>> {
  @Override
  public void onCompleted(@NonNull Run<?, ?> run, @NonNull TaskListener listener) {
    for (TaskboundAction action : run.getActions(TaskboundAction.class)) {
      revokeIssued(run, action, listener);
      List<String> end = action.pendingSessionEnd();
      if (end == null) {
        continue;
      }
      try {
        if (endOn(action.getNode(), end, listener)) {
          action.sessionEnded();
          run.save();
        }
      } catch (IOException | RuntimeException e) {
        listener.getLogger().println("taskbound: could not end the session " + action.getSession() + " on "
            + action.getNode() + ": " + e.getMessage() + "; run there: " + String.join(" ", end));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /** Revokes what the controller issued for a block whose end never ran; needs no agent. */
  private static void revokeIssued(Run<?, ?> run, TaskboundAction action, TaskListener listener) {
    String journal = action.pendingCredentialsJournal();
    if (journal == null) {
      return;
    }
    try {
      listener.getLogger().println("taskbound: the build ended inside a taskbound block; revoking what the controller issued");
      if (ControllerCredentials.revoke(run, journal, listener)) {
        action.credentialsRevoked();
        run.save();
      }
    } catch (IOException | RuntimeException e) {
      listener.getLogger().println("taskbound: could not revoke the credentials in " + journal + ": " + e.getMessage()
          + "; run on the controller: " + String.join(" ", ControllerCredentials.revokeCommandFor(journal)));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static boolean endOn(String nodeName, List<String> end, TaskListener listener)
      throws IOException, InterruptedException {
    Jenkins jenkins = Jenkins.get();
    Node node = nodeName.equals("built-in") || nodeName.equals("master") ? jenkins : jenkins.getNode(nodeName);
    Computer computer = node == null ? null : node.toComputer();
    FilePath root = node == null ? null : node.getRootPath();
    if (computer == null || computer.getChannel() == null || root == null) {
      listener.getLogger().println("taskbound: the node " + nodeName + " is offline; its block's session is still open."
          + " End it there with: " + String.join(" ", end));
      return false;
    }
    listener.getLogger().println("taskbound: the build ended inside a taskbound block; ending its session");
    int status = node.createLauncher(listener).launch()
        .cmds(end.stream().map(DurableShellLaunch::escape).toList())
        .pwd(root).stdout(listener.getLogger()).stderr(listener.getLogger()).quiet(true).join();
    return status == 0 || status == EnvelopeExit.TTL_EXPIRED;
  }
}
