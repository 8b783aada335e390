package dev.taskbound.core.egress;

import java.io.IOException;

/** An allowed request whose upstream could not be connected, with the reason shown to the client. */
public final class DialException extends IOException {
  private static final long serialVersionUID = 1L;

  /** Why the dial failed. */
  public enum Kind {
    /** The name did not resolve (502). */
    UNRESOLVED,
    /** The {@link AddressGuard} refused every resolved address (403). */
    REFUSED,
    /** No resolved address accepted a connection in time (502). */
    UNREACHABLE
  }

  private final Kind kind;

  public DialException(Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }
}
