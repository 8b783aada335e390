package dev.taskbound.core.policy;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What the effective policy lets the Vault broker grant ({@code spec.vault}): the Vault policies of
 * the session's child token, its TTL and use count, and the secrets it may read. Where Vault is and
 * how to log in is host configuration, not policy. Immutable.
 *
 * @param policies Vault policy names for the child token; not empty
 * @param ttl the child token's TTL; empty means the session's TTL. The session caps it at its own
 * @param numUses how many requests the child token may make; empty for unlimited
 * @param secrets the secrets to read, in order; names unique
 */
public record VaultPolicy(
    List<String> policies, Optional<Duration> ttl, OptionalLong numUses, List<VaultSecretPolicy> secrets) {
  public VaultPolicy {
    policies = List.copyOf(policies);
    if (policies.isEmpty()) {
      throw new IllegalArgumentException("policies must not be empty");
    }
    Objects.requireNonNull(ttl, "ttl");
    Objects.requireNonNull(numUses, "numUses");
    secrets = List.copyOf(secrets);
  }

  /** The child token's TTL for a session of {@code sessionTtl}: the shorter of the two. */
  public Duration tokenTtl(Duration sessionTtl) {
    return ttl.filter(t -> t.compareTo(sessionTtl) < 0).orElse(sessionTtl);
  }
}
