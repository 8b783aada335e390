package dev.taskbound.core.sandbox;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;

/**
 * A running {@code container} sandbox: the attached {@code docker start} of the agent container
 * (whose exit status is the agent's) and the attached {@code docker run} of the forwarder.
 */
final class ContainerSandboxProcess implements SandboxProcess {
  private final ContainerSandbox backend;
  private final Map<String, String> handle;
  private volatile Process forwarderCli;
  private volatile Process agentCli;
  private volatile Optional<Instant> startTime = Optional.empty();
  private final IntConsumer onExit;
  private volatile Integer status; // once known
  private volatile Map<String, Object> confinement = Map.of();

  ContainerSandboxProcess(ContainerSandbox backend, Map<String, String> handle, IntConsumer onExit) {
    this.backend = backend;
    this.handle = Map.copyOf(handle);
    this.onExit = onExit;
  }

  void forwarderStarted(Process cli) {
    forwarderCli = cli;
  }

  void confined(Map<String, Object> described) {
    confinement = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(described));
  }

  /** The agent container's floor ({@link ContainerFloor#describe}). */
  @Override
  public Map<String, Object> confinement() {
    return confinement;
  }

  void agentStarted(Process cli) {
    startTime = cli.info().startInstant();
    agentCli = cli;
  }

  /** The attached {@code docker start} CLI process of the agent container (a host process). */
  @Override
  public long pid() {
    return agentCli.pid();
  }

  @Override
  public Optional<Instant> startTime() {
    return startTime;
  }

  /** {@code backend=container}, {@code endpoint}, {@code forwarder} and {@code agent} container names. */
  @Override
  public Map<String, String> handle() {
    return handle;
  }

  /**
   * The agent container's exit status as the daemon recorded it (127 when the command was not
   * found, 126 when it could not be executed, 128+N after signal N); the status of {@code docker
   * start --attach} when the container is already gone or still runs. A status 0 of the CLI is the
   * container's own (the container has no TTY, so no detach sequence on its input detaches the
   * CLI), so only other statuses cost the daemon a question.
   */
  @Override
  public int waitFor() throws InterruptedException {
    int cli = agentCli.waitFor();
    Integer known = status;
    if (known == null) {
      known = cli == 0 ? 0 : backend.exitStatus(handle.get("agent")).orElse(cli);
      status = known;
      onExit.accept(known);
    }
    return known;
  }

  @Override
  public boolean waitFor(Duration timeout) throws InterruptedException {
    return agentCli.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Sends SIGTERM to the agent container's main process ({@code docker kill --signal TERM}). */
  @Override
  public void terminate() {
    backend.signal(handle.get("agent"), "TERM");
  }

  /**
   * Removes both containers ({@code docker rm --force}: SIGKILL to everything in them), then ends
   * the CLI processes. Idempotent.
   *
   * @throws SandboxException if the daemon refuses to remove a container
   */
  @Override
  public void destroyTree() {
    try {
      backend.remove(handle);
    } finally {
      for (Process p : new Process[] {agentCli, forwarderCli}) {
        if (p != null) {
          p.destroyForcibly();
          try {
            p.waitFor(5, TimeUnit.SECONDS); // reap it, so no zombie outlives the session
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
      }
    }
  }
}
