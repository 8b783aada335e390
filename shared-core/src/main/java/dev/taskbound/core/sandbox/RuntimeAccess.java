package dev.taskbound.core.sandbox;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;

/**
 * Lets the agent's unprivileged user use what it needs of this session's runtime directory when
 * Taskbound runs as root: directories become traversable but not listable ({@code 0711}, still
 * root's, so nobody else can add or swap an entry), files and sockets the agent user's (a
 * credential file is {@code 0600}; a socket needs write permission to connect). Inside the sandbox
 * each is bound read-only, so the agent can change none of it. Symbolic links are never followed;
 * missing paths are skipped.
 */
final class RuntimeAccess {
  private RuntimeAccess() {}

  /**
   * @throws SandboxException if an entry cannot be changed (the agent would not reach it)
   */
  static void grant(List<Path> paths, AgentUser user) {
    for (Path path : paths) {
      if (Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
        grant(path, user);
      }
    }
  }

  static void grant(Path path, AgentUser user) {
    List<Path> entries;
    try (Stream<Path> walk = Files.walk(path)) {
      entries = walk.toList();
    } catch (IOException e) {
      throw new SandboxException("cannot open " + path + " to the agent's user " + user + ": " + e.getMessage());
    }
    for (Path p : entries) {
      try {
        if (Files.isSymbolicLink(p)) {
          continue;
        }
        if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
          Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwx--x--x"));
        } else {
          Files.setAttribute(p, "unix:gid", user.gid(), LinkOption.NOFOLLOW_LINKS);
          Files.setAttribute(p, "unix:uid", user.uid(), LinkOption.NOFOLLOW_LINKS);
        }
      } catch (IOException | RuntimeException e) {
        throw new SandboxException("cannot open " + p + " to the agent's user " + user + ": " + e.getMessage());
      }
    }
  }
}
