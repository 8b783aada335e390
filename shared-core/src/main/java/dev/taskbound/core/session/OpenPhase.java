package dev.taskbound.core.session;

import dev.taskbound.core.ExitCodes;

/**
 * The phases of opening a session and starting its agent, in order, each with the exit code a
 * failure in it ends with. An unexpected failure (a JVM {@code Error}, an exception that is not a
 * {@link dev.taskbound.core.TaskboundException}) is reported as a failure of the phase it happened
 * in, after the journal has undone whatever the session had created.
 */
public enum OpenPhase {
  /** Resolving the effective policy and checking it against the host configuration; creates nothing. */
  POLICY("resolve the policy", ExitCodes.POLICY),
  /** Creating the session directory and the evidence log. */
  STATE("create the session's state", ExitCodes.SANDBOX),
  /** Minting the task identity. */
  IDENTITY("mint the task identity", ExitCodes.CREDENTIALS),
  /** Starting the gateway and the agent API. */
  GATEWAY("start the gateway", ExitCodes.SANDBOX),
  /** Issuing credentials through the brokers. */
  CREDENTIALS("issue credentials", ExitCodes.CREDENTIALS),
  /** Checking that the sandbox backend can give the policy's confinement. */
  SANDBOX_PREFLIGHT("prepare the sandbox", ExitCodes.SANDBOX),
  /** Starting the agent in the sandbox. */
  AGENT_START("start the agent", ExitCodes.SANDBOX),
  /** The agent is running; the session waits for it. */
  AGENT_RUNNING("run the agent", ExitCodes.INTERNAL);

  private final String action;
  private final int exitCode;

  OpenPhase(String action, int exitCode) {
    this.action = action;
    this.exitCode = exitCode;
  }

  /** What the phase does, as in "could not <action>". */
  public String action() {
    return action;
  }

  /** The exit code a failure in this phase ends with. */
  public int exitCode() {
    return exitCode;
  }

  /**
   * Told as each phase begins, on the thread that opens the session. For hosts that trace or time
   * the phases; an exception it throws fails the phase like any other failure in it.
   */
  @FunctionalInterface
  public interface Listener {
    /** Listens to nothing. */
    Listener NONE = phase -> {};

    void entering(OpenPhase phase);
  }
}
