package dev.taskbound.core.egress;

/**
 * Receives what the {@link Gateway} does that is not a rule decision: a limit hit, a protocol
 * check failed, the gateway itself failed. Called on gateway threads, possibly many at once:
 * implementations must be thread-safe, quick, and must not throw (a thrown exception is ignored).
 * The session writes these to the evidence log.
 */
@FunctionalInterface
public interface GatewayEvents {
  /** Records nothing. */
  GatewayEvents NONE = (type, host, port, detail) -> {};

  /** Event types, as they appear in the evidence. */
  String SNI_MISMATCH = "egress.denied.sni-mismatch";
  String HOST_MISMATCH = "egress.denied.host-mismatch";
  /**
   * Body framing that could be read two ways: Transfer-Encoding with Content-Length, a coding other
   * than exactly {@code chunked}, differing Content-Lengths, a malformed chunked body, bytes after the body.
   */
  String SMUGGLING = "egress.denied.smuggling";
  /**
   * A request head that can be read only one way and is not: a control character (NUL, VT, ...), a
   * request target that is not printable ASCII, a bare CR or LF, a folded or malformed header line.
   */
  String MALFORMED = "egress.denied.malformed";
  String HEADER_TOO_LARGE = "egress.limit.header-size";
  String HEADER_TIMEOUT = "egress.limit.header-timeout";
  String TOO_MANY_CONNECTIONS = "egress.limit.connections";
  String IDLE_TIMEOUT = "egress.limit.idle";
  String GATEWAY_FAILED = "egress.gateway.failed";

  /**
   * @param type one of the constants above
   * @param host the canonical host concerned, or {@code ""} when none is known yet
   * @param port the port concerned, or 0 when none is known
   * @param detail one human line, e.g. {@code "SNI 'evil.test' differs from CONNECT host api.test"};
   *     never a secret (request headers are not included)
   */
  void onEvent(String type, String host, int port, String detail);
}
