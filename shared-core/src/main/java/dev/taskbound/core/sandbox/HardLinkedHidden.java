package dev.taskbound.core.sandbox;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.Optional;

/**
 * Refuses a hidden file that has another name. The sandbox covers a hidden path, not the file: a
 * hard link made before the sandbox starts (by an earlier, unhidden build step, {@code cp -al},
 * pnpm's store) would show the hidden content under its other name. For a hidden file inside the
 * workspace the link count alone decides (one {@code stat}, whatever the workspace's size): a link
 * anywhere, seen by the agent or not, refuses the start, and the workspace is searched only to name
 * the other link. A hidden host file outside the workspace (a key file, {@code ~/.npmrc}) is refused
 * only when that search finds another name in the workspace; the search stops after {@value
 * #SEARCH_LIMIT} entries. Files inside a hidden directory are not checked (a hidden directory may be
 * large: the session root, a home).
 */
final class HardLinkedHidden {
  /** How many workspace entries are looked at to name the other link (the refusal does not depend on it). */
  static final int SEARCH_LIMIT = 20_000;

  private HardLinkedHidden() {}

  /**
   * @param hidden the hidden paths (missing ones, directories and links skipped)
   * @param workspace where the other name is looked for, for the message
   * @throws SandboxException if a hidden regular file has more than one link
   */
  static void refuse(List<Path> hidden, Path workspace) {
    for (Path h : hidden) {
      Path abs = h.toAbsolutePath().normalize();
      if (!Files.isRegularFile(abs, LinkOption.NOFOLLOW_LINKS)) {
        continue;
      }
      int links;
      try {
        links = (Integer) Files.getAttribute(abs, "unix:nlink", LinkOption.NOFOLLOW_LINKS);
      } catch (IOException | UnsupportedOperationException e) {
        throw new SandboxException("hidden path " + abs + " cannot be checked for other links (" + e.getMessage()
            + "); the sandbox hides a path only when the file has no other name", e);
      }
      if (links > 1) {
        Optional<Path> other = otherName(abs, workspace);
        if (other.isEmpty() && !abs.startsWith(workspace.toAbsolutePath().normalize())) {
          continue; // a host file (a key, ~/.npmrc) linked only outside the workspace: under what the sandbox hides
        }
        String where = other.map(o -> "also at " + o).orElse("its other names lie outside the "
            + "first " + SEARCH_LIMIT + " entries of the workspace or outside it");
        throw new SandboxException("hidden path " + abs + " has " + links + " hard links (" + where
            + "); the sandbox hides a path, not the file, so another name would show it. Remove the other links"
            + " (or replace the file by a copy) before the session");
      }
    }
  }

  /** Another name of {@code file} within the workspace, looked for in at most {@value #SEARCH_LIMIT} entries. */
  static Optional<Path> otherName(Path file, Path workspace) {
    Object key;
    try {
      key = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
    } catch (IOException e) {
      return Optional.empty();
    }
    Path[] found = new Path[1];
    int[] seen = new int[1];
    try {
      Files.walkFileTree(workspace.toAbsolutePath().normalize(), new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
          return ++seen[0] > SEARCH_LIMIT ? FileVisitResult.TERMINATE : FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult visitFile(Path p, BasicFileAttributes attrs) {
          if (attrs.isRegularFile() && key != null && key.equals(attrs.fileKey()) && !p.equals(file)) {
            found[0] = p;
            return FileVisitResult.TERMINATE;
          }
          return ++seen[0] > SEARCH_LIMIT ? FileVisitResult.TERMINATE : FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult visitFileFailed(Path p, IOException e) {
          return FileVisitResult.CONTINUE; // unreadable: not searched, the refusal stands anyway
        }
      });
    } catch (IOException e) {
      return Optional.empty();
    }
    return Optional.ofNullable(found[0]);
  }
}
