package dev.taskbound.core.sandbox;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Ties each hidden path to its place, not only to its name. Every directory between a writable root
 * (the workspace, a read-write path) and a hidden path is bound onto itself, still writable, so that
 * it becomes a mount point, which no one inside the sandbox can rename or remove ({@code EBUSY}); the
 * hidden path itself is one already (its cover). Without it, an agent in a multi-command session
 * could rename {@code .git} in one {@code session exec} and read {@code .git-old/config} in the next,
 * whose view hides only what is then at {@code .git/config}. Directories within a read-only path or
 * within a hidden one are left alone: nothing there can be renamed, or it is not shown. A hidden
 * directory that holds the root (the host's {@code /tmp} or a home holding the workspace) does not
 * count: the root is bound back over it, and everything under the root is shown.
 */
final class HiddenPathLocks {
  private HiddenPathLocks() {}

  /**
   * @param hidden the hidden paths (links resolved as far as they exist: the sandbox covers the real path)
   * @param writableRoots the workspace and the read-write paths
   * @param readOnly the read-only paths
   * @return the directories to bind onto themselves, parents first
   */
  static List<Path> directoriesToLock(List<Path> hidden, List<Path> writableRoots, List<Path> readOnly) {
    List<Path> roots = writableRoots.stream().map(p -> p.toAbsolutePath().normalize()).toList();
    List<Path> fixed = readOnly.stream().map(p -> p.toAbsolutePath().normalize()).toList();
    List<Path> covered = hidden.stream().map(HiddenPathLocks::real).toList();
    Set<Path> locked = new TreeSet<>();
    for (Path h : covered) {
      if (!Files.exists(h, LinkOption.NOFOLLOW_LINKS)) {
        continue; // nothing covered, nothing to keep in place
      }
      for (Path root : roots) {
        if (!h.startsWith(root) || h.equals(root)) {
          continue;
        }
        for (Path a = h.getParent(); a != null && !a.equals(root); a = a.getParent()) {
          Path at = a;
          boolean inReadOnly = fixed.stream().anyMatch(r -> at.startsWith(r) && r.getNameCount() > root.getNameCount());
          // only a hidden path inside this root hides what lies under it: one that holds the root
          // (the private /tmp, a home holding the workspace) has the root bound back over it
          boolean inHidden = covered.stream().anyMatch(c -> c.startsWith(root) && !c.equals(root) && at.startsWith(c));
          if (!inReadOnly && !inHidden && !roots.contains(at) && Files.isDirectory(at, LinkOption.NOFOLLOW_LINKS)) {
            locked.add(at);
          }
        }
      }
    }
    return new ArrayList<>(locked);
  }

  private static Path real(Path p) {
    Path abs = p.toAbsolutePath().normalize();
    try {
      return abs.toRealPath();
    } catch (IOException e) {
      return abs;
    }
  }
}
