package dev.taskbound.core.sandbox;

import java.io.IOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** A sandbox started by {@link InitLauncher}: the outermost process and its {@link SandboxInit}. */
final class LaunchedSandbox implements SandboxProcess {
  private final Process process;
  private final Optional<Instant> startTime;
  private final Map<String, Object> confinement;
  /** The init as its reply identified it; empty until then, or when it was not found (see terminate). */
  private volatile Optional<ProcessHandle> init = Optional.empty();
  private volatile InitIdentity initIdentity;
  /** Set, before the sandbox is killed, when the agent exited and its init did not end the sandbox. */
  private volatile Map<String, Object> ending = Map.of();
  private volatile int stalledStatus = -1;

  /** How long an init that is not stopped gets to end the sandbox after its agent has exited. */
  static final Duration INIT_GRACE = Duration.ofSeconds(5);

  /** How long a sandbox whose init is no longer found gets to end by itself (that init has just exited). */
  static final Duration INIT_GONE_GRACE = Duration.ofSeconds(2);

  /** @param confinement what {@link #confinement()} reports */
  LaunchedSandbox(Process process, Map<String, Object> confinement) {
    this.process = process;
    this.startTime = process.info().startInstant();
    this.confinement = Map.copyOf(confinement);
  }

  /**
   * Called once init has replied: finds it at or below the sandbox's outermost process by what the
   * reply says of it ({@link InitIdentity}), not by its place in the setup chain, where an orphan
   * adopted by bwrap's pid 1 may have the lower pid. When no process, or more than one, matches,
   * nothing is taken for the init: an init that has just exited (a quick agent) leaves a sandbox
   * that ends within {@link #INIT_GONE_GRACE}; one that does not cannot be watched nor asked to stop.
   *
   * @return false when the init was not found and the sandbox still runs: the caller kills it
   */
  boolean initReportedIn(InitIdentity reported) throws InterruptedException {
    initIdentity = reported;
    init = reported.findAtOrBelow(process.toHandle());
    return init.isPresent() || process.waitFor(INIT_GONE_GRACE.toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * Watches the agent from the host (LOW-3): the agent, the init's user, can stop its init with
   * SIGSTOP, and a stopped init neither reaps the agent nor ends the sandbox, so processes the agent
   * left in the background would run on until the TTL. {@code watcher} is the native init's
   * executable, run on the host as {@code --watch AGENT INIT INIT_START} (the init found by
   * {@link #initReportedIn}, host pid and start time, which the watch checks again): it watches the
   * init's child whose pid in the init's own pid namespace is {@code agentPid} (the pid the init
   * replied with; not a guess among the init's children, which may include a process the init had
   * before it started the agent, or one it adopted), and exits as soon as that process has exited, reaped or not (a
   * pidfd), with the agent's status while it is unreaped. If the sandbox has not ended by then, this
   * ends it: at once when the init is stopped, else after {@link #INIT_GRACE}; {@link #waitFor()}
   * then returns the agent's status and {@link #ending()} says why. Not for a launch that waits for
   * every process (its init outlives the agent on purpose; the TTL bounds it). Does nothing when the
   * sandbox is gone already.
   *
   * @param agentPid the agent's pid as the init's reply gives it, in the init's pid namespace
   * @throws SandboxException if the watch cannot be started
   */
  void watchAgent(Path watcher, long agentPid) {
    Optional<ProcessHandle> initHandle = init;
    if (initHandle.isEmpty() || !process.isAlive()) {
      return;
    }
    Process watch;
    try {
      ProcessBuilder pb = new ProcessBuilder(List.of(watcher.toString(), "--watch", Long.toString(agentPid),
          Long.toString(initHandle.get().pid()), Long.toString(initIdentity.startTicks()))).redirectError(Redirect.DISCARD).redirectInput(Redirect.from(new java.io.File("/dev/null")));
      pb.environment().clear();
      watch = pb.start();
    } catch (IOException e) {
      throw new SandboxException("cannot start the host's watch on the agent (" + watcher + "): " + e.getMessage(), e);
    }
    process.onExit().thenRun(watch::destroyForcibly);
    // its own thread: the grace below must not hold a thread of the common pool, which completes
    // every onExit of this JVM
    Thread waiter = new Thread(() -> {
      try {
        watch.waitFor();
        agentExited(watch, initHandle.get());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "taskbound-agent-watch");
    waiter.setDaemon(true);
    waiter.start();
  }

  private void agentExited(Process watch, ProcessHandle initHandle) {
    String line;
    try {
      line = new String(watch.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    } catch (IOException e) {
      return;
    }
    // "exited unknown": init reaped the agent, so it is running and reports the status itself
    if (!line.matches("exited [0-9]{1,3}") || !process.isAlive()) {
      return;
    }
    try {
      if (!stopped(initHandle) && process.waitFor(INIT_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
        return;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (!process.isAlive()) {
      return;
    }
    Map<String, Object> why = new LinkedHashMap<>();
    why.put("ended_by", "host watch");
    why.put("reason", "the agent exited and its init " + (stopped(initHandle) ? "was stopped" : "did not end the sandbox")
        + ": the sandbox was killed with what the agent left running");
    stalledStatus = Integer.parseInt(line.substring("exited ".length()));
    ending = Map.copyOf(why);
    destroyTree();
  }

  /** Whether the process is stopped or traced ({@code /proc/PID/stat} state T or t). */
  private static boolean stopped(ProcessHandle p) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(p.pid()), "stat"));
      char state = stat.charAt(stat.lastIndexOf(')') + 2);
      return state == 'T' || state == 't';
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  @Override
  public Map<String, Object> ending() {
    return ending;
  }

  @Override
  public Map<String, Object> confinement() {
    return confinement;
  }

  @Override
  public long pid() {
    return process.pid();
  }

  @Override
  public Optional<Instant> startTime() {
    return startTime;
  }

  @Override
  public int waitFor() throws InterruptedException {
    int status = process.waitFor();
    int stalled = stalledStatus;
    return stalled >= 0 ? stalled : status;
  }

  @Override
  public boolean waitFor(Duration timeout) throws InterruptedException {
    return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * SIGTERM to the init its reply identified (the handle also checks the start time, so a reused pid
   * is not signalled). Without one, or when that init is gone while the sandbox runs on, nothing is
   * signalled on a guess: the whole sandbox is killed ({@link #destroyTree()}).
   */
  @Override
  public void terminate() {
    Optional<ProcessHandle> verified = init;
    if (verified.isPresent() && verified.get().destroy()) {
      return;
    }
    if (process.isAlive()) {
      destroyTree();
    }
  }

  @Override
  public void destroyTree() {
    if (process.isAlive()) {
      ProcessTree.kill(process.pid(), startTime);
    }
    try {
      process.waitFor(5, TimeUnit.SECONDS); // reap it, so no zombie outlives the session
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
