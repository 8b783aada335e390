package dev.taskbound.core.egress;

/** A proxy request the gateway answers with an error status instead of relaying. */
final class ProxyRequestException extends Exception {
  private static final long serialVersionUID = 1L;

  private final int status;

  ProxyRequestException(int status, String reason) {
    super(reason);
    this.status = status;
  }

  int status() {
    return status;
  }
}
