package dev.taskbound.core.cli;

import dev.taskbound.core.broker.SecretMasker;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Masks a terminal's output as it comes, without waiting for line ends (a full-screen program
 * draws without them): each chunk is passed on masked at once, except its end when that end could
 * still become a secret (a prefix of a secret value, the start of a GitHub token) or cuts a secret
 * or a UTF-8 character in two; that end waits for the next chunk. What waits is never more than
 * {@value #MAX_HELD} characters (then it is passed on, masked, as it is). Not thread-safe.
 */
final class StreamMask {
  static final int MAX_HELD = 1 << 16;

  /** The end of a text that may still grow into a token {@link SecretMasker} masks by its form. */
  private static final Pattern TOKEN_START = Pattern.compile(
      "(?:g|gh|gh[pousr]|gh[pousr]_[A-Za-z0-9]*|ghs_[A-Za-z0-9._]*|gi|git|gith|githu|github|github_|github_p|github_pa"
          + "|github_pat|github_pat_[A-Za-z0-9_]*)$");

  /** Every token form {@link SecretMasker} masks, so that none is cut where this passes text on. */
  private static final Pattern TOKENS =
      Pattern.compile("ghs_[A-Za-z0-9._]{36,}|gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,}");

  private final StringBuilder held = new StringBuilder();
  private final ByteArrayOutputStream partial = new ByteArrayOutputStream();

  /** What of {@code held + bytes} can be shown now, masked by {@code masker}. */
  String next(byte[] bytes, int length, SecretMasker masker) {
    partial.write(bytes, 0, length);
    byte[] all = partial.toByteArray();
    int complete = completeUtf8(all);
    partial.reset();
    partial.write(all, complete, all.length - complete);
    held.append(new String(all, 0, complete, StandardCharsets.UTF_8));
    String text = held.toString();
    int cut = text.length() > MAX_HELD ? text.length() : safeCut(text, masker);
    held.setLength(0);
    held.append(text, cut, text.length());
    return masker.mask(text.substring(0, cut));
  }

  /** What still waits, masked: the stream has ended. */
  String rest(SecretMasker masker) {
    String text = held + new String(partial.toByteArray(), StandardCharsets.UTF_8);
    held.setLength(0);
    partial.reset();
    return masker.mask(text);
  }

  /** Where {@code text} can be cut: no secret or token across the cut, and none that could still start after it. */
  static int safeCut(String text, SecretMasker masker) {
    int cut = text.length();
    for (String value : masker.values()) {
      for (int l = Math.min(value.length() - 1, text.length()); l > 0; l--) {
        if (text.endsWith(value.substring(0, l))) {
          cut = Math.min(cut, text.length() - l);
          break;
        }
      }
    }
    Matcher start = TOKEN_START.matcher(text);
    if (start.find()) {
      cut = Math.min(cut, start.start());
    }
    boolean moved = true;
    while (moved) { // a whole secret or token across the cut moves it to the secret's start
      moved = false;
      for (String value : masker.values()) {
        int from = Math.max(0, cut - value.length() + 1);
        int at = text.indexOf(value, from);
        if (at >= 0 && at < cut && at + value.length() > cut) {
          cut = at;
          moved = true;
        }
      }
      Matcher m = TOKENS.matcher(text);
      while (m.find()) {
        if (m.start() < cut && m.end() > cut) {
          cut = m.start();
          moved = true;
        }
      }
    }
    return cut;
  }

  /** How many of {@code bytes} end on a whole UTF-8 character (a cut one waits). */
  static int completeUtf8(byte[] bytes) {
    int n = bytes.length;
    for (int back = 1; back <= Math.min(3, n); back++) {
      int b = bytes[n - back] & 0xff;
      if ((b & 0xc0) == 0x80) {
        continue; // a continuation byte: look further back for its lead
      }
      int needed = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
      return needed > back ? n - back : n;
    }
    return n;
  }
}
