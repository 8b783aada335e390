package dev.taskbound.action;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Objects;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * Writes GitHub Actions file commands ({@code $GITHUB_OUTPUT}, {@code $GITHUB_STATE}). A single-line
 * value is written as {@code name=value}; a multi-line value in the heredoc form
 * {@code name<<DELIMITER}, the value, {@code DELIMITER}, with a random delimiter that the value
 * cannot contain. Instances are immutable; appends to one file from several threads are not
 * coordinated.
 */
public final class FileCommands {
  private final Supplier<String> delimiters;

  /** File commands with random {@code ghadelimiter_<uuid>} delimiters, as {@code @actions/core} uses. */
  public FileCommands() {
    this(() -> "ghadelimiter_" + UUID.randomUUID());
  }

  /** File commands with the given delimiter source, for tests that assert the exact text. */
  FileCommands(Supplier<String> delimiters) {
    this.delimiters = Objects.requireNonNull(delimiters, "delimiters");
  }

  /**
   * The text of one entry, ending with a newline.
   *
   * @throws IllegalArgumentException if {@code name} is empty or holds {@code =}, {@code <} or a line
   *     break, or if the delimiter source returns a delimiter that occurs in {@code value}
   */
  public String entry(String name, String value) {
    Objects.requireNonNull(value, "value");
    if (Objects.requireNonNull(name, "name").isEmpty() || name.matches("(?s).*[=<\\r\\n].*")) {
      throw new IllegalArgumentException("file command name must be non-empty without '=', '<' or line breaks: '" + name + "'");
    }
    if (value.indexOf('\n') < 0 && value.indexOf('\r') < 0) {
      return name + "=" + value + "\n";
    }
    String delimiter = delimiters.get();
    if (value.contains(delimiter) || name.contains(delimiter)) {
      throw new IllegalArgumentException("the value of '" + name + "' contains the heredoc delimiter");
    }
    return name + "<<" + delimiter + "\n" + value + "\n" + delimiter + "\n";
  }

  /**
   * Appends one entry to the file a runner variable names (creating it if needed).
   *
   * @throws UncheckedIOException if the file cannot be written
   */
  public void append(Path file, String name, String value) {
    try {
      Files.writeString(
          file,
          entry(name, value),
          StandardCharsets.UTF_8,
          StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot append to " + file, e);
    }
  }
}
