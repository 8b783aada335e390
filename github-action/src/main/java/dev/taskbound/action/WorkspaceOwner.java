package dev.taskbound.action;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;

/**
 * Gives Taskbound's own files in the workspace (the evidence directory with the bundle) to the
 * workspace's owner, the runner's user: the action runs as root, and later steps such as
 * {@code actions/upload-artifact} run as the runner user and could not read a root-owned 0600
 * bundle. Links are never followed (the agent could have planted one), and nothing outside the
 * workspace is touched. Stateless.
 */
final class WorkspaceOwner {
  /** More entries than a Taskbound evidence directory ever holds: a bound on the walk. */
  private static final int MAX_ENTRIES = 10_000;

  private WorkspaceOwner() {}

  /**
   * Sets the owner (uid and gid) of {@code dir} and everything under it to the owner of {@code
   * workspace}, when they differ; a no-op if {@code dir} does not exist or is not a real directory
   * inside the workspace.
   *
   * @return how many entries changed owner
   * @throws UncheckedIOException if an owner cannot be read or set, after every other entry was given
   *     (the first failure is its cause)
   */
  static int giveToWorkspaceOwner(Path workspace, Path dir) {
    try {
      if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS) || !inside(workspace, dir)) {
        return 0;
      }
      int uid = (Integer) Files.getAttribute(workspace, "unix:uid");
      int gid = (Integer) Files.getAttribute(workspace, "unix:gid");
      int[] changed = {0};
      List<IOException> failed = new ArrayList<>();
      Files.walkFileTree(dir, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) throws IOException {
          return give(d) ? FileVisitResult.CONTINUE : FileVisitResult.TERMINATE;
        }

        @Override
        public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) throws IOException {
          return give(f) ? FileVisitResult.CONTINUE : FileVisitResult.TERMINATE;
        }

        @Override
        public FileVisitResult postVisitDirectory(Path d, IOException e) {
          if (e != null) { // its entries could not all be listed: the walk goes on with the rest
            failed.add(e);
          }
          return changed[0] + failed.size() < MAX_ENTRIES ? FileVisitResult.CONTINUE : FileVisitResult.TERMINATE;
        }

        @Override
        public FileVisitResult visitFileFailed(Path f, IOException e) {
          failed.add(e);
          return changed[0] + failed.size() < MAX_ENTRIES ? FileVisitResult.CONTINUE : FileVisitResult.TERMINATE;
        }

        /** One entry; a failure is kept and the walk goes on, so one stuck file does not keep the bundle root's. */
        private boolean give(Path p) {
          try {
            if (Files.isSymbolicLink(p)) {
              return true;
            }
            if ((Integer) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS) != uid
                || (Integer) Files.getAttribute(p, "unix:gid", LinkOption.NOFOLLOW_LINKS) != gid) {
              Files.setAttribute(p, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
              Files.setAttribute(p, "unix:gid", gid, LinkOption.NOFOLLOW_LINKS);
              changed[0]++;
            }
          } catch (IOException e) {
            failed.add(e);
          }
          return changed[0] + failed.size() < MAX_ENTRIES;
        }
      });
      if (!failed.isEmpty()) {
        throw new UncheckedIOException("cannot give " + failed.size() + (failed.size() == 1 ? " entry" : " entries")
            + " of " + dir + " to the workspace's owner", failed.get(0));
      }
      return changed[0];
    } catch (IOException e) {
      throw new UncheckedIOException("cannot give " + dir + " to the workspace's owner", e);
    }
  }

  /**
   * Where {@code dir} (a path under the workspace, existing or not) really leads when a symbolic link
   * on its way takes it out of the workspace; empty when it stays inside. The nearest part of it
   * that exists is resolved, so a directory still to be created counts by its existing parent. A
   * path with a {@code ..} part is taken as leading outside.
   */
  static java.util.Optional<Path> leadsOutside(Path workspace, Path dir) {
    try {
      return leadsOutsideOrThrow(workspace, dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot resolve " + dir + " in the workspace", e);
    }
  }

  private static java.util.Optional<Path> leadsOutsideOrThrow(Path workspace, Path dir) throws IOException {
    Path root = workspace.toRealPath();
    for (Path part : dir) {
      if (part.toString().equals("..")) {
        // the kernel follows a link before "..", normalize() drops both: ln/../p.yml may open outside
        return java.util.Optional.of(dir);
      }
    }
    Path existing = dir.toAbsolutePath().normalize();
    while (existing != null && !Files.exists(existing, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      existing = existing.getParent();
    }
    if (existing == null) {
      return java.util.Optional.empty();
    }
    if (!Files.exists(existing)) { // a link to nothing: it leads where it names, wherever that is
      Path target = existing.getParent().resolve(Files.readSymbolicLink(existing)).normalize();
      return target.startsWith(root) ? java.util.Optional.empty() : java.util.Optional.of(target);
    }
    Path real = existing.toRealPath();
    return real.startsWith(root) ? java.util.Optional.empty() : java.util.Optional.of(real);
  }

  /** Whether {@code dir} is below the workspace through no link (a planted link would lead elsewhere). */
  private static boolean inside(Path workspace, Path dir) throws IOException {
    Path relative = workspace.toAbsolutePath().normalize().relativize(dir.toAbsolutePath().normalize());
    if (relative.toString().isEmpty() || relative.startsWith("..")) {
      return false;
    }
    return dir.toRealPath().equals(workspace.toRealPath().resolve(relative));
  }
}
