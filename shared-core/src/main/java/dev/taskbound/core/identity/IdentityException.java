package dev.taskbound.core.identity;

import dev.taskbound.core.ExitCodes;
import dev.taskbound.core.TaskboundException;

/**
 * The task identity could not be issued: the signing key could not be generated, read, written or
 * used. Maps to {@link ExitCodes#CREDENTIALS}. Bad input (task id, trust domain, audience, expiry)
 * is an {@link IdentityInputException} instead. Messages never contain key material or tokens.
 */
public final class IdentityException extends TaskboundException {
  private static final long serialVersionUID = 1L;

  public IdentityException(String message) {
    super(message);
  }

  public IdentityException(String message, Throwable cause) {
    super(message, cause);
  }

  @Override
  public int exitCode() {
    return ExitCodes.CREDENTIALS;
  }
}
