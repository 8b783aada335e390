package dev.taskbound.core.session;

import dev.taskbound.core.ExitCodes;
import dev.taskbound.core.TaskboundException;

/** A session that cannot be opened or finished for a reason outside the other areas (files, directories). */
public final class SessionException extends TaskboundException {
  private static final long serialVersionUID = 1L;
  private final int exitCode;

  public SessionException(String message, int exitCode) {
    super(message);
    this.exitCode = exitCode;
  }

  public SessionException(String message, int exitCode, Throwable cause) {
    super(message, cause);
    this.exitCode = exitCode;
  }

  /** A teardown that could not even start, e.g. the session directory is not a session. */
  public static SessionException teardown(String message) {
    return new SessionException(message, ExitCodes.TEARDOWN);
  }

  @Override
  public int exitCode() {
    return exitCode;
  }
}
