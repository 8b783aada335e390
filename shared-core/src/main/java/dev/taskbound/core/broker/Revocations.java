package dev.taskbound.core.broker;

import dev.taskbound.core.broker.github.GithubRevoker;
import dev.taskbound.core.broker.vault.VaultRevoker;
import java.util.Map;
import java.util.Set;

/**
 * Runs the undo of a teardown-journal entry a broker registered, in this process or in a fresh one
 * ({@code taskbound teardown --session DIR}). Every revocation is idempotent: an entry whose handle
 * lacks its identifier (the process died before the creation finished) is a no-op, and a
 * credential that is already gone (GitHub 401, Vault "invalid accessor", e.g. a wrapping token
 * the agent unwrapped) counts as revoked.
 *
 * <table>
 *   <caption>Steps and their handles</caption>
 *   <tr><th>step</th><th>handle</th><th>call</th></tr>
 *   <tr><td>{@code revoke-github-token}</td><td>api_url, token</td>
 *       <td>{@code DELETE /installation/token} with the token itself</td></tr>
 *   <tr><td>{@code revoke-vault-token}</td><td>address, namespace, accessor</td>
 *       <td>{@code POST /v1/auth/token/revoke-accessor} with a revoking token</td></tr>
 *   <tr><td>{@code revoke-vault-lease}</td><td>address, namespace, lease_id</td>
 *       <td>{@code POST /v1/sys/leases/revoke} (Vault treats PUT and POST alike) with a revoking token</td></tr>
 *   <tr><td>{@code revoke-vault-login}</td><td>address, namespace, accessor</td>
 *       <td>{@code revoke-self} with the live login token, or {@code revoke-accessor} after a
 *       fresh login</td></tr>
 *   <tr><td>{@code revoke-vault-wrapping-token}</td><td>address, namespace, accessor</td>
 *       <td>{@code POST /v1/auth/token/revoke-accessor} with a revoking token (a wrapping token is an
 *       orphan: revoking the child token leaves it valid)</td></tr>
 * </table>
 */
public final class Revocations {
  public static final String REVOKE_GITHUB_TOKEN = "revoke-github-token";
  public static final String REVOKE_VAULT_TOKEN = "revoke-vault-token";
  public static final String REVOKE_VAULT_LEASE = "revoke-vault-lease";
  public static final String REVOKE_VAULT_LOGIN = "revoke-vault-login";
  public static final String REVOKE_VAULT_WRAPPING_TOKEN = "revoke-vault-wrapping-token";

  private static final Set<String> STEPS =
      Set.of(REVOKE_GITHUB_TOKEN, REVOKE_VAULT_TOKEN, REVOKE_VAULT_LEASE, REVOKE_VAULT_LOGIN, REVOKE_VAULT_WRAPPING_TOKEN);

  private Revocations() {}

  /** Whether {@code step} is one of the broker steps above. */
  public static boolean handles(String step) {
    return STEPS.contains(step);
  }

  /**
   * Revokes what the entry names, with bounded retries of transient faults.
   *
   * @throws IllegalArgumentException if {@code step} is not one {@link #handles}
   * @throws BrokerException if the revocation failed; names the credential by fingerprint or
   *     accessor/lease id, never by value
   */
  public static void revoke(String step, Map<String, Object> handle, RevocationContext ctx) {
    switch (step) {
      case REVOKE_GITHUB_TOKEN -> GithubRevoker.revoke(handle, ctx);
      case REVOKE_VAULT_TOKEN -> VaultRevoker.revokeToken(handle, ctx);
      case REVOKE_VAULT_LEASE -> VaultRevoker.revokeLease(handle, ctx);
      case REVOKE_VAULT_LOGIN -> VaultRevoker.revokeLogin(handle, ctx);
      case REVOKE_VAULT_WRAPPING_TOKEN -> VaultRevoker.revokeWrappingToken(handle, ctx);
      default -> throw new IllegalArgumentException("not a broker step: " + step + "; accepted: " + STEPS);
    }
  }
}
