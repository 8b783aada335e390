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
 */
public record RefreshedToken(Secret token, Optional<Instant> expiresAt) {
  public RefreshedToken {
    Objects.requireNonNull(token, "token");
    Objects.requireNonNull(expiresAt, "expiresAt");
  }
}
