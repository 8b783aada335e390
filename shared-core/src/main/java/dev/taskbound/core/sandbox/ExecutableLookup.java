package dev.taskbound.core.sandbox;

import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Finds the agent's program the way a POSIX shell does, in the agent's own {@code PATH}: a name
 * containing {@code /} is used as is (relative to the working directory); a bare name is looked
 * up in each {@code PATH} entry in order (an empty entry is the working directory), skipping
 * directories and files that are not executable. Without {@code PATH} the shell's default
 * ({@value #DEFAULT_PATH}) is searched.
 *
 * <p>Needed because {@link ProcessBuilder} looks a bare name up in the <em>starting</em> JVM's
 * {@code PATH} (the sandbox init's fixed system directories), not in the agent's. Stateless.
 */
final class ExecutableLookup {
  /** What {@code sh} searches when {@code PATH} is unset (Debian's dash and bash agree on this list). */
  static final String DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

  private ExecutableLookup() {}

  /** The outcome: the program to execute, or the {@code PATH} that was searched in vain. */
  record Result(Optional<String> program, String searched) {
    /** A one-line reason for exit 127, naming the command and the {@code PATH} searched. */
    String notFound(String command) {
      return "taskbound: command not found: '" + Printable.of(command) + "' (searched the agent's PATH="
          + Printable.of(searched) + ")";
    }
  }

  /**
   * Resolves {@code command} (the agent's {@code argv[0]}) against {@code environment}'s
   * {@code PATH}, as seen from {@code workDir}.
   *
   * @return the program to pass to {@link ProcessBuilder} (the command itself when it contains a
   *     {@code /}; an absolute path or a path relative to {@code workDir} otherwise), or empty
   *     when no {@code PATH} entry holds an executable file of that name
   */
  static Result resolve(String command, Map<String, String> environment, Path workDir) {
    String path = environment.getOrDefault("PATH", DEFAULT_PATH);
    if (command.contains("/")) {
      return new Result(Optional.of(command), path);
    }
    if (command.isEmpty()) {
      return new Result(Optional.empty(), path);
    }
    for (String dir : path.split(":", -1)) {
      Path base = dir.isEmpty() ? workDir : workDir.resolve(dir); // an absolute entry ignores workDir
      try {
        Path candidate = base.resolve(command);
        if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
          return new Result(Optional.of(candidate.toString()), path);
        }
      } catch (InvalidPathException | SecurityException e) {
        // an entry that is no valid path holds nothing, as for the shell
      }
    }
    return new Result(Optional.empty(), path);
  }

  /** Control characters escaped, long values cut, so a hostile PATH cannot forge terminal lines. */
  static final class Printable {
    private static final int MAX = 400;

    private Printable() {}

    static String of(String s) {
      StringBuilder b = new StringBuilder();
      for (int i = 0; i < s.length() && b.length() < MAX; i++) {
        char c = s.charAt(i);
        if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0)) {
          b.append(String.format("\\x%02x", (int) c));
        } else {
          b.append(c);
        }
      }
      return b.length() >= MAX && s.length() > MAX ? b + "…" : b.toString();
    }
  }
}
