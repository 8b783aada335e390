package dev.taskbound.core;

import java.util.Objects;

/**
 * Makes untrusted text safe to show in a one-line error message: control characters (C0, DEL,
 * C1), line and paragraph separators, Unicode format characters (zero-width joiners, bidi
 * overrides, tags), variation selectors, Hangul fillers and lone surrogates become visible escapes
 * ({@code \n}, {@code \e}, {@code \x07}, {@code \0}, {@code \u200d}, {@code &#92;u{e0041}}), and long
 * text is cut with an ellipsis. A value shown this way can
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
  /** Characters drawn like the quote {@link #whole} escapes: they could close the quotes around a value to the eye. */
  private static final String LOOK_ALIKE_QUOTES = "\u2018\u2019\u201b\u2032\u02bc\u02b9\uff07";

  private SafeText() {}

  /**
   * One untrusted value, escaped (backslashes too) and cut to {@link #MAX_VALUE_CHARS} with an
   * ellipsis and the original length ({@code abc… (250000 chars)}).
   */
  public static String value(String text) {
    Objects.requireNonNull(text, "text");
    return escape(text, MAX_VALUE_CHARS, true, false);
  }

  /**
   * One untrusted value escaped like {@link #value} but never cut: for text a person decides on
   * (an approval's target), where a cut would hide part of what is approved. Quotes are escaped too
   * ({@code \'}), a run of more than two spaces is shown as {@code \s{N}} and every other blank
   * (no-break, em and braille spaces) as its escape, so a value cannot close the quotes around it and
   * draw a harmless-looking rest of the line before the real one.
   */
  public static String whole(String text) {
    Objects.requireNonNull(text, "text");
    return escape(text, Integer.MAX_VALUE, true, true);
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
    return escape(message, MAX_LINE_CHARS, false, false);
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
  private static String escape(String text, int max, boolean escapeBackslash, boolean forPerson) {
    StringBuilder b = new StringBuilder(Math.min(text.length(), max) + 16);
    int i = 0;
    for (; i < text.length() && b.length() < max; i++) {
      char c = text.charAt(i);
      int spaces = forPerson && c == ' ' ? runOfSpaces(text, i) : 0;
      if (c == '\\' && escapeBackslash) {
        b.append("\\\\");
      } else if (c == '\'' && forPerson) {
        b.append("\\'");
      } else if (spaces > 2) {
        b.append("\\s{").append(spaces).append('}');
        i += spaces - 1;
      } else if (Character.isHighSurrogate(c) && needsEscape(text, i) && i + 1 < text.length()
          && Character.isLowSurrogate(text.charAt(i + 1))) {
        b.append(String.format("\\u{%x}", text.codePointAt(i))); // an invisible supplementary character (a tag)
        i++;
      } else if (needsEscape(text, i) || forPerson && (c == 0x2800 || c != ' ' && Character.getType(c) == Character.SPACE_SEPARATOR
          || LOOK_ALIKE_QUOTES.indexOf(c) >= 0)) {
        b.append(escapeOf(c)); // for a person, other blanks and quotes too: none passes for a space or a closing '
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

  private static int runOfSpaces(String text, int from) {
    int end = from;
    while (end < text.length() && text.charAt(end) == ' ') {
      end++;
    }
    return end - from;
  }

  private static boolean needsEscape(String text, int i) {
    char c = text.charAt(i);
    if (c < 0x20 || c >= 0x7f && c <= 0x9f) {
      return true;
    }
    if (Character.isHighSurrogate(c)) {
      // a pair is judged by its code point: tags (U+E0000-E007F) and variation selectors 17-256 are invisible
      return i + 1 >= text.length() || !Character.isLowSurrogate(text.charAt(i + 1))
          || invisible(text.codePointAt(i));
    }
    if (Character.isLowSurrogate(c)) {
      return i == 0 || !Character.isHighSurrogate(text.charAt(i - 1));
    }
    int type = Character.getType(c);
    return type == Character.LINE_SEPARATOR || type == Character.PARAGRAPH_SEPARATOR
        || type == Character.UNASSIGNED && c >= 0xfff0 || invisible(c);
  }

  /** Format characters (zero-width, bidi, tags), variation selectors and the Hangul fillers, which draw nothing. */
  private static boolean invisible(int codePoint) {
    return Character.getType(codePoint) == Character.FORMAT
        || codePoint >= 0xfe00 && codePoint <= 0xfe0f || codePoint >= 0xe0000 && codePoint <= 0xe0fff
        || codePoint == 0x034f || codePoint == 0x17b4 || codePoint == 0x17b5 || codePoint >= 0x180b && codePoint <= 0x180f
        || codePoint == 0x115f || codePoint == 0x1160 || codePoint == 0x3164 || codePoint == 0xffa0;
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
