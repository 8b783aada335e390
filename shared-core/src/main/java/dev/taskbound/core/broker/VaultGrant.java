package dev.taskbound.core.broker;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A Vault token allowed to revoke the session's tokens and leases.
 *
 * @param token the token to authenticate the revocation with
 * @param accessor its accessor, when known
 * @param ephemeral true when it was obtained just for this revocation (a fresh login): the caller
 *     revokes it ({@code revoke-self}) when done
 * @param expiresAt when it expires (login time plus its {@code lease_duration}); empty when unknown
 *     or when it does not expire. Vault answers 403 to {@code revoke-self} both for a token that is
 *     gone and for one whose policy denies it: only a token past this instant is known to be gone
 */
public record VaultGrant(Secret token, Optional<String> accessor, boolean ephemeral, Optional<Instant> expiresAt) {
  public VaultGrant {
    Objects.requireNonNull(token, "token");
    Objects.requireNonNull(accessor, "accessor");
    Objects.requireNonNull(expiresAt, "expiresAt");
  }

  /** A grant whose expiry is unknown: a 403 on its {@code revoke-self} is never taken for "gone". */
  public VaultGrant(Secret token, Optional<String> accessor, boolean ephemeral) {
    this(token, accessor, ephemeral, Optional.empty());
  }
}
