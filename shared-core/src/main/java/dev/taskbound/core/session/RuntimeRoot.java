package dev.taskbound.core.session;

import dev.taskbound.core.ExitCodes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The directory the sessions' runtime directories ({@code tb-<session>}: the gateway socket the
 * sandbox binds, the control socket) are made in. A user who may rename entries there could move a
 * session's directory away and put one of their own in its place, its sockets theirs: so it must be
 * this user's, root's or the working directory's owner's (whom the agent runs as when Taskbound runs
 * as root), and writable by no one else unless sticky ({@code /tmp}, the default, where only an
 * entry's owner may rename it).
 */
final class RuntimeRoot {
  private static final int GROUP_OR_OTHER_WRITE = 0022;
  private static final int STICKY = 01000;

  private RuntimeRoot() {}

  /** Whether a directory of this mode lets others rename what is in it: writable by group or others, not sticky. */
  static boolean othersCanRename(int mode) {
    return (mode & GROUP_OR_OTHER_WRITE) != 0 && (mode & STICKY) == 0;
  }

  /**
   * @param ownUid this process's effective uid
   * @param workDir the session's working directory, whose owner may own the runtime root too
   * @throws SessionException (exit 121) naming the directory, its owner and mode, and what is accepted
   */
  static void check(Path root, long ownUid, Path workDir) {
    int uid;
    int mode;
    long workOwner;
    try {
      Path real = root.toRealPath();
      uid = (Integer) Files.getAttribute(real, "unix:uid");
      mode = (Integer) Files.getAttribute(real, "unix:mode");
      workOwner = (Integer) Files.getAttribute(workDir, "unix:uid");
    } catch (IOException | UnsupportedOperationException e) {
      throw new SessionException("cannot check the runtime directory " + root + ": " + e.getMessage()
          + "; set TASKBOUND_RUNTIME_DIR to a directory of yours", ExitCodes.SANDBOX, e);
    }
    boolean owned = uid == ownUid || uid == 0 || uid == workOwner;
    boolean othersRename = othersCanRename(mode);
    if (!owned || othersRename) {
      throw new SessionException("the runtime directory " + root + " (owner uid " + uid + ", mode "
          + String.format("%04o", mode & 07777) + ") lets another user rename what is in it: they could put their own"
          + " in place of a session's directory and its gateway socket; accepted: a directory owned by you, root or"
          + " the working directory's owner, writable by no one else unless sticky (as /tmp); set TASKBOUND_RUNTIME_DIR",
          ExitCodes.SANDBOX);
    }
  }
}
