package dev.taskbound.core.cli;

import dev.taskbound.core.broker.SecretMasker;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Masks a terminal's output as it comes, without waiting for line ends (a full-screen program
 * draws without them): each chunk is passed on masked at once, except its end when that end could
 * still become a secret (a prefix of a secret value, the start of a GitHub token) or cuts a secret
 * or a UTF-8 character in two; that end waits for the next chunk. What waits is never more than
 * {@value #MAX_HELD} characters (then it is passed on, masked, as it is). Not thread-safe.
 */
final class StreamMask {
  static final int MAX_HELD = 1 << 16;

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
    int cut = text.length() > MAX_HELD ? text.length() : masker.safeCut(text);
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
