package dev.taskbound.core.identity;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The id of an approved task, used as one path segment of the SPIFFE ID: 1 to 128 characters of
 * {@code A-Z a-z 0-9 . _ -}, not {@code .} or {@code ..}. Case is kept. Immutable, compares by
 * value; {@link #toString()} returns the value.
 */
public record TaskId(String value) {
  static final int MAX_LENGTH = 128;
  private static final Pattern CHARS = Pattern.compile("[A-Za-z0-9._-]+");

  /**
   * Validates like {@link #parse}.
   *
   * @throws IdentityInputException as {@link #parse} does
   */
  public TaskId {
    check(value);
  }

  /**
   * Parses a task id. No trimming or case folding: what is given is what the identity names.
   *
   * @throws IdentityInputException if the text is empty, longer than 128 characters, {@code .} or
   *     {@code ..}, or holds a character outside {@code A-Z a-z 0-9 . _ -}
   * @throws NullPointerException if {@code text} is null
   */
  public static TaskId parse(String text) {
    return new TaskId(text);
  }

  private static void check(String text) {
    Objects.requireNonNull(text, "text");
    if (text.isEmpty()) {
      throw new IdentityInputException("task id is empty; " + accepted());
    }
    if (text.length() > MAX_LENGTH) {
      throw new IdentityInputException(
          "task id '" + abbreviate(text) + "' is " + text.length() + " characters long; " + accepted());
    }
    if (text.equals(".") || text.equals("..")) {
      throw new IdentityInputException("task id '" + text + "' is a relative path segment; " + accepted());
    }
    if (!CHARS.matcher(text).matches()) {
      int bad = firstOutside(text);
      throw new IdentityInputException(
          "task id '"
              + text
              + "' has character "
              + describe(text.codePointAt(bad))
              + " at position "
              + (bad + 1)
              + "; "
              + accepted());
    }
  }

  @Override
  public String toString() {
    return value;
  }

  private static String accepted() {
    return "accepted: 1 to " + MAX_LENGTH + " characters of A-Z a-z 0-9 . _ -, not '.' or '..'";
  }

  static int firstOutside(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      boolean ok =
          (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
      if (!ok) {
        return i;
      }
    }
    return -1;
  }

  /** Quotes a printable character, or names an invisible one by its code point. */
  static String describe(int codePoint) {
    if (codePoint > 0x20 && codePoint < 0x7f) {
      return "'" + (char) codePoint + "'";
    }
    return String.format("U+%04X", codePoint);
  }

  static String abbreviate(String text) {
    return text.length() <= 40 ? text : text.substring(0, 40) + "...";
  }
}
