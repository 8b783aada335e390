package dev.taskbound.core.egress;

import java.util.Locale;

/**
 * Where a proxy request goes: the host and port (not yet canonicalised: {@link RuleSet#decide}
 * does that), the authority to send as {@code Host}, and for absolute-form requests the
 * origin-form target to forward.
 */
record ProxyTarget(String host, int port, String authority, String originForm) {
  private static final int HTTP_PORT = 80;

  /**
   * Parses the target of a request line.
   *
   * @throws ProxyRequestException 400 with the reason when the target is not authority-form for
   *     CONNECT, or not an absolute {@code http://} URI otherwise
   */
  static ProxyTarget parse(String method, String target) throws ProxyRequestException {
    if (method.equals("CONNECT")) {
      return authority(target, target, true, -1, "");
    }
    String lower = target.toLowerCase(Locale.ROOT);
    if (lower.startsWith("https://")) {
      throw new ProxyRequestException(
          400, "https:// targets must be tunnelled with CONNECT (set HTTPS_PROXY, not just HTTP_PROXY)");
    }
    if (target.startsWith("/")) {
      throw new ProxyRequestException(
          400, "this is a proxy: send absolute-form requests ('GET http://host/path') or CONNECT host:port");
    }
    if (!lower.startsWith("http://")) {
      throw new ProxyRequestException(
          400, "unsupported request target '" + RequestHead.printable(target) + "'; accepted: http://host[:port]/path, or CONNECT host:port");
    }
    String afterScheme = target.substring("http://".length());
    int end = afterScheme.length();
    for (char c : new char[] {'/', '?', '#'}) {
      int i = afterScheme.indexOf(c);
      if (i >= 0 && i < end) {
        end = i;
      }
    }
    String auth = afterScheme.substring(0, end);
    String path = afterScheme.substring(end);
    int hash = path.indexOf('#');
    if (hash >= 0) {
      path = path.substring(0, hash);
    }
    if (!path.startsWith("/")) {
      path = "/" + path;
    }
    return authority(target, auth, false, HTTP_PORT, path);
  }

  private static ProxyTarget authority(String target, String auth, boolean portRequired, int defaultPort, String path)
      throws ProxyRequestException {
    if (auth.isEmpty()) {
      throw new ProxyRequestException(400, "the request target '" + RequestHead.printable(target) + "' has no host");
    }
    if (auth.contains("@")) {
      throw new ProxyRequestException(400, "user information in the request target is not accepted");
    }
    String host;
    String portText = null;
    if (auth.startsWith("[")) {
      int close = auth.indexOf(']');
      if (close < 0) {
        throw new ProxyRequestException(400, "missing ']' in '" + RequestHead.printable(auth) + "'");
      }
      host = auth.substring(0, close + 1);
      String after = auth.substring(close + 1);
      if (after.startsWith(":")) {
        portText = after.substring(1);
      } else if (!after.isEmpty()) {
        throw new ProxyRequestException(400, "unexpected '" + RequestHead.printable(after) + "' after ']'");
      }
    } else {
      int colon = auth.indexOf(':');
      if (colon != auth.lastIndexOf(':')) {
        throw new ProxyRequestException(400, "write IPv6 addresses in brackets, as in [2001:db8::1]:443");
      }
      host = colon < 0 ? auth : auth.substring(0, colon);
      portText = colon < 0 ? null : auth.substring(colon + 1);
    }
    int port;
    if (portText == null) {
      if (portRequired) {
        throw new ProxyRequestException(400, "CONNECT needs host:port, got '" + RequestHead.printable(auth) + "'");
      }
      port = defaultPort;
    } else {
      port = parsePort(portText);
    }
    return new ProxyTarget(host, port, auth, path);
  }

  private static int parsePort(String text) throws ProxyRequestException {
    if (text.isEmpty() || text.length() > 5 || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw new ProxyRequestException(400, "port '" + RequestHead.printable(text) + "' is not a number; accepted: 1-65535");
    }
    int port = Integer.parseInt(text);
    if (port < 1 || port > 65535) {
      throw new ProxyRequestException(400, "port " + port + " is out of range; accepted: 1-65535");
    }
    return port;
  }
}
