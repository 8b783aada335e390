package dev.taskbound.core.policy;

import dev.taskbound.core.SafeText;
import java.time.Duration;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Go-style durations as written in policies and on the command line: one or more of {@code <n>h},
 * {@code <n>m}, {@code <n>s} in that order, each with a whole number ({@code 90s}, {@code 15m},
 * {@code 1h30m}). Fractions, negative values and other units are refused. Stateless, thread-safe.
 */
public final class DurationFormat {
  /** The accepted forms, for error messages. */
  public static final String ACCEPTED = "Go-style durations such as 90s, 15m, 1h30m (units h, m, s; whole numbers)";

  private static final Pattern FORM = Pattern.compile("(?:(\\d{1,6})h)?(?:(\\d{1,8})m)?(?:(\\d{1,9})s)?");

  private DurationFormat() {}

  /**
   * Parses a positive duration.
   *
   * @throws PolicyException if the text is not of the accepted form, or is zero; the message quotes
   *     it and lists the accepted forms (callers prefix the location)
   */
  public static Duration parse(String text) {
    Objects.requireNonNull(text, "text");
    Matcher m = FORM.matcher(text);
    if (text.isEmpty() || !m.matches()) {
      throw new PolicyException(SafeText.quoted(text) + " is not a duration; accepted: " + ACCEPTED);
    }
    Duration d = Duration.ofHours(group(m, 1)).plusMinutes(group(m, 2)).plusSeconds(group(m, 3));
    if (d.isZero()) {
      throw new PolicyException(SafeText.quoted(text) + " is zero; accepted: a positive duration, " + ACCEPTED);
    }
    return d;
  }

  private static long group(Matcher m, int i) {
    return m.group(i) == null ? 0 : Long.parseLong(m.group(i));
  }

  /** The canonical spelling: {@code 1h30m}, {@code 90s} becomes {@code 1m30s}; sub-second parts are dropped. */
  public static String format(Duration d) {
    long s = d.getSeconds();
    if (s == 0) {
      return "0s";
    }
    StringBuilder b = new StringBuilder();
    if (s >= 3600) {
      b.append(s / 3600).append('h');
    }
    if (s % 3600 >= 60) {
      b.append(s % 3600 / 60).append('m');
    }
    if (s % 60 > 0) {
      b.append(s % 60).append('s');
    }
    return b.toString();
  }
}
