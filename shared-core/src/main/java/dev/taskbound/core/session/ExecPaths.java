package dev.taskbound.core.session;

import dev.taskbound.core.ExitCodes;
import dev.taskbound.core.SafeText;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Checks what a host asks for one {@code session exec}: where it runs, and the extra paths it opens
 * ({@code --rw}, {@code --ro}). Only the CI host's own per-workspace control directory qualifies for
 * the extra paths: strictly under {@code <workdir>@tmp/} (where Jenkins' durable-task keeps a step's
 * log and exit-status files, and a freestyle step its script), so a flag can never open the host's
 * system, the session's state or the core jar to the agent.
 */
final class ExecPaths {
  private ExecPaths() {}

  /**
   * The real paths of {@code requested} directories, each checked ({@code --rw}).
   *
   * @throws SessionException (exit 125) naming the path and what is accepted, for a path that does
   *     not exist, is not a directory, is itself a link, or whose real path lies outside the real
   *     {@code <workdir>@tmp/}
   */
  static List<Path> readWrite(Path workDir, List<Path> requested) {
    return checked(workDir, requested, "--rw", "a directory", true);
  }

  /**
   * The real paths of {@code requested} files, each checked ({@code --ro}): a freestyle step's script
   * is shown alone, not the {@code @tmp} around it, which holds other steps' logs and credentials-binding's
   * secret files.
   *
   * @throws SessionException (exit 125) as for {@link #readWrite}, for what is not a regular file
   */
  static List<Path> readOnly(Path workDir, List<Path> requested) {
    return checked(workDir, requested, "--ro", "a regular file", false);
  }

  /**
   * Refuses a command's working directory outside the session's: the sandbox makes it writable, so a
   * directory the agent linked elsewhere earlier ({@code app -> <other build>}, then {@code dir('app')})
   * would open what the link leads to.
   *
   * @param sessionDir the session's working directory, as the host resolves it
   * @param buildWorkspace in a Jenkins build, the build's workspace, which a block's steps may also use
   * @throws SessionException (exit 125) for a directory whose real path is not the one given, or
   *     lies outside both
   */
  static void checkWorkDir(Path workDir, Path sessionDir, Optional<Path> buildWorkspace) {
    Path given = workDir.toAbsolutePath().normalize();
    Path real;
    try {
      real = given.toRealPath();
    } catch (IOException | SecurityException e) {
      throw workDirRefused(given, sessionDir, buildWorkspace, "cannot be resolved (" + e.getMessage() + ")");
    }
    if (!real.equals(given)) {
      throw workDirRefused(given, sessionDir, buildWorkspace, "is reached through a symbolic link (real path " + real + ")");
    }
    if (!real.startsWith(sessionDir) && buildWorkspace.map(ws -> !real.startsWith(ws)).orElse(true)) {
      throw workDirRefused(given, sessionDir, buildWorkspace, "lies outside the session's working directory");
    }
  }

  /**
   * Refuses {@code --rw} and {@code --ro} (any of {@code requested}) where the working directory's
   * {@code @tmp} lies within the session's working directory, which every command of the session
   * may write. A step in {@code dir('sub')} has its control files in {@code sub@tmp}, where a
   * command running beside it could plant links that the host follows when it writes and reads them
   * (review finding). A block opened in {@code dir('app')} has its steps' in {@code app@tmp}, outside
   * its working directory: accepted (only a step of that block run in the build's workspace itself
   * could write there).
   *
   * @throws SessionException (exit 125) saying so and what to do instead
   */
  static void checkNotShared(Path workDir, List<Path> requested, Path sessionDir) {
    if (requested.isEmpty()) {
      return;
    }
    Path base = controlFilesOf(PolicyConfinement.realOrAsWritten(workDir));
    if (base.startsWith(sessionDir)) {
      throw new SessionException("session exec: " + SafeText.quoted(base.toString()) + ", where --rw and --ro open,"
          + " lies within the session's working directory " + SafeText.quoted(sessionDir.toString()) + ", which its"
          + " other commands may write: one running beside this command could plant links where the host writes and"
          + " reads its files; accepted: a working directory whose @tmp lies outside it (in Jenkins, an sh step in the"
          + " block's own directory: sh 'cd sub && ...' rather than dir('sub') inside the block)", ExitCodes.USAGE);
    }
  }

  /** {@code <workspace>@tmp}, where Jenkins keeps the control files of the steps run in {@code workspace}. */
  static Path controlFilesOf(Path workspace) {
    return workspace.resolveSibling(workspace.getFileName() + "@tmp");
  }

  private static SessionException workDirRefused(Path workDir, Path sessionDir, Optional<Path> buildWorkspace, String why) {
    return new SessionException("session exec: the working directory " + SafeText.quoted(workDir.toString()) + " " + why
        + "; accepted: " + SafeText.quoted(sessionDir.toString()) + " or a directory below it"
        + buildWorkspace.filter(ws -> !ws.equals(sessionDir)).map(ws -> ", or the build's workspace "
            + SafeText.quoted(ws.toString()) + " or below").orElse("")
        + ", each by its real path", ExitCodes.USAGE);
  }

  private static List<Path> checked(Path workDir, List<Path> requested, String flag, String what, boolean directory) {
    List<Path> out = new ArrayList<>();
    for (Path p : requested) {
      Path real;
      Path base;
      try {
        boolean kind = directory ? Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) : Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS);
        if (!p.isAbsolute() || !kind) {
          throw refused(flag, what, p, workDir, "is not an existing " + what.substring(2) + " given by its absolute path");
        }
        real = p.toRealPath();
        base = controlFilesOf(workDir.toRealPath());
      } catch (IOException e) {
        throw refused(flag, what, p, workDir, "cannot be resolved (" + e.getMessage() + ")");
      }
      // by real paths: a node's root reached through a link (JENKINS_HOME=/var/lib/jenkins -> /data)
      // names the file by the link, the working directory comes by its real path; the file itself
      // is no link (checked above), and what is bound is its real path
      if (!real.startsWith(base) || real.equals(base)) {
        throw refused(flag, what, p, workDir, "lies outside " + base + "/");
      }
      out.add(real);
    }
    return out;
  }

  private static SessionException refused(String flag, String what, Path p, Path workDir, String why) {
    return new SessionException(
        flag + ": " + SafeText.quoted(p.toString()) + " " + why + "; accepted: " + what + " strictly under "
            + SafeText.quoted(workDir + "@tmp") + "/, the host's own control directory for this workspace",
        ExitCodes.USAGE);
  }
}
