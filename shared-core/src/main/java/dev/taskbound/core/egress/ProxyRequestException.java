package dev.taskbound.core.egress;

/** A proxy request the gateway answers with an error status instead of relaying. */
final class ProxyRequestException extends Exception {
  private static final long serialVersionUID = 1L;

  private final int status;
  private final GatewayEvents.Kind event;
  private final String evidence;

  ProxyRequestException(int status, String reason) {
    this(status, reason, null);
  }

  /** @param event the {@link GatewayEvents.Kind} the refusal is recorded as, or {@code null} for none of its own */
  ProxyRequestException(int status, String reason, GatewayEvents.Kind event) {
    this(status, reason, event, null);
  }

  /**
   * @param evidence what the event records instead of {@code reason} when the reason quotes what the
   *     evidence must not hold (a header value or a request target may carry a credential)
   */
  ProxyRequestException(int status, String reason, GatewayEvents.Kind event, String evidence) {
    super(reason);
    this.status = status;
    this.event = event;
    this.evidence = evidence;
  }

  int status() {
    return status;
  }

  /** The {@link GatewayEvents.Kind} to record, or {@code null}. */
  GatewayEvents.Kind event() {
    return event;
  }

  /** The event's detail: the reason, without header values or the request target. */
  String evidence() {
    return evidence != null ? evidence : getMessage();
  }
}
