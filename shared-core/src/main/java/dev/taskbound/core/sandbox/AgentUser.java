package dev.taskbound.core.sandbox;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The unprivileged host user the agent runs as: never uid 0. Immutable.
 *
 * @param uid the host uid, above 0
 * @param gid the host gid the agent runs with (no supplementary groups)
 * @param name the account name from {@code /etc/passwd}, or the uid as a string when it has none
 */
public record AgentUser(int uid, int gid, String name) {
  public AgentUser {
    if (uid <= 0) {
      throw new SandboxException("the agent must not run as uid " + uid + " (root); accepted: an unprivileged uid above 0");
    }
    if (gid < 0) {
      throw new IllegalArgumentException("gid " + gid);
    }
    Objects.requireNonNull(name, "name");
  }

  /**
   * Resolves a user given as an account name, a uid or {@code uid:gid} against {@code passwd} (a
   * file in {@code /etc/passwd} format; a bare uid without an entry runs with gid = uid).
   *
   * @param where what named the user, for messages (for example the policy field and its position)
   * @throws SandboxException if the name is unknown, the value malformed, or it resolves to root
   */
  public static AgentUser resolve(String spec, String where, Path passwd) {
    String s = spec.strip();
    if (s.matches("\\d{1,9}(:\\d{1,9})?")) {
      String[] parts = s.split(":");
      int uid = Integer.parseInt(parts[0]);
      refuseRoot(uid, spec, where);
      Optional<String[]> entry = entry(passwd, e -> e[2].equals(parts[0]));
      int gid = parts.length == 2 ? Integer.parseInt(parts[1]) : entry.map(e -> Integer.parseInt(e[3])).orElse(uid);
      return new AgentUser(uid, gid, entry.map(e -> e[0]).orElse(parts[0]));
    }
    if (!s.matches("[a-z_][a-z0-9_.-]{0,31}")) {
      throw new SandboxException(where + ": '" + spec + "' is not a user; accepted: an account name, a uid, or uid:gid");
    }
    String[] e = entry(passwd, x -> x[0].equals(s)).orElseThrow(() ->
        new SandboxException(where + ": no user '" + spec + "' in " + passwd + "; accepted: an existing account name, a uid, or uid:gid"));
    int uid = Integer.parseInt(e[2]);
    refuseRoot(uid, spec, where);
    return new AgentUser(uid, Integer.parseInt(e[3]), e[0]);
  }

  /**
   * The owner of {@code workspace} (uid and gid), named from {@code passwd} where it has an entry.
   *
   * @throws SandboxException if the workspace belongs to root or cannot be inspected
   */
  public static AgentUser ownerOf(Path workspace, Path passwd) {
    int uid;
    int gid;
    try {
      uid = (Integer) Files.getAttribute(workspace, "unix:uid", LinkOption.NOFOLLOW_LINKS);
      gid = (Integer) Files.getAttribute(workspace, "unix:gid", LinkOption.NOFOLLOW_LINKS);
    } catch (IOException | UnsupportedOperationException e) {
      throw new SandboxException("cannot find the owner of the workspace " + workspace + " (" + e.getMessage()
          + "); the agent runs as the workspace's owner unless sandbox.user says otherwise");
    }
    if (uid == 0) {
      throw new SandboxException("the workspace " + workspace + " belongs to root, and the agent never runs as root."
          + " Option: chown the workspace to the CI user (the agent then runs as that user, and its files belong to it)");
    }
    Optional<String[]> account = entry(passwd, e -> e[2].equals(String.valueOf(uid)));
    String name = account.map(e -> e[0]).orElse(String.valueOf(uid));
    return new AgentUser(uid, gid != 0 ? gid : primaryGroupOrNogroup(account), name);
  }

  /** Group id of the {@code nogroup} group on Debian and Ubuntu. */
  static final int NOGROUP = 65534;

  /**
   * A workspace whose group is root ({@code chown -R 1001 ws} keeps it) must not give the agent
   * group 0, which reads every root-group file of the host's read-only view: the owner's primary
   * group from the passwd file instead, or {@code nogroup} when that is root too or unknown.
   */
  private static int primaryGroupOrNogroup(Optional<String[]> account) {
    return account.filter(e -> e.length > 3 && e[3].matches("[0-9]{1,9}")).map(e -> Integer.parseInt(e[3]))
        .filter(g -> g != 0).orElse(NOGROUP);
  }

  private static void refuseRoot(int uid, String spec, String where) {
    if (uid == 0) {
      throw new SandboxException(where + ": '" + spec + "' is root, and the agent never runs as root; accepted: an unprivileged user");
    }
  }

  private static Optional<String[]> entry(Path passwd, java.util.function.Predicate<String[]> match) {
    List<String> lines;
    try {
      lines = Files.readAllLines(passwd);
    } catch (IOException e) {
      return Optional.empty();
    }
    for (String line : lines) {
      String[] f = line.split(":", -1);
      if (f.length >= 7 && f[2].matches("\\d{1,9}") && f[3].matches("\\d{1,9}") && match.test(f)) {
        return Optional.of(f);
      }
    }
    return Optional.empty();
  }

  @Override
  public String toString() {
    return name + " (uid " + uid + ", gid " + gid + ")";
  }
}
