package dev.taskbound.action;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Formats GitHub Actions workflow commands ({@code ::name::data} lines on standard output). Data is
 * escaped as the runner expects ({@code %}, CR and LF as {@code %25}, {@code %0D}, {@code %0A}), so
 * a value can never end a command early or start another one. Stateless and thread-safe.
 */
public final class WorkflowCommands {

  private WorkflowCommands() {}

  /**
   * The {@code ::add-mask::} lines for a secret. The runner masks line by line, so a multi-line
   * value gets one command per non-blank line; a single-line value gets exactly one.
   *
   * @return the command lines, without line terminators; empty if {@code value} has no non-blank line
   */
  public static List<String> addMask(String value) {
    Objects.requireNonNull(value, "value");
    return Arrays.stream(value.split("\\r?\\n|\\r"))
        .filter(line -> !line.isBlank())
        .map(line -> "::add-mask::" + escapeData(line))
        .toList();
  }

  /** An {@code ::error title=TITLE::} annotation; {@code title} is escaped as a property. */
  public static String error(String title, String message) {
    return "::error title=" + escapeProperty(title) + "::" + escapeData(Objects.requireNonNull(message, "message"));
  }

  /** A {@code ::warning title=TITLE::} annotation; {@code title} is escaped as a property. */
  public static String warning(String title, String message) {
    return "::warning title=" + escapeProperty(title) + "::" + escapeData(Objects.requireNonNull(message, "message"));
  }

  /** Escapes a command property value as {@code @actions/core}'s {@code escapeProperty} does. */
  static String escapeProperty(String value) {
    return escapeData(value).replace(":", "%3A").replace(",", "%2C");
  }

  /** An {@code ::error::} line carrying {@code message} as one escaped line. */
  public static String error(String message) {
    return "::error::" + escapeData(Objects.requireNonNull(message, "message"));
  }

  /** Escapes workflow command data the way {@code @actions/core}'s {@code escapeData} does. */
  static String escapeData(String data) {
    return data.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A");
  }
}
