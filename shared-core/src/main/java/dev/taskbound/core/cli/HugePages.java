package dev.taskbound.core.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Transparent huge pages for a JVM this one starts, as {@code bin/taskbound} asks for them: only
 * where the kernel gives them on request ({@code madvise}, the usual default). There they save a
 * fresh JVM ~35 ms of start-up on a small VM, mostly page faults of its heap (bench/README.md,
 * "Huge pages"); where the kernel has them off the JVM prints a warning on every start, and where
 * they are always on the flag adds nothing.
 */
final class HugePages {
  static final Path SETTING = Path.of("/sys/kernel/mm/transparent_hugepage/enabled");
  static final String FLAG = "-XX:+UseTransparentHugePages";

  private HugePages() {}

  /** {@link #FLAG} when {@code setting} (the kernel's, {@link #SETTING}) selects {@code madvise}; else nothing. */
  static List<String> jvmFlags(Path setting) {
    try {
      return Files.readString(setting).contains("[madvise]") ? List.of(FLAG) : List.of();
    } catch (IOException | SecurityException e) {
      return List.of(); // no such setting (another kernel, no /sys): no flag, no warning
    }
  }
}
