package dev.taskbound.core.broker;

import dev.taskbound.core.ExitCodes;
import dev.taskbound.core.TaskboundException;
import java.util.OptionalInt;

/**
 * A credential could not be issued or revoked. The message is one line: broker, operation,
 * HTTP status (when there was a response), attempts, and what the service said, never a secret
 * value. No cause is attached: the client libraries' exceptions may quote request or response
 * bodies, so what is useful from them is copied into the message instead.
 */
public final class BrokerException extends TaskboundException {
  private static final long serialVersionUID = 1L;

  private final String broker;
  private final String operation;
  private final int status;

  /**
   * @param broker {@code github} or {@code vault}
   * @param operation what was attempted, e.g. {@code create installation token}
   * @param status the HTTP status, or -1 when no response was received
   * @param detail what went wrong; must not contain a secret value
   */
  public BrokerException(String broker, String operation, int status, String detail) {
    this(broker, operation, status, detail, 1);
  }

  /**
   * As {@link #BrokerException(String, String, int, String)}, noting {@code attempts} when more
   * than one attempt was made.
   */
  public BrokerException(String broker, String operation, int status, String detail, int attempts) {
    super(format(broker, operation, status, detail) + (attempts > 1 ? " (after " + attempts + " attempts)" : ""));
    this.broker = broker;
    this.operation = operation;
    this.status = status;
  }

  private static String format(String broker, String operation, int status, String detail) {
    String where = broker + ": " + operation + " failed";
    String http = status >= 0 ? ": HTTP " + status : "";
    return where + http + (detail == null || detail.isBlank() ? "" : ": " + detail);
  }

  public String broker() {
    return broker;
  }

  public String operation() {
    return operation;
  }

  /** The HTTP status of the last response, empty when none was received. */
  public OptionalInt status() {
    return status >= 0 ? OptionalInt.of(status) : OptionalInt.empty();
  }

  @Override
  public int exitCode() {
    return ExitCodes.CREDENTIALS;
  }
}
