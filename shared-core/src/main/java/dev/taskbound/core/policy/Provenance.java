package dev.taskbound.core.policy;

import java.util.Objects;

/**
 * Where an effective value came from: a file and a 1-based line, or a source without lines (the
 * built-in default ceiling, a command-line option), which has {@code line == 0}.
 *
 * @param file the file as the user named it, or a description such as {@code built-in default}
 * @param line the 1-based line, or 0 when the source has no lines
 */
public record Provenance(String file, int line) {
  /** Values of the built-in default ceiling, which applies when no {@code Ceiling} is given. */
  public static final Provenance BUILT_IN = new Provenance("built-in default", 0);

  public Provenance {
    Objects.requireNonNull(file, "file");
    if (line < 0) {
      throw new IllegalArgumentException("line must be >= 0: " + line);
    }
  }

  /** The provenance of a value given on the command line, e.g. {@code commandLine("--ttl")}. */
  public static Provenance commandLine(String option) {
    return new Provenance("command line " + option, 0);
  }

  /** Whether this is the built-in default ceiling. */
  public boolean isBuiltIn() {
    // Compared by hand: a record's equals is linked on its first call (ObjectMethods), and this is
    // the first one of a run (~15 ms of start-up).
    return line == BUILT_IN.line && file.equals(BUILT_IN.file);
  }

  /** {@code org.yml:5}, or just the source when it has no lines ({@code built-in default}). */
  @Override
  public String toString() {
    return line == 0 ? file : file + ":" + line;
  }
}
