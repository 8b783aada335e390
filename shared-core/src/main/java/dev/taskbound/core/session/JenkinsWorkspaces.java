package dev.taskbound.core.session;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * The other builds' workspaces on a Jenkins agent. Jenkins keeps every job's workspace on a node in
 * one directory ({@code <remote root>/workspace/<job>}, {@code <job>@2} for a concurrent build), each
 * beside its {@code <job>@tmp}, where credentials-binding writes secret files and the {@code sh}
 * step its scripts; all of them belong to the agent's user, as the sandbox's agent does. The
 * sandbox's view hides {@code /home} and {@code /var/lib/jenkins}, but a remote root elsewhere
 * ({@code /srv/jenkins}, {@code /opt/ci}, {@code /data/jenkins}) would show them read-only. So in
 * a Jenkins build the directory holding the workspace is hidden too, and only this build's
 * workspace (with what the policy shows, such as {@code $WORKSPACE@tmp}) is bound back.
 *
 * <p>A Jenkins build is one whose environment names {@code JENKINS_HOME} (Jenkins sets it in every
 * build, agents included) and an absolute {@code WORKSPACE} at or above the session's working
 * directory. Left alone: a workspace whose parent is a top-level directory ({@code /opt/job}: the
 * parent holds what the agent runs), and a path through a symbolic link (the view binds by the path
 * as given; hiding the link's target would hide the workspace itself).
 */
final class JenkinsWorkspaces {
  private JenkinsWorkspaces() {}

  /** The directory holding this build's workspace and the other builds', to hide; empty outside the cases above. */
  static Optional<Path> parentToHide(Path workDir, Map<String, String> host) {
    return buildWorkspace(workDir, host).map(Path::getParent).filter(parent -> parent.getNameCount() >= 2);
  }

  /**
   * The build's workspace when the session works in a directory below it ({@code dir('sub') {
   * taskbound(...) }}): shown read-only, as the whole host showed it before its parent was hidden.
   */
  static Optional<Path> enclosingWorkspace(Path workDir, Map<String, String> host) {
    if (parentToHide(workDir, host).isEmpty()) {
      return Optional.empty();
    }
    Path work = workDir.toAbsolutePath().normalize();
    return buildWorkspace(workDir, host).filter(ws -> !ws.equals(work));
  }

  private static Optional<Path> buildWorkspace(Path workDir, Map<String, String> host) {
    String jenkinsHome = host.get("JENKINS_HOME");
    String workspace = host.get("WORKSPACE");
    if (jenkinsHome == null || jenkinsHome.isBlank() || workspace == null || !workspace.startsWith("/")) {
      return Optional.empty();
    }
    Path ws = Path.of(workspace).normalize();
    Path work = workDir.toAbsolutePath().normalize();
    if (!work.startsWith(ws) || !isReal(ws) || !isReal(work)) {
      return Optional.empty();
    }
    return Optional.of(ws);
  }

  /** Exists, and names itself: no symbolic link on the way. */
  private static boolean isReal(Path p) {
    try {
      return p.toRealPath().equals(p);
    } catch (IOException e) {
      return false;
    }
  }
}
