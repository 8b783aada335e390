package dev.taskbound.core.broker.vault;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.taskbound.core.Json;
import dev.taskbound.core.broker.BrokerException;
import dev.taskbound.core.broker.CredentialBroker;
import dev.taskbound.core.broker.IssuedCredential;
import dev.taskbound.core.broker.Retry;
import dev.taskbound.core.broker.RevocationContext;
import dev.taskbound.core.broker.Revocations;
import dev.taskbound.core.broker.Secret;
import dev.taskbound.core.broker.UndoRecorder;
import dev.taskbound.core.broker.VaultGrant;
import dev.taskbound.core.broker.VaultTokenSource;
import dev.taskbound.core.broker.internal.Handles;
import io.github.jopenlibs.vault.api.Auth;
import io.github.jopenlibs.vault.response.AuthResponse;
import io.github.jopenlibs.vault.response.LogicalResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Issues Vault credentials for one session: logs in (unless given a token), creates a child token
 * with the configured policies, TTL and uses, and reads each secret with the child token (KV v1,
 * KV v2, dynamic secrets with their lease, wrapped secrets with their wrapping token). Every creation
 * is journalled first: {@code revoke-vault-login} (broker logins only), {@code revoke-vault-token},
 * {@code revoke-vault-lease}, {@code revoke-vault-wrapping-token}; handles hold address, namespace,
 * accessor or lease id, never a token.
 *
 * <p>The login token stays in memory only; {@link #tokenSource()} lends it to an in-process
 * teardown. Not thread-safe; one instance per session.
 */
public final class VaultBroker implements CredentialBroker {
  private static final ObjectMapper JSON = Json.MAPPER;

  private final VaultBrokerConfig config;
  private final Retry retry;
  private final Duration timeout;
  private final Clock clock;
  private final VaultCalls calls;
  private volatile VaultGrant login;

  /**
   * @param retry bounds for every call
   * @param timeout connect and read timeout of each call (the driver rounds to whole seconds)
   * @param clock for the expiry of issued credentials
   */
  public VaultBroker(VaultBrokerConfig config, Retry retry, Duration timeout, Clock clock) {
    this.config = Objects.requireNonNull(config, "config");
    this.retry = Objects.requireNonNull(retry, "retry");
    this.timeout = Objects.requireNonNull(timeout, "timeout");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.calls = new VaultCalls(config.connection(), timeout);
  }

  /** A broker with {@link Retry#defaults()}, a 10 s timeout and the system clock. */
  public static VaultBroker create(VaultBrokerConfig config) {
    return new VaultBroker(config, Retry.defaults(), Duration.ofSeconds(10), Clock.systemUTC());
  }

  /**
   * Issues the child token and every secret. On failure, revokes what it already created (leases,
   * child token, its own login), in reverse order, marks each revoked entry done in {@code undo}
   * ({@link UndoRecorder#completed}), then throws; revocation failures are attached as suppressed
   * exceptions and their journal entries remain for the session's teardown.
   *
   * @return the child token ({@code vault-token}, named {@code vault-token}), then one {@code
   *     vault-secret} per configured secret, in order
   * @throws BrokerException naming the operation, path and status of the first failure
   */
  @Override
  public List<IssuedCredential> issue(UndoRecorder undo) {
    List<Created> created = new ArrayList<>();
    try {
      return issue(undo, created);
    } catch (BrokerException e) {
      rollback(undo, created, e);
      throw e;
    }
  }

  /** What {@link #issue} created so far: its journal entry, step and handle, for a rollback. */
  private record Created(int id, String step, Map<String, Object> handle) {}

  private List<IssuedCredential> issue(UndoRecorder undo, List<Created> created) {
    String address = config.connection().address().toString();
    String namespace = config.connection().namespace().orElse(null);
    List<IssuedCredential> issued = new ArrayList<>();

    if (config.auth() instanceof VaultAuth.Token) {
      login = VaultLogins.login(calls, config.auth(), retry, clock);
    } else {
      int id = undo.register(Revocations.REVOKE_VAULT_LOGIN, Handles.of("address", address, "namespace", namespace));
      login = VaultLogins.login(calls, config.auth(), retry, clock);
      // The expiry tells a revoke-self 403 of an expired token from one its policy denies.
      Map<String, String> handle = Handles.of("address", address, "namespace", namespace,
          "accessor", login.accessor().orElse(null), "expires_at", login.expiresAt().map(Instant::toString).orElse(null));
      undo.updateHandle(id, handle);
      created.add(new Created(id, Revocations.REVOKE_VAULT_LOGIN, new LinkedHashMap<>(handle)));
    }

    VaultChildToken spec = config.token();
    int tokenId = undo.register(Revocations.REVOKE_VAULT_TOKEN, Handles.of("address", address, "namespace", namespace));
    AuthResponse child = retry.run("vault", "create child token with policies " + spec.policies(), () -> {
      var driver = calls.driver(login.token(), 1, 1);
      Auth.TokenRequest request = new Auth.TokenRequest()
          .polices(spec.policies())
          .ttl(spec.ttl().toSeconds() + "s")
          .explicitMaxTtl(spec.ttl().toSeconds() + "s")
          .renewable(false)
          .displayName("taskbound");
      if (spec.numUses().isPresent()) {
        request.numUses(spec.numUses().getAsLong());
      }
      return VaultCalls.call(() -> driver.auth().createToken(request));
    });
    if (child.getAuthClientToken() == null || child.getTokenAccessor() == null) {
      throw new BrokerException("vault", "create child token", -1, "the response has no auth.client_token or accessor");
    }
    Secret childToken = Secret.of(child.getAuthClientToken());
    Map<String, String> tokenHandle = Handles.of("address", address, "namespace", namespace,
        "accessor", child.getTokenAccessor());
    undo.updateHandle(tokenId, tokenHandle);
    created.add(new Created(tokenId, Revocations.REVOKE_VAULT_TOKEN, new LinkedHashMap<>(tokenHandle)));
    Map<String, String> tokenEnv = new LinkedHashMap<>();
    if (config.exposeToken()) {
      tokenEnv.put("VAULT_ADDR", address);
      tokenEnv.put("VAULT_TOKEN", childToken.reveal());
      config.connection().namespace().ifPresent(ns -> tokenEnv.put("VAULT_NAMESPACE", ns));
    }
    issued.add(new IssuedCredential("vault-token", "vault-token", childToken,
        expiry(child.getAuthLeaseDuration()), tokenEnv, Map.of()));

    for (VaultSecretSpec secret : config.secrets()) {
      issued.add(read(secret, childToken, undo, created, address, namespace));
    }
    return List.copyOf(issued);
  }

  private IssuedCredential read(VaultSecretSpec secret, Secret childToken, UndoRecorder undo,
      List<Created> created, String address, String namespace) {
    String operation = "read secret " + secret.name() + " at " + secret.apiPath();
    if (secret.wrap().isPresent()) {
      // A wrapping token is an orphan: revoking the child token or the login leaves it valid until
      // its TTL, so it is journalled and revoked by its own accessor.
      int wrapEntry = undo.register(Revocations.REVOKE_VAULT_WRAPPING_TOKEN,
          Handles.of("address", address, "namespace", namespace));
      VaultCalls.WrappingToken wrapped = retry.run("vault", operation + " (wrapped)",
          () -> calls.readWrapped(childToken, secret.apiPath(), secret.wrap().get()));
      Map<String, String> handle = Handles.of("address", address, "namespace", namespace, "accessor", wrapped.accessor());
      undo.updateHandle(wrapEntry, handle);
      created.add(new Created(wrapEntry, Revocations.REVOKE_VAULT_WRAPPING_TOKEN, new LinkedHashMap<>(handle)));
      return expose(secret, wrapped.token(), Optional.of(clock.instant().plus(secret.wrap().get())));
    }
    int leaseEntry = secret.kind() == VaultSecretSpec.Kind.DYNAMIC
        ? undo.register(Revocations.REVOKE_VAULT_LEASE, Handles.of("address", address, "namespace", namespace))
        : -1;
    int kvVersion = secret.kind() == VaultSecretSpec.Kind.KV2 ? 2 : 1;
    LogicalResponse response = retry.run("vault", operation, () -> {
      var driver = calls.driver(childToken, kvVersion, secret.mountDepth());
      return VaultCalls.call(() -> driver.logical().read(secret.path()));
    });
    Optional<Instant> expiry = Optional.empty();
    if (leaseEntry >= 0) {
      String leaseId = response.getLeaseId();
      if (leaseId == null || leaseId.isEmpty()) {
        throw new BrokerException("vault", operation, 200, "a dynamic secret must have a lease_id; is this path a KV secret?");
      }
      Map<String, String> handle = Handles.of("address", address, "namespace", namespace, "lease_id", leaseId);
      undo.updateHandle(leaseEntry, handle);
      created.add(new Created(leaseEntry, Revocations.REVOKE_VAULT_LEASE, new LinkedHashMap<>(handle)));
      expiry = response.getLeaseDuration() == null ? Optional.empty() : expiry(response.getLeaseDuration());
    }
    return expose(secret, Secret.of(value(secret, response.getData(), operation)), expiry);
  }

  private static String value(VaultSecretSpec secret, Map<String, String> data, String operation) {
    if (data == null || data.isEmpty()) {
      throw new BrokerException("vault", operation, 200, "the secret has no data");
    }
    if (secret.field().isPresent()) {
      String value = data.get(secret.field().get());
      if (value == null || value.isEmpty()) {
        throw new BrokerException("vault", operation, 200, "field '" + secret.field().get()
            + "' is absent or empty; the secret has fields " + new TreeMap<>(data).keySet());
      }
      return value;
    }
    try {
      return JSON.writeValueAsString(new TreeMap<>(data));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a string map is always serialisable", e);
    }
  }

  private static IssuedCredential expose(VaultSecretSpec secret, Secret value, Optional<Instant> expiry) {
    Map<String, String> env = secret.env().map(e -> Map.of(e, value.reveal())).orElse(Map.of());
    Map<String, Secret> files = secret.file().map(f -> Map.of(f, value)).orElse(Map.of());
    return new IssuedCredential(secret.name(), "vault-secret", value, expiry, env, files);
  }

  private Optional<Instant> expiry(long leaseSeconds) {
    return leaseSeconds > 0 ? Optional.of(clock.instant().plusSeconds(leaseSeconds)) : Optional.empty();
  }

  /**
   * Lends this broker's login token (or the given token for token auth) to an in-process teardown.
   * Not ephemeral: {@code revoke-vault-login}, replayed last, revokes it with {@code revoke-self}.
   * Before {@link #issue} it throws like {@link VaultTokenSource#NONE}.
   */
  public VaultTokenSource tokenSource() {
    return (address, namespace) -> {
      VaultGrant current = login;
      VaultConnection wanted = new VaultConnection(java.net.URI.create(address), Optional.ofNullable(namespace));
      if (current == null || !wanted.equals(config.connection())) {
        return VaultTokenSource.NONE.acquire(address, namespace);
      }
      return new VaultGrant(current.token(), current.accessor(), false, current.expiresAt());
    };
  }

  /**
   * Revokes what {@link #issue} created, newest first, and marks each revoked entry done in {@code
   * undo}: a journal replayed later (a controller's {@code credentials revoke}) must not revoke it
   * again with a login this rollback already revoked.
   */
  private void rollback(UndoRecorder undo, List<Created> created, BrokerException failure) {
    RevocationContext ctx = RevocationContext.builder().retry(retry).requestTimeout(timeout)
        .vaultTokens(tokenSource()).clock(clock).build();
    for (int i = created.size() - 1; i >= 0; i--) {
      Created c = created.get(i);
      try {
        Revocations.revoke(c.step(), c.handle(), ctx);
        undo.completed(c.id());
      } catch (BrokerException e) {
        failure.addSuppressed(e);
      }
    }
  }
}
