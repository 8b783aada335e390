package dev.taskbound.core.broker;

/**
 * Gives {@link Revocations} a Vault token with permission to revoke. The journal never stores the
 * broker's login token, so revocation needs one of:
 *
 * <ul>
 *   <li>in-process: the live login token of the {@code VaultBroker} that issued (see {@code
 *       VaultBroker.tokenSource()}), not ephemeral;
 *   <li>from a fresh process ({@code taskbound teardown --session DIR}): the broker's auth
 *       configuration re-read at the host edge, used to log in again (see {@code
 *       VaultLogins.relogin(...)}); that login is ephemeral and revoked after use.
 * </ul>
 */
@FunctionalInterface
public interface VaultTokenSource {
  /** No Vault authentication available: every Vault revocation fails with a clear message. */
  VaultTokenSource NONE = (address, namespace) -> {
    throw new BrokerException("vault", "obtain a token to revoke with on " + address, -1,
        "no Vault authentication configured for this teardown; give 'taskbound teardown' the run's"
            + " TASKBOUND_VAULT_* environment (token, AppRole or JWT)");
  };

  /**
   * @param address the Vault address from the journal handle
   * @param namespace the namespace from the handle, empty for none
   * @throws BrokerException if no token can be obtained
   */
  VaultGrant acquire(String address, String namespace);
}
