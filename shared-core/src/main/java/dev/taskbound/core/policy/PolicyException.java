package dev.taskbound.core.policy;

import dev.taskbound.core.ExitCodes;
import dev.taskbound.core.SafeText;
import dev.taskbound.core.TaskboundException;

/**
 * A policy file (or a command-line value applied to a policy) is malformed or widens its ceiling.
 * The message is one line: {@code file:line: field: value problem; accepted forms}, or for a
 * widening attempt both values and both locations. Maps to {@link ExitCodes#POLICY}.
 */
public final class PolicyException extends TaskboundException {
  private static final long serialVersionUID = 1L;

  public PolicyException(String message) {
    super(SafeText.line(message));
  }

  public PolicyException(String message, Throwable cause) {
    super(SafeText.line(message), cause);
  }

  @Override
  public int exitCode() {
    return ExitCodes.POLICY;
  }
}
