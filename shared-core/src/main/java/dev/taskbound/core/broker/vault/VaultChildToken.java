package dev.taskbound.core.broker.vault;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * The child token the broker creates for the session ({@code POST /v1/auth/token/create}).
 *
 * @param policies its policies, a subset of the login token's (Vault enforces it); at least one
 * @param ttl its TTL, no longer than the session's (the lead passes the session TTL's bound)
 * @param numUses how many requests it may make, empty for unlimited; the broker's own secret reads
 *     count against it
 */
public record VaultChildToken(List<String> policies, Duration ttl, OptionalLong numUses) {
  /** @throws dev.taskbound.core.broker.BrokerException naming the invalid field */
  public VaultChildToken {
    policies = List.copyOf(policies);
    Objects.requireNonNull(ttl, "ttl");
    Objects.requireNonNull(numUses, "numUses");
    if (policies.isEmpty() || policies.stream().anyMatch(p -> !p.matches("[A-Za-z0-9._-]+"))) {
      throw VaultConnection.invalid("token.policies " + policies + " must list at least one policy name");
    }
    if (ttl.toSeconds() < 1) {
      throw VaultConnection.invalid("token.ttl " + ttl + " must be at least 1s");
    }
    if (numUses.isPresent() && numUses.getAsLong() < 1) {
      throw VaultConnection.invalid("token.num_uses " + numUses.getAsLong() + " must be at least 1");
    }
  }
}
