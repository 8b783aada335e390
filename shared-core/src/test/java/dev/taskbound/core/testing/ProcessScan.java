package dev.taskbound.core.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Finds live processes on the host by a unique string on their command line, via /proc. */
public final class ProcessScan {
  private ProcessScan() {}

  /** Pids of processes (not zombies) whose command line contains {@code marker}. */
  public static List<Long> withArgument(String marker) {
    List<Long> pids = new ArrayList<>();
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      procs
          .filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit))
          .forEach(
              p -> {
                try {
                  String cmdline = new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8);
                  String stat = Files.readString(p.resolve("stat"));
                  boolean zombie = stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
                  if (!zombie && cmdline.contains(marker)) {
                    pids.add(Long.parseLong(p.getFileName().toString()));
                  }
                } catch (IOException | RuntimeException gone) {
                  // The process ended while we looked.
                }
              });
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return pids;
  }
}
