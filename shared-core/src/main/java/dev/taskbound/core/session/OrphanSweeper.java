package dev.taskbound.core.session;

import dev.taskbound.core.sandbox.ProcessTree;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Finds and kills what is left of a session's sandbox when its pid was never journalled (the
 * taskbound process died between starting the sandbox and recording it). Every sandbox process is
 * started with the session's runtime directory on its command line, which no other process has.
 */
final class OrphanSweeper {
  private OrphanSweeper() {}

  /** Kills every process tree whose root's command line contains {@code marker}; returns how many. */
  static int killMatching(String marker) throws IOException {
    int killed = 0;
    for (long pid : matching(marker)) {
      if (ProcessTree.kill(pid, Optional.empty())) {
        killed++;
      }
    }
    return killed;
  }

  private static List<Long> matching(String marker) throws IOException {
    long self = ProcessHandle.current().pid();
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      return procs
          .map(p -> p.getFileName().toString())
          .filter(name -> !name.isEmpty() && name.chars().allMatch(Character::isDigit))
          .map(Long::parseLong)
          .filter(pid -> pid != self && commandLine(pid).contains(marker))
          .toList();
    }
  }

  private static String commandLine(long pid) {
    try {
      return new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline")), StandardCharsets.UTF_8);
    } catch (IOException | RuntimeException gone) {
      return "";
    }
  }
}
