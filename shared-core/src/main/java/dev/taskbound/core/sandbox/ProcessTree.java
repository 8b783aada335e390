package dev.taskbound.core.sandbox;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

/**
 * Kills a process and everything below it, also from a process that did not start it (for
 * {@code taskbound teardown --session} after Taskbound itself was killed). Stateless.
 */
public final class ProcessTree {
  private static final long EXIT_WAIT_SECONDS = 5;

  private ProcessTree() {}

  /**
   * Sends SIGKILL to {@code pid} and to every descendant it has at the time of the call, but only
   * if the process still is the one that was recorded: when {@code startTime} is present and
   * differs from the live process's start time, the pid was reused and nothing is killed. Waits up
   * to 5 s in all for the process and those descendants to exit.
   *
   * @param pid the outermost process, as {@link SandboxProcess#pid()} gave it
   * @param startTime its recorded start time; empty skips the check
   * @return whether a matching live process was found and signalled
   */
  public static boolean kill(long pid, Optional<Instant> startTime) {
    Optional<ProcessHandle> found = ProcessHandle.of(pid);
    if (found.isEmpty() || !found.get().isAlive()) {
      return false;
    }
    ProcessHandle root = found.get();
    if (startTime.isPresent()) {
      Optional<Instant> live = root.info().startInstant();
      if (live.isEmpty() || !live.get().equals(startTime.get())) {
        return false;
      }
    }
    // Snapshot first: once the root is gone its children are reparented and no longer found.
    List<ProcessHandle> below = root.descendants().collect(Collectors.toList());
    root.destroyForcibly();
    below.forEach(ProcessHandle::destroyForcibly);
    // Wait for the whole tree, not just the root: SIGKILL is delivered asynchronously, and a
    // caller that checks right after must not find a process of the tree still running.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(EXIT_WAIT_SECONDS);
    try {
      root.onExit().get(EXIT_WAIT_SECONDS, TimeUnit.SECONDS);
      for (ProcessHandle p : below) {
        p.onExit().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      // still reported as signalled; the caller's journal retries
    }
    return true;
  }

  /**
   * Kills every process tree whose command line contains {@code marker}, other than this process:
   * for a sandbox started after its journal entry but before its pid was recorded. Every sandbox
   * process carries the session's runtime directory on its command line, which nothing else does.
   *
   * @return how many matching processes were signalled
   */
  public static int killWithArgument(String marker) {
    long self = ProcessHandle.current().pid();
    List<ProcessHandle> matching = ProcessHandle.allProcesses()
        .filter(p -> p.pid() != self && commandLineContains(p, marker))
        .collect(Collectors.toList());
    int killed = 0;
    for (ProcessHandle p : matching) {
      if (kill(p.pid(), Optional.empty())) {
        killed++;
      }
    }
    return killed;
  }

  /**
   * {@link ProcessHandle.Info#commandLine()} stops at 4,096 bytes (a JDK limit), and a sandbox's
   * marker comes after a class path that can be longer: read the whole {@code /proc} entry.
   */
  private static boolean commandLineContains(ProcessHandle p, String marker) {
    try {
      byte[] raw = Files.readAllBytes(Path.of("/proc", Long.toString(p.pid()), "cmdline"));
      return new String(raw, StandardCharsets.UTF_8).contains(marker);
    } catch (IOException e) {
      return false; // gone, or not ours to read
    }
  }
}
