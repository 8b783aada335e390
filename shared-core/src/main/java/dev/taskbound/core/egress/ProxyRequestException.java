package dev.taskbound.core.egress;

/** A proxy request the gateway answers with an error status instead of relaying. */
final class ProxyRequestException extends Exception {
  private static final long serialVersionUID = 1L;

  private final int status;
  private final String event;

  ProxyRequestException(int status, String reason) {
    this(status, reason, null);
  }

  /** @param event the {@link GatewayEvents} type the refusal is recorded as, or {@code null} for none of its own */
  ProxyRequestException(int status, String reason, String event) {
    super(reason);
    this.status = status;
    this.event = event;
  }

  int status() {
    return status;
  }

  /** The {@link GatewayEvents} type to record, or {@code null}. */
  String event() {
    return event;
  }
}
