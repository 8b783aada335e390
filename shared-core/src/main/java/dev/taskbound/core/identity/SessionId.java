package dev.taskbound.core.identity;

import java.security.SecureRandom;
import java.time.Clock;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The id of one session: 20 characters of lowercase Crockford base32 ({@code 0-9 a-z} without
 * {@code i l o u}). The first 10 characters encode the creation time in milliseconds since the
 * epoch (so ids sort by creation time, like a ULID), the last 10 carry 50 random bits from {@link
 * SecureRandom}. Immutable, compares by value; {@link #toString()} returns the value.
 */
public record SessionId(String value) {
  static final int LENGTH = 20;
  private static final String ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";
  private static final Pattern FORM = Pattern.compile("[0-9a-hjkmnp-tv-z]{" + LENGTH + "}");

  /**
   * Validates like {@link #parse}.
   *
   * @throws IdentityInputException as {@link #parse} does
   */
  public SessionId {
    Objects.requireNonNull(value, "value");
    if (!FORM.matcher(value).matches()) {
      throw new IdentityInputException(
          "session id '"
              + TaskId.abbreviate(value)
              + "' is not accepted; expected "
              + LENGTH
              + " characters of 0-9 a-z without i l o u");
    }
  }

  /** A new id with the current system time as prefix. Thread-safe. */
  public static SessionId random() {
    return random(Clock.systemUTC(), new SecureRandom());
  }

  /** A new id whose time prefix comes from {@code clock}; the random part from {@code random}. */
  public static SessionId random(Clock clock, SecureRandom random) {
    long millis = clock.millis();
    long bits = random.nextLong();
    char[] out = new char[LENGTH];
    for (int i = 9; i >= 0; i--) {
      out[i] = ALPHABET.charAt((int) (millis & 31));
      millis >>>= 5;
    }
    for (int i = 19; i >= 10; i--) {
      out[i] = ALPHABET.charAt((int) (bits & 31));
      bits >>>= 5;
    }
    return new SessionId(new String(out));
  }

  /**
   * Parses a session id as produced by {@link #random()}.
   *
   * @throws IdentityInputException if the text is not exactly 20 characters of lowercase Crockford
   *     base32
   * @throws NullPointerException if {@code text} is null
   */
  public static SessionId parse(String text) {
    return new SessionId(text);
  }

  @Override
  public String toString() {
    return value;
  }
}
