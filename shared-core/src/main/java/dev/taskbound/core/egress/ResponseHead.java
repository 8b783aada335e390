package dev.taskbound.core.egress;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The status line and headers of an upstream's response on an inspected connection, read only to
 * find where the response ends (RFC 9112 section 6.3); the bytes go to the agent as received.
 */
record ResponseHead(int status, String version, List<RequestHead.Header> headers) {
  /**
   * @throws ProxyRequestException 502 when the head is not an HTTP/1.x response
   */
  static ResponseHead parse(byte[] bytes, int length) throws ProxyRequestException {
    String text = new String(bytes, 0, length, StandardCharsets.ISO_8859_1);
    String[] lines = text.split("\r\n", -1);
    String[] status = lines[0].split(" ", 3);
    if (status.length < 2 || !(status[0].equals("HTTP/1.1") || status[0].equals("HTTP/1.0"))
        || !status[1].matches("[1-5][0-9][0-9]")) {
      throw new ProxyRequestException(502, "the upstream's answer is not an HTTP/1.1 response");
    }
    List<RequestHead.Header> headers = new ArrayList<>();
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      if (colon <= 0 || lines[i].startsWith(" ") || lines[i].startsWith("\t")) {
        throw new ProxyRequestException(502, "the upstream's response has a malformed header line");
      }
      headers.add(new RequestHead.Header(lines[i].substring(0, colon), lines[i].substring(colon + 1).strip()));
    }
    return new ResponseHead(Integer.parseInt(status[1]), status[0], headers);
  }

  List<String> values(String name) {
    List<String> out = new ArrayList<>();
    for (RequestHead.Header h : headers) {
      if (h.name().equalsIgnoreCase(name)) {
        out.add(h.value());
      }
    }
    return out;
  }

  boolean chunked() {
    List<String> te = values("Transfer-Encoding");
    return !te.isEmpty() && te.get(te.size() - 1).toLowerCase(Locale.ROOT).strip().endsWith("chunked");
  }

  /** The Content-Length, or -1 when absent. */
  long contentLength() throws ProxyRequestException {
    List<String> cl = values("Content-Length");
    if (cl.isEmpty()) {
      return -1;
    }
    String first = cl.get(0);
    for (String v : cl) {
      if (!v.equals(first) || v.isEmpty() || v.length() > 18 || !v.chars().allMatch(c -> c >= '0' && c <= '9')) {
        throw new ProxyRequestException(502, "the upstream's response has an invalid Content-Length");
      }
    }
    return Long.parseLong(first);
  }

  boolean closes() {
    for (String v : values("Connection")) {
      for (String t : v.split(",")) {
        if (t.strip().equalsIgnoreCase("close")) {
          return true;
        }
      }
    }
    return version.equals("HTTP/1.0");
  }
}
