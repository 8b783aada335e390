package dev.taskbound.core.evidence;

import dev.taskbound.core.ExitCodes;
import dev.taskbound.core.TaskboundException;

/**
 * Evidence could not be written, read or sealed: an I/O failure, an existing log that is broken, a
 * bundle that cannot be opened. Tampering found by {@link BundleVerifier} is not an exception but
 * an invalid {@link VerificationResult}. Maps to {@link ExitCodes#TEARDOWN}, since evidence that
 * cannot be kept or sealed fails the session's close.
 */
public final class EvidenceException extends TaskboundException {
  private static final long serialVersionUID = 1L;

  public EvidenceException(String message) {
    super(message);
  }

  public EvidenceException(String message, Throwable cause) {
    super(message, cause);
  }

  @Override
  public int exitCode() {
    return ExitCodes.TEARDOWN;
  }
}
