package dev.taskbound.core.egress;

import java.io.ByteArrayOutputStream;

/**
 * The data of the complete chunks at the start of a chunked body, for reading the first bytes of a
 * body whose framing {@link ChunkedBody} checks separately. Stateless.
 */
final class Dechunk {
  private Dechunk() {}

  /** The data of every whole chunk in {@code raw}; stops at the first incomplete one or the last chunk. */
  static byte[] prefix(byte[] raw) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int i = 0;
    while (true) {
      int eol = indexOfCrlf(raw, i);
      if (eol < 0) {
        return out.toByteArray();
      }
      String line = new String(raw, i, eol - i, java.nio.charset.StandardCharsets.ISO_8859_1);
      int semi = line.indexOf(';');
      String size = (semi < 0 ? line : line.substring(0, semi)).strip();
      long n;
      try {
        n = Long.parseLong(size, 16);
      } catch (NumberFormatException e) {
        return out.toByteArray(); // ChunkedBody refuses it
      }
      if (n == 0 || n > raw.length) {
        return out.toByteArray();
      }
      int start = eol + 2;
      if (start + n + 2 > raw.length) {
        out.write(raw, start, Math.max(0, raw.length - start)); // a partial chunk still helps
        return out.toByteArray();
      }
      out.write(raw, start, (int) n);
      i = start + (int) n + 2;
    }
  }

  /**
   * Whether a whole chunked body has trailer fields after its last chunk (anything but the final
   * CRLF); false when the last chunk is not in {@code raw}.
   */
  static boolean hasTrailers(byte[] raw) {
    int i = 0;
    while (true) {
      int eol = indexOfCrlf(raw, i);
      if (eol < 0) {
        return false;
      }
      String line = new String(raw, i, eol - i, java.nio.charset.StandardCharsets.ISO_8859_1);
      int semi = line.indexOf(';');
      long n;
      try {
        n = Long.parseLong((semi < 0 ? line : line.substring(0, semi)).strip(), 16);
      } catch (NumberFormatException e) {
        return false; // ChunkedBody refuses it
      }
      if (n == 0) {
        return raw.length - (eol + 2) != 2 || raw[eol + 2] != '\r' || raw[eol + 3] != '\n';
      }
      if (n > raw.length - eol) {
        return false;
      }
      i = eol + 2 + (int) n + 2;
    }
  }

  private static int indexOfCrlf(byte[] a, int from) {
    for (int k = from; k + 1 < a.length; k++) {
      if (a[k] == '\r' && a[k + 1] == '\n') {
        return k;
      }
    }
    return -1;
  }
}
