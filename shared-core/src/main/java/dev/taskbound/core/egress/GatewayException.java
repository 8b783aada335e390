package dev.taskbound.core.egress;

import dev.taskbound.core.ExitCodes;
import dev.taskbound.core.TaskboundException;

/** The gateway could not be started (for example its socket could not be bound). The agent never starts. */
public final class GatewayException extends TaskboundException {
  private static final long serialVersionUID = 1L;

  public GatewayException(String message, Throwable cause) {
    super(message, cause);
  }

  @Override
  public int exitCode() {
    return ExitCodes.SANDBOX;
  }
}
