package dev.taskbound.core.egress;

/** A proxy request the gateway answers with an error status instead of relaying. */
final class ProxyRequestException extends Exception {
  private static final long serialVersionUID = 1L;

  private final int status;
  private final GatewayEvents.Kind event;

  ProxyRequestException(int status, String reason) {
    this(status, reason, null);
  }

  /** @param event the {@link GatewayEvents.Kind} the refusal is recorded as, or {@code null} for none of its own */
  ProxyRequestException(int status, String reason, GatewayEvents.Kind event) {
    super(reason);
    this.status = status;
    this.event = event;
  }

  int status() {
    return status;
  }

  /** The {@link GatewayEvents.Kind} to record, or {@code null}. */
  GatewayEvents.Kind event() {
    return event;
  }
}
