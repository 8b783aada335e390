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
  private final int initDepth;
  private final Map<String, Object> confinement;
  private volatile Optional<ProcessHandle> init = Optional.empty();
  /** Set, before the sandbox is killed, when the agent exited and its init did not end the sandbox. */
  private volatile Map<String, Object> ending = Map.of();
  private volatile int stalledStatus = -1;

  /** How long an init that is not stopped gets to end the sandbox after its agent has exited. */
  static final Duration INIT_GRACE = Duration.ofSeconds(5);

  /**
   * @param initDepth how many first-child steps below {@code process} init is (0: it is init)
   * @param confinement what {@link #confinement()} reports
   */
  LaunchedSandbox(Process process, int initDepth, Map<String, Object> confinement) {
    this.process = process;
    this.startTime = process.info().startInstant();
    this.initDepth = initDepth;
    this.confinement = Map.copyOf(confinement);
  }

  /** Called once init has reported in, so that it is the process found. */
  void initReportedIn() {
    Optional<ProcessHandle> found = Optional.of(process.toHandle());
    for (int i = 0; i < initDepth && found.isPresent(); i++) {
      found = found.get().children().findFirst();
    }
    init = found;
  }

  /**
   * Watches the agent from the host (LOW-3): the agent, the init's user, can stop its init with
   * SIGSTOP, and a stopped init neither reaps the agent nor ends the sandbox, so processes the agent
   * left in the background would run on until the TTL. {@code watcher} is the native init's
   * executable, run on the host as {@code --watch AGENT INIT}: it watches the init's child whose pid
   * in the init's own pid namespace is {@code agentPid} (the pid the init replied with; not a guess
   * among the init's children, which may include a process the init had before it started the
   * agent, or one it adopted), and exits as soon as that process has exited, reaped or not (a
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
          Long.toString(initHandle.get().pid()))).redirectError(Redirect.DISCARD).redirectInput(Redirect.from(new java.io.File("/dev/null")));
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

  @Override
  public void terminate() {
    init.ifPresent(ProcessHandle::destroy);
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
