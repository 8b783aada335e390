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

  /** Whether the backend may run without {@code protection} where the host cannot give it. */
  public boolean allowsWithout(Protection protection) {
    return mayGoWithout.contains(protection);
  }
}
