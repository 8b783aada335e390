package dev.taskbound.core.sandbox;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * How the sandbox's init names itself in its reply, so that the launcher finds it from the host
 * without a guess: its pid in its own pid namespace and its start time. Within a namespace a pid
 * names one process at a time, and a later holder of the pid has a later start time; a place in the
 * process tree (a first child down the setup chain) names whatever has the lowest pid there, an
 * orphan adopted by bwrap's pid 1 included.
 *
 * @param pid the init's pid in its own pid namespace ({@code getpid()})
 * @param startTicks its start time, field 22 of {@code /proc/self/stat} (clock ticks since boot); -1
 *     when it could not be read (then no process matches)
 */
record InitIdentity(long pid, long startTicks) {

  /** This process, as the JVM's {@link SandboxInit} reports itself. */
  static InitIdentity ofThisProcess() {
    return new InitIdentity(ProcessHandle.current().pid(), startTicks(Path.of("/proc/self/stat")).orElse(-1L));
  }

  /**
   * The process at or below {@code root} that has this pid in its own namespace (the last entry of
   * {@code NSpid} in {@code /proc/PID/status}) and this start time; empty when there is none, or more
   * than one (another pid namespace below the root, with a process of the same pid started in the
   * same tick): then nothing may be signalled as the init.
   */
  Optional<ProcessHandle> findAtOrBelow(ProcessHandle root) {
    if (startTicks < 0) {
      return Optional.empty();
    }
    List<ProcessHandle> matching = Stream.concat(Stream.of(root), root.descendants()).filter(this::is).toList();
    return matching.size() == 1 ? Optional.of(matching.get(0)) : Optional.empty();
  }

  /** Whether {@code p} (a host pid) is this init: same start time, same pid in its own namespace. */
  private boolean is(ProcessHandle p) {
    Path proc = Path.of("/proc", Long.toString(p.pid()));
    return startTicks(proc.resolve("stat")).equals(Optional.of(startTicks))
        && pidInOwnNamespace(proc.resolve("status")).equals(Optional.of(pid));
  }

  /** Field 22 of a {@code stat} file, counted after the command name (which may hold spaces and parentheses). */
  private static Optional<Long> startTicks(Path stat) {
    try {
      String s = new String(Files.readAllBytes(stat), StandardCharsets.ISO_8859_1);
      String[] after = s.substring(s.lastIndexOf(')') + 2).trim().split(" ");
      return Optional.of(Long.parseLong(after[22 - 3]));
    } catch (IOException | RuntimeException gone) {
      return Optional.empty();
    }
  }

  /** The last pid of the {@code NSpid} line: the one the process's own namespace knows it by. */
  private static Optional<Long> pidInOwnNamespace(Path status) {
    try {
      // ISO-8859-1: the Name line holds whatever bytes the process named itself with
      return new String(Files.readAllBytes(status), StandardCharsets.ISO_8859_1).lines()
          .filter(l -> l.startsWith("NSpid:")).findFirst()
          .map(l -> l.substring("NSpid:".length()).trim().split("\\s+"))
          .map(pids -> Long.parseLong(pids[pids.length - 1]));
    } catch (IOException | RuntimeException gone) {
      return Optional.empty();
    }
  }
}
