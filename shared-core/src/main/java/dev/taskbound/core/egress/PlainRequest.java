package dev.taskbound.core.egress;

import java.nio.ByteBuffer;
import java.util.Locale;
import java.util.Set;

/**
 * What the gateway checks and rewrites in an absolute-form plain-HTTP request
 * ({@code GET http://host/path}) before it goes upstream: one {@code Host} naming the target, body
 * framing that cannot be read two ways, no hop-by-hop headers. Stateless.
 */
final class PlainRequest {
  /** Headers a proxy must not forward (RFC 9110 7.6.1), plus proxy credentials. */
  private static final Set<String> HOP_BY_HOP =
      Set.of("connection", "proxy-connection", "keep-alive", "proxy-authorization", "proxy-authenticate", "te", "trailer", "upgrade", "http2-settings", "host");
  /** Never dropped on a client's say-so in {@code Connection}: they frame the body. */
  private static final Set<String> FRAMING = Set.of("content-length", "transfer-encoding");

  /**
   * The number of body bytes to relay for a non-CONNECT request; {@code Long.MAX_VALUE} for chunked
   * (whose end {@link ChunkedBody} finds). One reading only (RFC 9112 6.1-6.3): exactly one
   * {@code Transfer-Encoding} whose value is {@code chunked} (case-insensitive, no list), never with
   * {@code Content-Length} nor in HTTP/1.0, and {@code Content-Length} values that are all the same
   * digits.
   *
   * @throws ProxyRequestException 400, recorded as {@link GatewayEvents#SMUGGLING}, for anything else
   */
  static long bodyLength(RequestHead head) throws ProxyRequestException {
    refuseUnderscoreLookalikes(head);
    var te = head.values("Transfer-Encoding");
    var cl = head.values("Content-Length");
    if (!te.isEmpty() && !cl.isEmpty()) {
      throw new ProxyRequestException(400, "both Transfer-Encoding and Content-Length are present", GatewayEvents.SMUGGLING);
    }
    if (!te.isEmpty()) {
      if (te.size() != 1 || !te.get(0).equalsIgnoreCase("chunked")) {
        throw new ProxyRequestException(400, "unsupported Transfer-Encoding '" + RequestHead.printable(String.join(", ", te))
            + "'; accepted: chunked", GatewayEvents.SMUGGLING);
      }
      if (head.version().equals("HTTP/1.0")) {
        throw new ProxyRequestException(400, "Transfer-Encoding in an HTTP/1.0 request; accepted: Content-Length",
            GatewayEvents.SMUGGLING);
      }
      return Long.MAX_VALUE;
    }
    if (cl.isEmpty()) {
      return 0;
    }
    String first = cl.get(0);
    for (String v : cl) {
      if (!v.equals(first) || v.isEmpty() || v.length() > 18 || !v.chars().allMatch(c -> c >= '0' && c <= '9')) {
        throw new ProxyRequestException(400, "invalid Content-Length '" + RequestHead.printable(String.join(", ", cl))
            + "'; accepted: one decimal number of at most 18 digits", GatewayEvents.SMUGGLING);
      }
    }
    return Long.parseLong(first);
  }

  /**
   * Some servers and CGI gateways read {@code _} in a header name as {@code -} (nginx with
   * {@code underscores_in_headers}, anything mapping headers to {@code HTTP_*} variables), so
   * {@code Transfer_Encoding} could frame the body there while we ignore it.
   */
  private static void refuseUnderscoreLookalikes(RequestHead head) throws ProxyRequestException {
    for (RequestHead.Header h : head.headers()) {
      if (h.name().indexOf('_') < 0) {
        continue;
      }
      String reads = readsAs(h.name());
      if (FRAMING.contains(reads) || HOP_BY_HOP.contains(reads)) {
        throw new ProxyRequestException(400, "header name '" + RequestHead.printable(h.name()) + "' reads as '" + reads
            + "' to servers that map '_' to '-'; accepted: the name with '-'", GatewayEvents.SMUGGLING);
      }
    }
  }

  /**
   * A header name as servers that map {@code _} to {@code -} and ignore case read it (lower case,
   * {@code _} read as {@code -}): {@code X_HTTP_Method_Override} reads as {@code x-http-method-override}.
   */
  static String readsAs(String name) {
    return name.replace('_', '-').toLowerCase(Locale.ROOT);
  }

  /**
   * Checks the body bytes that came with the head, before anything goes upstream.
   *
   * @param bodyLength as {@link #bodyLength} found it
   * @return for a chunked body that is not yet whole, what checks the rest as it streams; else {@code null}
   * @throws ProxyRequestException 400, recorded as {@link GatewayEvents#SMUGGLING}, if they break the
   *     framing or go on after the body ends
   */
  static ChunkedBody checkEarlyBody(RequestHead head, long bodyLength) throws ProxyRequestException {
    ByteBuffer early = head.rest();
    if (bodyLength != Long.MAX_VALUE) {
      if (early.remaining() > bodyLength) {
        throw new ProxyRequestException(400, (early.remaining() - bodyLength) + " bytes after the body of " + bodyLength
            + " bytes (Content-Length); the gateway relays one request per connection", GatewayEvents.SMUGGLING);
      }
      return null;
    }
    ChunkedBody body = new ChunkedBody();
    body.check(early);
    return body.complete() ? null : body;
  }

  static String forwardedHead(RequestHead head, ProxyTarget target) {
    var dropped = head.connectionTokens();
    StringBuilder sb = new StringBuilder();
    sb.append(head.method()).append(' ').append(target.originForm()).append(' ').append(head.version()).append("\r\n");
    sb.append("Host: ").append(target.authority()).append("\r\n");
    for (RequestHead.Header h : head.headers()) {
      String name = h.name().toLowerCase(Locale.ROOT);
      if (HOP_BY_HOP.contains(name) || dropped.contains(name) && !FRAMING.contains(name)) {
        continue;
      }
      sb.append(h.name()).append(": ").append(h.value()).append("\r\n");
    }
    sb.append("Connection: close\r\n\r\n");
    return sb.toString();
  }

  /**
   * Absolute-form requests: every {@code Host} header must name the request target (same canonical
   * host and port), so an origin that routes by {@code Host} cannot be sent somewhere the rules
   * did not decide.
   */
  static void checkHost(RequestHead head, EgressDecision decision) throws ProxyRequestException {
    var hosts = head.values("Host");
    if (hosts.size() > 1) {
      throw new ProxyRequestException(400, "the Host header appears " + hosts.size() + " times; accepted: one");
    }
    if (hosts.isEmpty()) {
      return;
    }
    String value = hosts.get(0).strip();
    boolean ok;
    try {
      ProxyTarget t = ProxyTarget.parse("GET", "http://" + value + "/");
      ok = RuleSet.canonicalHost(t.host()).equals(decision.host()) && t.port() == decision.port();
    } catch (ProxyRequestException | EgressRuleException e) {
      ok = false;
    }
    if (!ok) {
      throw new ProxyRequestException(400, "the Host header '" + RequestHead.printable(value)
          + "' does not match the request target " + ProxyConnection.hostPort(decision) + "; accepted: the target's host[:port]");
    }
  }

  private PlainRequest() {}
}
