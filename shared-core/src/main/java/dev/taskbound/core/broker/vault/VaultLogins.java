package dev.taskbound.core.broker.vault;

import dev.taskbound.core.broker.Retry;
import dev.taskbound.core.broker.Secret;
import dev.taskbound.core.broker.VaultGrant;
import dev.taskbound.core.broker.VaultTokenSource;
import io.github.jopenlibs.vault.response.AuthResponse;
import java.time.Clock;
import java.time.Duration;
import dev.taskbound.core.broker.BrokerException;
import java.util.Objects;
import java.util.Optional;

/**
 * Logging in to Vault, for the broker and for a teardown in a fresh process. For a teardown, the
 * host re-reads the broker's auth configuration at its edge (policy plus environment, e.g. the
 * AppRole secret id or a fresh OIDC JWT) and passes {@link #relogin}'s source in the {@link
 * dev.taskbound.core.broker.RevocationContext}; that login token is revoked right after use.
 */
public final class VaultLogins {
  private VaultLogins() {}

  /**
   * Logs in ({@code Token} auth returns its token, not ephemeral). The grant's expiry is {@code
   * clock}'s now plus the login's {@code auth.lease_duration}; none when that is 0 (no expiry).
   *
   * @throws dev.taskbound.core.broker.BrokerException if the login fails after bounded retries
   */
  static VaultGrant login(VaultCalls calls, VaultAuth auth, Retry retry, Clock clock) {
    if (auth instanceof VaultAuth.Token t) {
      return new VaultGrant(t.token(), Optional.empty(), false);
    }
    String operation = auth instanceof VaultAuth.AppRole a
        ? "log in with AppRole at auth/" + a.mount()
        : "log in with JWT role " + ((VaultAuth.Jwt) auth).role() + " at auth/" + ((VaultAuth.Jwt) auth).mount();
    AuthResponse response = retry.run("vault", operation, () -> {
      var driver = calls.driver(null, 1, 1);
      return VaultCalls.call(() -> {
        if (auth instanceof VaultAuth.AppRole a) {
          return driver.auth().loginByAppRole(a.mount(), a.roleId(), a.secretId().reveal());
        }
        VaultAuth.Jwt j = (VaultAuth.Jwt) auth;
        return driver.auth().loginByJwt(j.mount(), j.role(), j.jwt().reveal());
      });
    });
    String token = response.getAuthClientToken();
    if (token == null || token.isEmpty()) {
      throw new BrokerException("vault", operation, -1, "the response has no auth.client_token");
    }
    long leaseSeconds = response.getAuthLeaseDuration();
    return new VaultGrant(Secret.of(token), Optional.ofNullable(response.getTokenAccessor()), true,
        leaseSeconds > 0 ? Optional.of(clock.instant().plusSeconds(leaseSeconds)) : Optional.empty());
  }

  /**
   * A token source for {@code taskbound teardown} in a fresh process: each acquire logs in again
   * with {@code auth} (an ephemeral token the revoker revokes after use; {@code Token} auth gives
   * its token, not ephemeral).
   */
  public static VaultTokenSource relogin(VaultConnection connection, VaultAuth auth, Retry retry, Duration timeout) {
    return relogin(connection, auth, retry, timeout, Clock.systemUTC());
  }

  /** As {@link #relogin(VaultConnection, VaultAuth, Retry, Duration)}, timing the logins' expiry with {@code clock}. */
  public static VaultTokenSource relogin(VaultConnection connection, VaultAuth auth, Retry retry, Duration timeout,
      Clock clock) {
    Objects.requireNonNull(clock, "clock");
    Objects.requireNonNull(connection, "connection");
    Objects.requireNonNull(auth, "auth");
    VaultCalls calls = new VaultCalls(connection, timeout);
    return (address, namespace) -> {
      VaultConnection wanted = new VaultConnection(java.net.URI.create(address), Optional.ofNullable(namespace));
      if (!wanted.equals(connection)) {
        throw new BrokerException("vault", "obtain a token to revoke with on " + address, -1,
            "the journal names " + describe(wanted) + " but the configured Vault is " + describe(connection));
      }
      return login(calls, auth, retry, clock);
    };
  }

  static String describe(VaultConnection c) {
    return c.address() + c.namespace().map(ns -> " (namespace " + ns + ")").orElse("");
  }
}
