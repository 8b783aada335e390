package dev.taskbound.core.identity;

import dev.taskbound.core.ExitCodes;
import dev.taskbound.core.SafeText;
import dev.taskbound.core.TaskboundException;

/**
 * A value that goes into an identity does not parse: a task id, session id, trust domain, SPIFFE
 * ID, audience, expiry or claim. The message quotes the value and states what is accepted. Maps to
 * {@link ExitCodes#POLICY}: nothing was started.
 */
public final class IdentityInputException extends TaskboundException {
  private static final long serialVersionUID = 1L;

  public IdentityInputException(String message) {
    super(SafeText.line(message));
  }

  @Override
  public int exitCode() {
    return ExitCodes.POLICY;
  }
}
