package dev.taskbound.core.broker.registry;

import dev.taskbound.core.ExitCodes;
import dev.taskbound.core.TaskboundException;

/**
 * A registry preset is invalid (a URL that is not http(s), a duplicate, a value with a line
 * break), or its client configuration could not be written. The message names the preset and the
 * field, quotes the bad value unless it is a credential, and says what is accepted.
 */
public final class RegistryConfigException extends TaskboundException {
  private static final long serialVersionUID = 1L;

  private final int exitCode;

  private RegistryConfigException(String message, Throwable cause, int exitCode) {
    super(message, cause);
    this.exitCode = exitCode;
  }

  /** A bad preset: exit code 120, like any other policy error. */
  static RegistryConfigException invalid(String message) {
    return new RegistryConfigException(message, null, ExitCodes.POLICY);
  }

  /** The files could not be written: exit code 122, credentials could not be issued. */
  static RegistryConfigException unwritable(String message, Throwable cause) {
    return new RegistryConfigException(message, cause, ExitCodes.CREDENTIALS);
  }

  @Override
  public int exitCode() {
    return exitCode;
  }
}
