package dev.taskbound.core.sandbox;

import java.time.Duration;
import java.time.Instant;
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
    return process.waitFor();
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
