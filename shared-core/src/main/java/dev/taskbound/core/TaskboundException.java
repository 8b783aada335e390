package dev.taskbound.core;

/**
 * Base of every error Taskbound reports to a user: bad input, an environment that cannot give the
 * isolation the policy demands, a failed issue or revocation. Each subclass maps to one documented
 * process exit code (see {@link ExitCodes}), and its message is a single line that says what was
 * wrong, where, and what is accepted. Messages never contain secret values.
 *
 * <p>Programming errors (nulls, illegal states) are not {@code TaskboundException}s; they stay
 * unchecked JDK exceptions and print with a stack trace.
 */
public abstract class TaskboundException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  protected TaskboundException(String message) {
    super(message);
  }

  protected TaskboundException(String message, Throwable cause) {
    super(message, cause);
  }

  /** The process exit code a host uses when this error ends a command. */
  public abstract int exitCode();
}
