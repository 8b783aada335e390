package dev.taskbound.core.evidence;

import java.util.Objects;
import java.util.OptionalLong;

/**
 * The verdict of {@link BundleVerifier}. When valid, {@code message} reads {@code "ok: N events,
 * sealed by kid K; session S, task T"}; when not, it names the first bad line (or the seal, the
 * anchor that contradicts the signer, another session than the expected) and why, such as {@code
 * "line 7: hash mismatch (edited?)"}.
 *
 * <p>Integrity and signer are separate: a valid bundle whose signer no trust anchor vouched for
 * (none given, or a recovery key the anchors do not cover) has {@code signerVerified} false, and
 * {@code signer} says why ("NOT verified: ..."); {@code taskbound verify} then exits 3. When an
 * anchor was given and contradicts the signer, the bundle is not valid.
 *
 * @param valid whether chain and seal check out, and no trust anchor contradicts the signer
 * @param events the number of lines in the bundle's events.jsonl
 * @param firstBadLine the 1-based number of the first bad line, when the problem is a line
 * @param message one line for a human
 * @param signerVerified whether a trust anchor verified who sealed the bundle
 * @param signer "verified by ..." naming the anchor(s), or "NOT verified: ..." saying why; empty
 *     when not valid
 */
public record VerificationResult(
    boolean valid, long events, OptionalLong firstBadLine, String message, boolean signerVerified, String signer) {
  public VerificationResult {
    Objects.requireNonNull(firstBadLine, "firstBadLine");
    Objects.requireNonNull(message, "message");
    Objects.requireNonNull(signer, "signer");
  }

  /** An invalid result (or, with {@code valid} true, one whose signer nothing verified). */
  public VerificationResult(boolean valid, long events, OptionalLong firstBadLine, String message) {
    this(valid, events, firstBadLine, message, false, valid ? "NOT verified: no trust anchor given" : "");
  }

  static VerificationResult ok(long events, String message) {
    return new VerificationResult(true, events, OptionalLong.empty(), message);
  }

  static VerificationResult bad(long events, long line, String message) {
    return new VerificationResult(false, events, line > 0 ? OptionalLong.of(line) : OptionalLong.empty(), message);
  }

  VerificationResult withSigner(boolean verified, String text) {
    return new VerificationResult(valid, events, firstBadLine, message, verified, text);
  }
}
