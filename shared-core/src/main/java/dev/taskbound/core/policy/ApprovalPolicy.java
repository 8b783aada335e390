package dev.taskbound.core.policy;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How the runtime gate's {@code approve} decisions are settled ({@code gate.approval}, docs/gate.md
 * "Approvals"). Immutable.
 *
 * @param timeout how long a request waits for a person before it is denied as {@code expired}
 *     ({@code gate.approval.timeout}); a lower layer may only shorten it
 * @param environments the GitHub Actions environments whose protection rules count as an approval
 *     given before the run ({@code gate.approval.environments}); empty: none, so in the Action every
 *     {@code approve} is denied. A lower layer may only name fewer.
 */
public record ApprovalPolicy(Duration timeout, List<String> environments) {
  /** The default wait: short, so an unattended run is not held up for long. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);
  /**
   * The longest wait a policy may set: below the 600 s the session's Claude Code hook (its {@code
   * timeout} and curl's {@code --max-time}) waits for an answer, so a hook never gives up first.
   */
  public static final Duration MAX_TIMEOUT = Duration.ofMinutes(9);
  /** The built-in settings. */
  public static final ApprovalPolicy DEFAULT = new ApprovalPolicy(DEFAULT_TIMEOUT, List.of());

  public ApprovalPolicy {
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative() || timeout.isZero() || timeout.compareTo(MAX_TIMEOUT) > 0) {
      throw new IllegalArgumentException("timeout " + timeout + " outside (0, " + MAX_TIMEOUT + "]");
    }
    environments = List.copyOf(environments);
  }
}
