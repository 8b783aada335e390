package dev.taskbound.core.gate;

import dev.taskbound.core.ExitCodes;
import dev.taskbound.core.TaskboundException;

/**
 * The agent API could not be started, or (inside the sandbox) could not be reached through the
 * session's gateway. Exit code 121, like other failures of the session's plumbing.
 */
public final class AgentApiException extends TaskboundException {
  private static final long serialVersionUID = 1L;

  public AgentApiException(String message) {
    super(message);
  }

  public AgentApiException(String message, Throwable cause) {
    super(message, cause);
  }

  @Override
  public int exitCode() {
    return ExitCodes.SANDBOX;
  }
}
