package dev.taskbound.core.egress;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The request line and headers of one HTTP/1.x request as a proxy receives it, parsed strictly
 * (RFC 9112): CRLF line ends only, no folded headers, token-only methods and header names, a
 * request target of printable ASCII, and no control characters (NUL, CR, LF, VT, ...; tab only
 * inside header values) anywhere. Bytes that arrived after the head are kept in {@link #rest()}.
 * Parsing takes time linear in the head's length, however it arrives.
 */
final class RequestHead {
  /** One header as received. */
  record Header(String name, String value) {}

  private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
  private static final byte[] END = {'\r', '\n', '\r', '\n'};

  private final String method;
  private final String target;
  private final String version;
  private final List<Header> headers;
  private final ByteBuffer rest;

  private RequestHead(String method, String target, String version, List<Header> headers, ByteBuffer rest) {
    this.method = method;
    this.target = target;
    this.version = version;
    this.headers = List.copyOf(headers);
    this.rest = rest;
  }

  /**
   * Looks for a whole request head at the start of what {@code buf} holds (its bytes up to its
   * position, as a channel read left them), so a head can be read a little at a time.
   *
   * @param scanned how many of those bytes an earlier call already searched without finding the end
   * @return the head, with the bytes after it in {@link #rest()}, or {@code null} if it is not yet complete
   * @throws ProxyRequestException 400 if the head is malformed
   */
  static RequestHead find(ByteBuffer buf, int scanned) throws ProxyRequestException {
    int end = indexOfEnd(buf.array(), Math.max(0, scanned - 3), buf.position());
    if (end < 0) {
      return null;
    }
    String head = new String(buf.array(), 0, end, StandardCharsets.ISO_8859_1);
    byte[] rest = java.util.Arrays.copyOfRange(buf.array(), end + END.length, buf.position());
    return parse(head, ByteBuffer.wrap(rest));
  }

  private static int indexOfEnd(byte[] a, int from, int to) {
    outer:
    for (int i = from; i <= to - END.length; i++) {
      for (int j = 0; j < END.length; j++) {
        if (a[i + j] != END[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  static RequestHead parse(String head, ByteBuffer rest) throws ProxyRequestException {
    String[] lines = head.split("\r\n", -1);
    for (String line : lines) {
      if (line.indexOf('\n') >= 0 || line.indexOf('\r') >= 0) {
        throw new ProxyRequestException(400, "the request head has a bare CR or LF; lines must end with CRLF", GatewayEvents.MALFORMED);
      }
    }
    for (int i = 0; i < lines.length; i++) {
      checkControlCharacters(lines[i], i);
    }
    String[] parts = lines[0].split(" ", -1);
    if (parts.length != 3) {
      throw new ProxyRequestException(400, "malformed request line '" + printable(lines[0]) + "'; expected 'METHOD target HTTP/1.1'",
          GatewayEvents.MALFORMED, "malformed request line (" + parts.length + " parts); expected 'METHOD target HTTP/1.1'");
    }
    if (!TOKEN.matcher(parts[0]).matches()) {
      throw new ProxyRequestException(400, "malformed method '" + printable(parts[0]) + "'", GatewayEvents.MALFORMED);
    }
    if (!parts[2].equals("HTTP/1.1") && !parts[2].equals("HTTP/1.0")) {
      throw new ProxyRequestException(400, "unsupported protocol '" + printable(parts[2]) + "'; accepted: HTTP/1.1, HTTP/1.0", GatewayEvents.MALFORMED);
    }
    if (parts[1].isEmpty()) {
      throw new ProxyRequestException(400, "empty request target", GatewayEvents.MALFORMED);
    }
    for (int i = 0; i < parts[1].length(); i++) {
      char c = parts[1].charAt(i);
      if (c <= 0x20 || c >= 0x7f) {
        String what = "byte " + hex(c) + " at position " + i + " of the request target";
        String accepted = "; accepted: printable ASCII (percent-encode the rest)";
        throw new ProxyRequestException(400, what + " '" + printable(parts[1]) + "'" + accepted, GatewayEvents.MALFORMED, what + accepted);
      }
    }
    List<Header> headers = new ArrayList<>();
    for (int i = 1; i < lines.length; i++) {
      String line = lines[i];
      int colon = line.indexOf(':');
      if (line.startsWith(" ") || line.startsWith("\t")) {
        throw new ProxyRequestException(400, "folded header lines are not accepted", GatewayEvents.MALFORMED);
      }
      if (colon <= 0 || !TOKEN.matcher(line.substring(0, colon)).matches()) {
        throw new ProxyRequestException(400, "malformed header line '" + printable(line) + "'; expected 'Name: value'",
            GatewayEvents.MALFORMED, "malformed header line " + i + "; expected 'Name: value'");
      }
      headers.add(new Header(line.substring(0, colon), trimOws(line.substring(colon + 1))));
    }
    return new RequestHead(parts[0], parts[1], parts[2], headers, rest);
  }

  /**
   * Control characters (RFC 5234 CTL, NUL included) are refused wherever they are: a recipient
   * that drops or folds them would read the request differently from us. Tab is allowed in header
   * values only. CR and LF were split on already.
   */
  private static void checkControlCharacters(String line, int index) throws ProxyRequestException {
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (c < 0x20 && !(c == '\t' && index > 0) || c == 0x7f) {
        String what = "control character " + hex(c) + " at position " + i + " of " + (index == 0 ? "the request line" : "header line " + index);
        String accepted = "; accepted: none (tab only inside header values)";
        throw new ProxyRequestException(400, what + " '" + printable(line) + "'" + accepted, GatewayEvents.MALFORMED, what + accepted);
      }
    }
  }

  /** Optional whitespace is spaces and tabs only (RFC 9110 5.6.3); {@link String#strip} would also take VT, FF and more. */
  private static String trimOws(String s) {
    int from = 0;
    int to = s.length();
    while (from < to && (s.charAt(from) == ' ' || s.charAt(from) == '\t')) {
      from++;
    }
    while (to > from && (s.charAt(to - 1) == ' ' || s.charAt(to - 1) == '\t')) {
      to--;
    }
    return s.substring(from, to);
  }

  private static String hex(char c) {
    return String.format(Locale.ROOT, "0x%02x", (int) c);
  }

  /** At most 100 characters, control characters replaced, for error messages. */
  static String printable(String s) {
    String t = s.length() > 100 ? s.substring(0, 100) + "..." : s;
    return t.replaceAll("[\\x00-\\x1f\\x7f-\\xff]", "?");
  }

  String method() {
    return method;
  }

  String target() {
    return target;
  }

  String version() {
    return version;
  }

  List<Header> headers() {
    return headers;
  }

  /** Every value of a header, by case-insensitive name. */
  List<String> values(String name) {
    List<String> out = new ArrayList<>();
    for (Header h : headers) {
      if (h.name().equalsIgnoreCase(name)) {
        out.add(h.value());
      }
    }
    return out;
  }

  /** The tokens listed in {@code Connection} headers, lower case. */
  List<String> connectionTokens() {
    List<String> out = new ArrayList<>();
    for (String v : values("Connection")) {
      for (String t : v.split(",")) {
        if (!t.isBlank()) {
          out.add(t.strip().toLowerCase(Locale.ROOT));
        }
      }
    }
    return out;
  }

  /** Bytes the client sent after the head (start of a body or tunnel data); read-only view. */
  ByteBuffer rest() {
    return rest.asReadOnlyBuffer();
  }
}
