package dev.taskbound.core.gate;

/**
 * The backslash escapes of bash's {@code $'...'} quoting, decoded as bash decodes them, so the
 * gate reads {@code $'\x70ush'} as the {@code push} bash runs (review finding). Stateless.
 */
final class AnsiCEscapes {
  private AnsiCEscapes() {}

  /**
   * Decodes the escape starting at the backslash {@code text[at]} into {@code out}.
   *
   * @return the index of the escape's last character
   */
  static int decode(String text, int at, StringBuilder out) {
    char e = text.charAt(at + 1);
    switch (e) {
      case 'a' -> out.append('\u0007');
      case 'b' -> out.append('\b');
      case 'e', 'E' -> out.append('\u001b');
      case 'f' -> out.append('\f');
      case 'n' -> out.append('\n');
      case 'r' -> out.append('\r');
      case 't' -> out.append('\t');
      case 'v' -> out.append('\u000b');
      case '\\', '\'', '"', '?' -> out.append(e);
      case 'x' -> {
        return number(text, at + 2, 2, 16, out, at + 1);
      }
      case 'u' -> {
        return number(text, at + 2, 4, 16, out, at + 1);
      }
      case 'U' -> {
        return number(text, at + 2, 8, 16, out, at + 1);
      }
      case 'c' -> {
        // \c before the closing quote stays "\c"; \c\\ takes both backslashes; \c? is DEL (bash)
        if (at + 2 >= text.length() || text.charAt(at + 2) == '\'') {
          out.append("\\c");
          return at + 1;
        }
        char x = text.charAt(at + 2);
        out.append(x == '?' ? '\u007f' : (char) (x & 0x1f));
        return x == '\\' && at + 3 < text.length() && text.charAt(at + 3) == '\\' ? at + 3 : at + 2;
      }
      default -> {
        if (e >= '0' && e <= '7') {
          return number(text, at + 1, 3, 8, out, at);
        }
        out.append('\\').append(e); // bash keeps an unknown escape as written
      }
    }
    return at + 1;
  }

  /** Up to {@code max} digits of {@code radix} from {@code from}; none: the escape as written. */
  private static int number(String text, int from, int max, int radix, StringBuilder out, int lastIfNone) {
    int end = from;
    while (end < text.length() && end - from < max && Character.digit(text.charAt(end), radix) >= 0) {
      end++;
    }
    if (end == from) {
      out.append(text, lastIfNone - 1, lastIfNone + 1); // "\x" without digits stays "\x"
      return lastIfNone;
    }
    long code = Long.parseLong(text.substring(from, end), radix); // \UFFFFFFFF overflows an int
    out.appendCodePoint(radix == 8 ? (int) (code & 0xff) : Character.isValidCodePoint((int) code) && code <= Character.MAX_CODE_POINT
        ? (int) code : '?');
    return end - 1;
  }
}
