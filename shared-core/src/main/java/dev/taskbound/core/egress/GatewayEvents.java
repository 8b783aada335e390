package dev.taskbound.core.egress;

/**
 * Receives what the {@link Gateway} does that is not a rule decision: a limit hit, a protocol
 * check failed, the gateway itself failed. Called on gateway threads, possibly many at once:
 * implementations must be thread-safe and quick. The session writes these to the evidence log.
 *
 * <p>Nothing is dropped: if the receiver throws (the event could not be recorded), the connection
 * concerned is closed and the gateway fails, as if its socket had gone ({@link
 * Gateway#onFailure}): it fails closed.
 */
@FunctionalInterface
public interface GatewayEvents {
  /** Records nothing. */
  GatewayEvents NONE = (kind, host, port, detail) -> {};

  /** What happened. The session maps each to its evidence event type. */
  enum Kind {
    /** A TLS tunnel's ClientHello named another host than its CONNECT, or was not TLS. */
    SNI_MISMATCH,
    /** A plain HTTP request's Host header differs from its target. */
    HOST_MISMATCH,
    /**
     * Body framing that could be read two ways: Transfer-Encoding with Content-Length, a coding
     * other than exactly {@code chunked}, differing Content-Lengths, a malformed chunked body, bytes
     * after the body.
     */
    SMUGGLING,
    /**
     * A request head that can be read only one way and is not: a control character (NUL, VT, ...), a
     * request target that is not printable ASCII, a bare CR or LF, a folded or malformed header line.
     */
    MALFORMED,
    /** A request head exceeded the size limit. */
    HEADER_TOO_LARGE,
    /** A request head did not arrive in time. */
    HEADER_TIMEOUT,
    /** The connection limit was reached. */
    TOO_MANY_CONNECTIONS,
    /** A relayed connection was idle too long. */
    IDLE_TIMEOUT,
    /** The gateway stopped serving. */
    GATEWAY_FAILED,
    /**
     * On an inspected host: a credential placeholder sent to a host it is not bound to (or in a place
     * it is not replaced), or a credential the gateway did not inject; 403, nothing sent.
     */
    CREDENTIAL_MISUSE,
    /** On an inspected host: the upstream's certificate or TLS failed verification; 502, nothing sent. */
    UPSTREAM_TLS
  }

  /** Shorthands for the kinds. */
  Kind SNI_MISMATCH = Kind.SNI_MISMATCH;
  Kind HOST_MISMATCH = Kind.HOST_MISMATCH;
  Kind SMUGGLING = Kind.SMUGGLING;
  Kind MALFORMED = Kind.MALFORMED;
  Kind HEADER_TOO_LARGE = Kind.HEADER_TOO_LARGE;
  Kind HEADER_TIMEOUT = Kind.HEADER_TIMEOUT;
  Kind TOO_MANY_CONNECTIONS = Kind.TOO_MANY_CONNECTIONS;
  Kind IDLE_TIMEOUT = Kind.IDLE_TIMEOUT;
  Kind GATEWAY_FAILED = Kind.GATEWAY_FAILED;
  Kind CREDENTIAL_MISUSE = Kind.CREDENTIAL_MISUSE;
  Kind UPSTREAM_TLS = Kind.UPSTREAM_TLS;

  /**
   * @param kind what happened
   * @param host the canonical host concerned, or {@code ""} when none is known yet
   * @param port the port concerned, or 0 when none is known
   * @param detail one human line, e.g. {@code "SNI 'evil.test' differs from CONNECT host api.test"};
   *     never a secret (request headers are not included)
   * @throws RuntimeException if the event could not be recorded: the gateway then fails closed
   */
  void onEvent(Kind kind, String host, int port, String detail);
}
