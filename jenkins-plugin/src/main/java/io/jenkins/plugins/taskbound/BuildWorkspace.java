package io.jenkins.plugins.taskbound;

import edu.umd.cs.findbugs.annotations.CheckForNull;
import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * The build workspace a block's session is told ({@code WORKSPACE}, from which the core hides the
 * other builds' workspaces), decided on the controller from the workspace Jenkins allots the job on
 * the node and the step's directory, never from the step's {@code WORKSPACE}, which {@code withEnv}
 * can change: the allotted workspace, or a concurrent build's {@code <allotted>@N}, when the step's
 * directory is at or under it ({@code dir('sub')} moves the step, not the workspace); otherwise the
 * step's directory itself (a {@code ws(...)} block, a {@code dir} outside the workspace). No Jenkins
 * types.
 */
final class BuildWorkspace {
  private BuildWorkspace() {}

  /**
   * The workspace around {@code stepDir}.
   *
   * @param allotted what {@code Node.getWorkspaceFor(job)} gives (null: unknown)
   * @param stepDir the step's directory on the node, absolute
   */
  static String around(@CheckForNull String allotted, String stepDir) {
    Path dir = Path.of(stepDir).normalize();
    if (allotted == null) {
      return dir.toString();
    }
    Path base = Path.of(allotted).normalize();
    if (dir.startsWith(base)) {
      return base.toString();
    }
    Path parent = base.getParent();
    if (parent != null && base.getFileName() != null && dir.startsWith(parent) && dir.getNameCount() > parent.getNameCount()) {
      Path sibling = parent.resolve(dir.getName(parent.getNameCount()));
      // WorkspaceList's name for the workspace of a concurrent build: app@2 (never app@tmp)
      if (sibling.getFileName().toString().matches(Pattern.quote(base.getFileName().toString()) + "@[0-9]+")) {
        return sibling.toString();
      }
    }
    return dir.toString();
  }
}
