package dev.taskbound.core.session;

import dev.taskbound.core.ExitCodes;
import dev.taskbound.core.SafeText;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Checks the extra writable directories a host asks for one {@code session exec} ({@code --rw}).
 * Only the CI host's own per-workspace control directory qualifies: a directory strictly under
 * {@code <workdir>@tmp/} (where Jenkins' durable-task keeps a step's log and exit-status files), so a
 * flag can never open the host's system, the session's state or the core jar to the agent.
 */
final class ExecPaths {
  private ExecPaths() {}

  /**
   * The real paths of {@code requested}, each checked.
   *
   * @throws SessionException (exit 125) naming the path and what is accepted, for a path that does
   *     not exist, is not a directory, is reached through a link, or lies outside {@code <workdir>@tmp/}
   */
  static List<Path> readWrite(Path workDir, List<Path> requested) {
    List<Path> out = new ArrayList<>();
    for (Path p : requested) {
      Path real;
      Path base;
      try {
        if (!p.isAbsolute() || !Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
          throw refused(p, workDir, "is not an existing directory given by its absolute path");
        }
        real = p.toRealPath();
        Path ws = workDir.toRealPath();
        base = ws.resolveSibling(ws.getFileName() + "@tmp");
      } catch (IOException e) {
        throw refused(p, workDir, "cannot be resolved (" + e.getMessage() + ")");
      }
      if (!real.equals(p.normalize())) {
        throw refused(p, workDir, "is reached through a symbolic link (real path " + real + ")");
      }
      if (!real.startsWith(base) || real.equals(base)) {
        throw refused(p, workDir, "lies outside " + base + "/");
      }
      out.add(real);
    }
    return out;
  }

  private static SessionException refused(Path p, Path workDir, String why) {
    return new SessionException(
        "--rw: " + SafeText.quoted(p.toString()) + " " + why + "; accepted: a directory strictly under "
            + SafeText.quoted(workDir + "@tmp") + "/, the host's own control directory for this workspace",
        ExitCodes.USAGE);
  }
}
