package dev.taskbound.core.sandbox;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * A running sandbox and the agent in it. Thread-safe: one thread may wait while another
 * terminates or destroys.
 */
public interface SandboxProcess {
  /** The outermost process Taskbound spawned: the handle the teardown journal stores. */
  long pid();

  /** That process's start time, to tell it from a later process that reuses the pid. */
  Optional<Instant> startTime();

  /**
   * What else the teardown journal must store to remove this sandbox from another process, beyond
   * {@link #pid()} and {@link #startTime()}: for the {@code container} backend the backend name,
   * the daemon endpoint and both container names ({@link ContainerSandbox#remove(Map)} takes it
   * back). No secrets. Empty for backends whose process tree is the whole sandbox.
   */
  default Map<String, String> handle() {
    return Map.of();
  }

  /**
   * How the agent is confined, for the {@code sandbox.started} evidence event: the uid and gid it
   * runs as, its namespaces, capabilities, the filesystem view (read-only, read-write, hidden and
   * private paths), the seccomp profile and the limits, where the backend applies them. No secrets.
   * Empty for a backend that does not confine the host.
   */
  default Map<String, Object> confinement() {
    return Map.of();
  }

  /**
   * How the sandbox ended, when not the usual way (its init reporting the agent's status), for the
   * {@code agent.exited} evidence event: {@code ended_by} and {@code reason}, e.g. when the host's
   * watch on the agent ended a sandbox whose init the agent had stopped. Read after
   * {@link #waitFor()} has returned. No secrets. Empty otherwise.
   */
  default Map<String, Object> ending() {
    return Map.of();
  }

  /**
   * Waits for the sandbox to end.
   *
   * @return the agent's exit status: 0-255, or 128+N when signal N ended it (or the sandbox)
   */
  int waitFor() throws InterruptedException;

  /**
   * Waits at most {@code timeout} for the sandbox to end.
   *
   * @return whether it ended
   */
  boolean waitFor(Duration timeout) throws InterruptedException;

  /**
   * Asks the agent to stop: sends SIGTERM to the sandbox's init, which passes it on to the agent.
   * Returns at once; follow with {@link #waitFor(Duration)} and {@link #destroyTree()}.
   */
  void terminate();

  /**
   * Kills the whole sandbox with SIGKILL: the agent, everything it started, the forwarder. For the
   * {@code netns} backend the PID namespace ends with it, so nothing the agent started survives.
   * Idempotent; returns once the outermost process has exited.
   */
  void destroyTree();
}
