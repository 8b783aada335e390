package dev.taskbound.core.egress;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A second, deliberately plain reading of RFC 9112 section 7.1 with the gateway's limits, for the
 * fuzz tests to hold {@link ChunkedBody} against: it takes a whole body at once, cuts it into lines
 * at CRLF and matches each line with the grammar's regular expression. Slow and simple; test only.
 */
final class ReferenceChunkedDecoder {
  private static final String TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
  private static final String QUOTED = "\"(?:[\\t \\x21\\x23-\\x5b\\x5d-\\x7e\\x80-\\xff]|\\\\[\\t \\x21-\\x7e\\x80-\\xff])*\"";
  /** chunk-size [ chunk-ext ], RFC 9112 7.1.1: *( BWS ";" BWS name [ BWS "=" BWS value ] ). */
  private static final Pattern SIZE_LINE = Pattern.compile(
      "([0-9A-Fa-f]{1,16})((?:[ \\t]*;[ \\t]*" + TOKEN + "(?:[ \\t]*=[ \\t]*(?:" + TOKEN + "|" + QUOTED + "))?)*)");
  /** field-line, RFC 9112 5: name ":" OWS value OWS, the value without control characters but tab. */
  private static final Pattern FIELD_LINE = Pattern.compile("(" + TOKEN + "):[^\\x00-\\x08\\x0a-\\x1f\\x7f]*");
  private static final Set<String> NOT_IN_TRAILERS = Set.of(
      "content-length", "transfer-encoding", "host", "connection", "trailer", "te", "upgrade", "keep-alive",
      "proxy-connection", "proxy-authorization", "authorization", "content-type", "content-encoding", "content-range",
      "expect");

  private ReferenceChunkedDecoder() {}

  /** The data of a whole, valid body that ends exactly at the input's end; empty for anything else. */
  static Optional<byte[]> decode(byte[] body) {
    String s = new String(body, StandardCharsets.ISO_8859_1);
    ByteArrayOutputStream data = new ByteArrayOutputStream();
    int pos = 0;
    while (true) {
      int crlf = s.indexOf("\r\n", pos);
      if (crlf < 0 || crlf + 2 - pos > ChunkedBody.MAX_LINE_BYTES) {
        return Optional.empty();
      }
      var m = SIZE_LINE.matcher(s.substring(pos, crlf));
      if (!m.matches()) {
        return Optional.empty();
      }
      BigInteger size = new BigInteger(m.group(1), 16);
      if (size.bitLength() > 63) {
        return Optional.empty();
      }
      pos = crlf + 2;
      if (size.signum() == 0) {
        break;
      }
      long n = size.longValueExact();
      if (n > s.length() - pos - 2L || !s.startsWith("\r\n", pos + (int) n)) {
        return Optional.empty();
      }
      data.write(body, pos, (int) n);
      pos += (int) n + 2;
    }
    int trailers = pos;
    while (!s.startsWith("\r\n", pos)) {
      int crlf = s.indexOf("\r\n", pos);
      if (crlf < 0) {
        return Optional.empty();
      }
      var m = FIELD_LINE.matcher(s.substring(pos, crlf));
      if (!m.matches() || NOT_IN_TRAILERS.contains(m.group(1).toLowerCase(Locale.ROOT))) {
        return Optional.empty();
      }
      pos = crlf + 2;
    }
    pos += 2;
    if (pos - trailers > ChunkedBody.MAX_TRAILER_BYTES || pos != s.length()) {
      return Optional.empty();
    }
    return Optional.of(data.toByteArray());
  }
}
