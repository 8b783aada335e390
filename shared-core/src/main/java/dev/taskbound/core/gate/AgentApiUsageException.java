package dev.taskbound.core.gate;

import dev.taskbound.core.ExitCodes;
import dev.taskbound.core.TaskboundException;

/**
 * An agent-side command ran outside a Taskbound session, with a broken session environment
 * ({@code TASKBOUND_AGENT_API}, {@code TASKBOUND_AGENT_TOKEN}, the proxy variables), or with an
 * invalid argument. Exit code 125.
 */
public final class AgentApiUsageException extends TaskboundException {
  private static final long serialVersionUID = 1L;

  public AgentApiUsageException(String message) {
    super(message);
  }

  @Override
  public int exitCode() {
    return ExitCodes.USAGE;
  }
}
