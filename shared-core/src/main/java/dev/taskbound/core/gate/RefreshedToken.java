package dev.taskbound.core.gate;

import dev.taskbound.core.broker.Secret;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A fresh token from a {@link TokenRefresher}.
 *
 * @param token the new token
 * @param expiresAt when the issuer says it expires, if it says
 * @param afterServed run once the response carrying {@code token} has been written to the agent
 *     (or has failed to be): where the session revokes the token it replaces ({@code
 *     GithubRefresh.revokeOld()}). A {@link dev.taskbound.core.TaskboundException} it throws is
 *     reported to the {@link AccessListener} as a {@link AccessEvent.Outcome#FAILED} event; the
 *     agent already has its answer
 */
public record RefreshedToken(Secret token, Optional<Instant> expiresAt, Runnable afterServed) {
  public RefreshedToken {
    Objects.requireNonNull(token, "token");
    Objects.requireNonNull(expiresAt, "expiresAt");
    Objects.requireNonNull(afterServed, "afterServed");
  }

  /** A token with nothing to do after it was served. */
  public RefreshedToken(Secret token, Optional<Instant> expiresAt) {
    this(token, expiresAt, () -> { });
  }
}
