package dev.taskbound.core.broker;

import java.util.Objects;
import java.util.Optional;

/**
 * A Vault token allowed to revoke the session's tokens and leases.
 *
 * @param token the token to authenticate the revocation with
 * @param accessor its accessor, when known
 * @param ephemeral true when it was obtained just for this revocation (a fresh login): the caller
 *     revokes it ({@code revoke-self}) when done
 */
public record VaultGrant(Secret token, Optional<String> accessor, boolean ephemeral) {
  public VaultGrant {
    Objects.requireNonNull(token, "token");
    Objects.requireNonNull(accessor, "accessor");
  }
}
