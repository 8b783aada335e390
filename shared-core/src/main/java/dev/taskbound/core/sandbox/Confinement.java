package dev.taskbound.core.sandbox;

import dev.taskbound.core.policy.Protection;
import dev.taskbound.core.policy.SandboxLimits;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What a launch asks of the host confinement beyond the backend's fixed floor. Immutable.
 *
 * @param user who the agent runs as when Taskbound runs as root; empty: the workspace's owner.
 *     Ignored when Taskbound runs as an ordinary user (the agent is then that user)
 * @param readOnly host paths the agent sees read-only at the same path (the policy files, extra
 *     tool directories); missing ones are skipped
 * @param readWrite host paths the agent may write besides the workspace; missing ones are skipped
 * @param limits the agent's resource limits ({@code sandbox.limits})
 * @param mayGoWithout the protections the backend may leave off when this host cannot apply them
 *     (the policy's {@code confinement: reduced} within the Ceiling's {@code allowReduced}); empty:
 *     a protection that cannot be applied stops the launch
 */
public record Confinement(
    Optional<AgentUser> user, List<Path> readOnly, List<Path> readWrite, SandboxLimits limits, List<Protection> mayGoWithout) {
  /** The floor alone: the workspace owner, no extra paths, the default limits, nothing may be off. */
  public static final Confinement DEFAULT = new Confinement(Optional.empty(), List.of(), List.of());

  public Confinement {
    Objects.requireNonNull(user, "user");
    readOnly = List.copyOf(readOnly);
    readWrite = List.copyOf(readWrite);
    Objects.requireNonNull(limits, "limits");
    mayGoWithout = List.copyOf(mayGoWithout);
  }

  /** Full confinement with the default limits ({@link SandboxLimits#DEFAULT}): nothing may be off. */
  public Confinement(Optional<AgentUser> user, List<Path> readOnly, List<Path> readWrite) {
    this(user, readOnly, readWrite, SandboxLimits.DEFAULT, List.of());
  }

  /** Full confinement: nothing may be off. */
  public Confinement(Optional<AgentUser> user, List<Path> readOnly, List<Path> readWrite, SandboxLimits limits) {
    this(user, readOnly, readWrite, limits, List.of());
  }

  /** This confinement, with {@code resourceLimits} applied to the agent. */
  public Confinement withLimits(SandboxLimits resourceLimits) {
    return new Confinement(user, readOnly, readWrite, resourceLimits, mayGoWithout);
  }

  /** This confinement, with the agent running as {@code agentUser} under a root Taskbound. */
  public Confinement withUser(AgentUser agentUser) {
    return new Confinement(Optional.of(agentUser), readOnly, readWrite, limits, mayGoWithout);
  }

  /**
   * Refuses a read-only or read-write path that leads through a symbolic link, checked at every
   * sandbox start (each {@code session exec} too): the policy's paths were checked as written
   * ({@code /proc}, the session root and credential files refused), but bubblewrap and Docker follow
   * links when they mount, so a link planted in the workspace (by a checkout, an earlier step, or the
   * agent between two execs) would show the host's /home, /proc or /etc instead.
   *
   * @throws SandboxException naming the path, where it leads and what is accepted
   */
  public void requireNoLinks() {
    for (List<Path> paths : List.of(readOnly, readWrite)) {
      for (Path p : paths) {
        Path written = p.toAbsolutePath().normalize();
        Path real;
        try {
          real = written.toRealPath();
        } catch (java.io.IOException missing) {
          if (java.nio.file.Files.isSymbolicLink(written)) {
            throw linked(paths == readOnly, written, "a dangling link");
          }
          continue; // missing paths are skipped, as before
        }
        if (!real.equals(written)) {
          throw linked(paths == readOnly, written, "'" + real + "'");
        }
      }
    }
  }

  private static SandboxException linked(boolean readOnly, Path written, String target) {
    return new SandboxException("sandbox.paths." + (readOnly ? "readOnly" : "readWrite") + ": '" + written
        + "' leads through a symbolic link to " + target + ", which the sandbox would show in its place; it does not"
        + " start. Accepted: paths with no symbolic link in them (name the link's target itself, in the policy)");
  }

  /** Whether the backend may run without {@code protection} where the host cannot give it. */
  public boolean allowsWithout(Protection protection) {
    return mayGoWithout.contains(protection);
  }
}
