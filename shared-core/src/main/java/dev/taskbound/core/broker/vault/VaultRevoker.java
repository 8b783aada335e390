package dev.taskbound.core.broker.vault;

import dev.taskbound.core.broker.BrokerException;
import dev.taskbound.core.broker.CallFailure;
import dev.taskbound.core.broker.RevocationContext;
import dev.taskbound.core.broker.VaultGrant;
import dev.taskbound.core.broker.internal.Handles;
import java.net.URI;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.Optional;

/**
 * Revokes the Vault entries of the teardown journal. The handles hold accessors and lease ids, not
 * tokens; the revoking token comes from the context's {@link dev.taskbound.core.broker.VaultTokenSource}.
 * An ephemeral revoking token (a fresh login) is revoked ({@code revoke-self}) afterwards.
 */
public final class VaultRevoker {
  private VaultRevoker() {}

  /** {@code revoke-vault-token}: revoke-accessor of the child token; no accessor is a no-op. */
  public static void revokeToken(Map<String, Object> handle, RevocationContext ctx) {
    revokeByAccessor(handle, ctx, "token");
  }

  /**
   * {@code revoke-vault-wrapping-token}: revoke-accessor of a wrapped secret's wrapping token (an
   * orphan, which revoking the child token leaves valid). One the agent already unwrapped is gone:
   * Vault answers 400 "invalid accessor", which counts as revoked. No accessor is a no-op.
   */
  public static void revokeWrappingToken(Map<String, Object> handle, RevocationContext ctx) {
    revokeByAccessor(handle, ctx, "wrapping token");
  }

  private static void revokeByAccessor(Map<String, Object> handle, RevocationContext ctx, String what) {
    String accessor = Handles.field(handle, "accessor");
    if (accessor == null) {
      return;
    }
    withGrant(handle, ctx, (calls, grant) -> ctx.retry().run("vault", "revoke " + what + " with accessor " + accessor,
        () -> {
          calls.revokeAccessor(grant.token(), accessor);
          return null;
        }));
  }

  /** {@code revoke-vault-lease}: {@code POST /v1/sys/leases/revoke}; no lease id is a no-op. */
  public static void revokeLease(Map<String, Object> handle, RevocationContext ctx) {
    String leaseId = Handles.field(handle, "lease_id");
    if (leaseId == null) {
      return;
    }
    withGrant(handle, ctx, (calls, grant) -> ctx.retry().run("vault", "revoke lease " + leaseId, () -> {
      calls.revokeLease(grant.token(), leaseId);
      return null;
    }));
  }

  /**
   * {@code revoke-vault-login}: the broker's own login token. With the live login token (same
   * accessor) it revokes itself ({@code revoke-self}; a 403 counts as gone only past the handle's
   * {@code expires_at}); with a fresh login it is revoked by accessor. No accessor is a no-op.
   */
  public static void revokeLogin(Map<String, Object> handle, RevocationContext ctx) {
    String accessor = Handles.field(handle, "accessor");
    if (accessor == null) {
      return;
    }
    withGrant(handle, ctx, (calls, grant) -> {
      if (grant.accessor().equals(Optional.of(accessor)) && !grant.ephemeral()) {
        revokeSelf(calls, grant, expiresAt(handle), ctx, "revoke the broker's login token (accessor " + accessor + ")");
      } else {
        ctx.retry().run("vault", "revoke the broker's login token (accessor " + accessor + ")", () -> {
          calls.revokeAccessor(grant.token(), accessor);
          return null;
        });
      }
    });
  }

  /**
   * {@code revoke-self} with {@code grant}'s token. Vault answers 403 both for a token that is gone
   * and for a live one whose policies deny revoke-self (a role with {@code
   * token_no_default_policy=true}): a 403 counts as revoked only once the token is past {@code
   * expiresAt}; before that it fails, saying until when the token may stay valid and how to fix it.
   */
  private static void revokeSelf(VaultCalls calls, VaultGrant grant, Optional<Instant> expiresAt,
      RevocationContext ctx, String operation) {
    ctx.retry().run("vault", operation, () -> {
      var driver = calls.driver(grant.token(), 1, 1);
      try {
        VaultCalls.call(() -> {
          driver.auth().revokeSelf();
          return null;
        });
      } catch (CallFailure f) {
        if (f.status() != 403) {
          throw f;
        }
        if (expiresAt.isEmpty() || ctx.clock().instant().isBefore(expiresAt.get())) {
          throw CallFailure.ofStatus(403, Optional.empty(), f.getMessage() + "; " + stillValid(expiresAt));
        }
      }
      return null;
    });
  }

  private static String stillValid(Optional<Instant> expiresAt) {
    return "the login token may stay valid " + expiresAt.map(t -> "until " + t).orElse("until revoked (it has no expiry)")
        + " (Vault answers 403 both for a token that is gone and for a policy that denies revoke-self); give the"
        + " login's role the default policy (token_no_default_policy=false), or a policy allowing update on"
        + " auth/token/revoke-self";
  }

  /** The login's expiry journalled with its handle; empty when absent or unreadable. */
  private static Optional<Instant> expiresAt(Map<String, Object> handle) {
    String text = Handles.field(handle, "expires_at");
    try {
      return text == null ? Optional.empty() : Optional.of(Instant.parse(text));
    } catch (DateTimeParseException e) {
      return Optional.empty();
    }
  }

  @FunctionalInterface
  private interface WithGrant {
    void run(VaultCalls calls, VaultGrant grant);
  }

  /** Runs {@code body} with a revoking token, then revokes that token if it was a fresh login. */
  private static void withGrant(Map<String, Object> handle, RevocationContext ctx, WithGrant body) {
    String address = Handles.field(handle, "address");
    if (address == null) {
      throw new BrokerException("vault", "revoke", -1, "the journal entry has no address");
    }
    String namespace = Handles.field(handle, "namespace");
    VaultCalls calls = new VaultCalls(new VaultConnection(URI.create(address), Optional.ofNullable(namespace)),
        ctx.requestTimeout());
    VaultGrant grant = ctx.vaultTokens().acquire(address, namespace);
    BrokerException first = null;
    try {
      body.run(calls, grant);
    } catch (BrokerException e) {
      first = e;
    }
    if (grant.ephemeral()) {
      try {
        revokeSelf(calls, grant, grant.expiresAt(), ctx, "revoke the teardown's own login token");
      } catch (BrokerException e) {
        if (first == null) {
          first = e;
        } else {
          first.addSuppressed(e);
        }
      }
    }
    if (first != null) {
      throw first;
    }
  }
}
