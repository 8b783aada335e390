package dev.taskbound.core.sandbox;

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
 */
public record Confinement(Optional<AgentUser> user, List<Path> readOnly, List<Path> readWrite, SandboxLimits limits) {
  /** The floor alone: the workspace owner, no extra paths, the default limits. */
  public static final Confinement DEFAULT = new Confinement(Optional.empty(), List.of(), List.of());

  public Confinement {
    Objects.requireNonNull(user, "user");
    readOnly = List.copyOf(readOnly);
    readWrite = List.copyOf(readWrite);
    Objects.requireNonNull(limits, "limits");
  }

  /** A confinement with the default limits ({@link SandboxLimits#DEFAULT}). */
  public Confinement(Optional<AgentUser> user, List<Path> readOnly, List<Path> readWrite) {
    this(user, readOnly, readWrite, SandboxLimits.DEFAULT);
  }

  /** This confinement, with {@code resourceLimits} applied to the agent. */
  public Confinement withLimits(SandboxLimits resourceLimits) {
    return new Confinement(user, readOnly, readWrite, resourceLimits);
  }

  /** This confinement, with the agent running as {@code agentUser} under a root Taskbound. */
  public Confinement withUser(AgentUser agentUser) {
    return new Confinement(Optional.of(agentUser), readOnly, readWrite, limits);
  }
}
