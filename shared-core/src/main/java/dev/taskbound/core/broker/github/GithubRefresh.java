package dev.taskbound.core.broker.github;

import dev.taskbound.core.broker.IssuedCredential;
import java.util.Objects;

/**
 * The result of {@link GithubBroker#refresh}: a fresh token with the same scope, and the action
 * that revokes the token it replaces (idempotent; the replaced token's journal entry stays, and
 * replaying it at teardown is a no-op because GitHub answers 401 for a revoked token).
 *
 * @param token the fresh token; its undo was registered before it was minted
 * @param revokeOld revokes the replaced token; throws {@link
 *     dev.taskbound.core.broker.BrokerException} if that fails after bounded retries
 */
public record GithubRefresh(IssuedCredential token, Runnable revokeOld) {
  public GithubRefresh {
    Objects.requireNonNull(token, "token");
    Objects.requireNonNull(revokeOld, "revokeOld");
  }
}
