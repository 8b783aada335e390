package dev.taskbound.core.sandbox;

import dev.taskbound.core.ExitCodes;
import dev.taskbound.core.TaskboundException;

/**
 * The sandbox cannot be created as the policy demands, or it did not start in time. The message is
 * one line that names the cause (a missing tool, a sysctl) and the options. The agent never ran.
 */
public final class SandboxException extends TaskboundException {
  private static final long serialVersionUID = 1L;

  public SandboxException(String message) {
    super(message);
  }

  public SandboxException(String message, Throwable cause) {
    super(message, cause);
  }

  @Override
  public int exitCode() {
    return ExitCodes.SANDBOX;
  }
}
