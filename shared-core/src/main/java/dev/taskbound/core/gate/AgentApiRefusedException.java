package dev.taskbound.core.gate;

import dev.taskbound.core.ExitCodes;
import dev.taskbound.core.TaskboundException;

/**
 * The agent API answered, but refused or failed the request: a bad capability (401), a denial or
 * a pending approval (403), an unknown secret (404), a failed refresh (502). Exit code 122. The
 * message quotes the API's own one-line error, which never holds a secret value.
 */
public final class AgentApiRefusedException extends TaskboundException {
  private static final long serialVersionUID = 1L;

  private final int status;
  private final String error;

  public AgentApiRefusedException(int status, String error, String message) {
    super(message);
    this.status = status;
    this.error = error;
  }

  /** The HTTP status the API answered with. */
  public int status() {
    return status;
  }

  /** The API's error code, e.g. {@code not_found}, {@code forbidden}, {@code approval_required}. */
  public String error() {
    return error;
  }

  @Override
  public int exitCode() {
    return ExitCodes.CREDENTIALS;
  }
}
