package dev.taskbound.core.evidence;

import java.util.Objects;
import java.util.OptionalLong;

/**
 * The verdict of {@link BundleVerifier}. When valid, {@code message} reads {@code "ok: N events,
 * sealed by kid K"}; when not, it names the first bad line (or the seal) and why, such as {@code
 * "line 7: hash mismatch (edited?)"}.
 *
 * @param valid whether chain and seal check out
 * @param events the number of lines in the bundle's events.jsonl
 * @param firstBadLine the 1-based number of the first bad line, when the problem is a line
 * @param message one line for a human
 */
public record VerificationResult(boolean valid, long events, OptionalLong firstBadLine, String message) {
  public VerificationResult {
    Objects.requireNonNull(firstBadLine, "firstBadLine");
    Objects.requireNonNull(message, "message");
  }

  static VerificationResult ok(long events, String message) {
    return new VerificationResult(true, events, OptionalLong.empty(), message);
  }

  static VerificationResult bad(long events, long line, String message) {
    return new VerificationResult(false, events, line > 0 ? OptionalLong.of(line) : OptionalLong.empty(), message);
  }
}
