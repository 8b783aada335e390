package dev.taskbound.core.cli;

/**
 * Makes an error message safe to print as one line on a terminal: control characters (line breaks,
 * ESC, BEL, NUL, C1 controls) are escaped so that a value quoted in a message cannot forge a second
 * line or drive the terminal, and very long messages are cut with an ellipsis.
 */
final class ErrorLine {
  /** Longer messages are cut: a hostile value must not flood the log. */
  static final int MAX = 2000;

  private ErrorLine() {}

  static String of(String message) {
    if (message == null || message.isEmpty()) {
      return "(no message)";
    }
    StringBuilder out = new StringBuilder(Math.min(message.length(), MAX) + 16);
    for (int i = 0; i < message.length(); i++) {
      if (out.length() >= MAX) {
        return out.append('…').toString();
      }
      char c = message.charAt(i);
      switch (c) {
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || c == '\u2028' || c == '\u2029') {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    return out.toString();
  }
}
