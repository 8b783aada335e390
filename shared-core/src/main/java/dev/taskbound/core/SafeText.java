package dev.taskbound.core;

import java.util.Objects;

/**
 * Makes untrusted text safe to show in a one-line error message: control characters (C0, DEL,
 * C1), line and paragraph separators, Unicode format characters (zero-width joiners, bidi
 * overrides) and lone surrogates become visible escapes ({@code \n}, {@code \e}, {@code \x07},
 * {@code \0}, {@code \u200d}), and long text is cut with an ellipsis. A value shown this way can
 * neither forge a second line nor move the terminal's cursor. Stateless, thread-safe.
 *
 * <p>{@link #value} is for one quoted value inside a message and also escapes backslashes, so the
 * shown value is unambiguous; {@link #line} is the safety net for a whole message and leaves
 * backslashes alone, so applying it to a message that holds {@link #value}s changes nothing.
 */
public final class SafeText {
  /** The longest value {@link #value} shows before cutting it. */
  public static final int MAX_VALUE_CHARS = 120;
  /** The longest message {@link #line} shows before cutting it. */
  public static final int MAX_LINE_CHARS = 2000;

  private static final String ELLIPSIS = "…";

  private SafeText() {}

  /**
   * One untrusted value, escaped (backslashes too) and cut to {@link #MAX_VALUE_CHARS} with an
   * ellipsis and the original length ({@code abc… (250000 chars)}).
   */
  public static String value(String text) {
    Objects.requireNonNull(text, "text");
    return escape(text, MAX_VALUE_CHARS, true);
  }

  /**
   * One untrusted value escaped like {@link #value} but never cut: for text a person decides on
   * (an approval's target), where a cut would hide part of what is approved.
   */
  public static String whole(String text) {
    Objects.requireNonNull(text, "text");
    return escape(text, Integer.MAX_VALUE, true);
  }

  /** {@link #value} in single quotes, the way messages quote a value. */
  public static String quoted(String text) {
    return "'" + value(text) + "'";
  }

  /**
   * A whole message made one line: control and invisible characters escaped (backslashes left as
   * they are), cut to {@link #MAX_LINE_CHARS} with an ellipsis. Idempotent.
   */
  public static String line(String message) {
    if (message == null) {
      return null;
    }
    return escape(message, MAX_LINE_CHARS, false);
  }

  /** Whether {@link #line} would show the text unchanged as far as characters go (length aside). */
  public static boolean isPrintable(String text) {
    for (int i = 0; i < text.length(); i++) {
      if (needsEscape(text, i)) {
        return false;
      }
    }
    return true;
  }

  // O(min(n, max)): stops reading once the cut is reached.
  private static String escape(String text, int max, boolean escapeBackslash) {
    StringBuilder b = new StringBuilder(Math.min(text.length(), max) + 16);
    int i = 0;
    for (; i < text.length() && b.length() < max; i++) {
      char c = text.charAt(i);
      if (c == '\\' && escapeBackslash) {
        b.append("\\\\");
      } else if (needsEscape(text, i)) {
        b.append(escapeOf(c));
      } else {
        b.append(c);
        if (Character.isHighSurrogate(c) && i + 1 < text.length()) {
          b.append(text.charAt(++i));
        }
      }
    }
    if (i < text.length()) {
      b.append(ELLIPSIS).append(" (").append(text.length()).append(" chars)");
    }
    return b.toString();
  }

  private static boolean needsEscape(String text, int i) {
    char c = text.charAt(i);
    if (c < 0x20 || c >= 0x7f && c <= 0x9f) {
      return true;
    }
    if (Character.isHighSurrogate(c)) {
      return i + 1 >= text.length() || !Character.isLowSurrogate(text.charAt(i + 1));
    }
    if (Character.isLowSurrogate(c)) {
      return i == 0 || !Character.isHighSurrogate(text.charAt(i - 1));
    }
    int type = Character.getType(c);
    return type == Character.FORMAT || type == Character.LINE_SEPARATOR || type == Character.PARAGRAPH_SEPARATOR
        || type == Character.UNASSIGNED && c >= 0xfff0;
  }

  private static String escapeOf(char c) {
    switch (c) {
      case '\n':
        return "\\n";
      case '\r':
        return "\\r";
      case '\t':
        return "\\t";
      case 0:
        return "\\0";
      case 0x1b:
        return "\\e";
      default:
        return c <= 0xff ? String.format("\\x%02x", (int) c) : String.format("\\u%04x", (int) c);
    }
  }
}
