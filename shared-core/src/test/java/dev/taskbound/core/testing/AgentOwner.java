package dev.taskbound.core.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * The unprivileged owner tests give a workspace when they run as root (as CI does): the netns
 * sandbox runs the agent as the workspace's owner and refuses a root-owned one. {@code nobody}
 * (65534), which every Debian system has (ssh, for one, wants the uid to have an entry), so tests
 * create no account.
 */
public final class AgentOwner {
  /** The test workspaces' owner when the tests run as root. */
  public static final int UID = 65534;

  private AgentOwner() {}

  /** Whether this JVM runs as root. */
  public static boolean root() {
    try {
      return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid") == 0;
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * Gives {@code dir} and everything below it to {@link #UID} when running as root (else leaves it:
   * an ordinary user's agent is that user); returns {@code dir}.
   */
  public static Path own(Path dir) {
    if (!root()) {
      return dir;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : (List<Path>) walk.toList()) {
        Files.setAttribute(p, "unix:gid", UID, LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(p, "unix:uid", UID, LinkOption.NOFOLLOW_LINKS);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return dir;
  }
}
