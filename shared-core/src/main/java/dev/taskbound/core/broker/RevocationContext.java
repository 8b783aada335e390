package dev.taskbound.core.broker;

import dev.taskbound.core.broker.internal.PlainHttp;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Objects;

/**
 * What {@link Revocations#revoke} needs besides the journal handle: retry bounds, an HTTP client,
 * and a source of Vault tokens allowed to revoke (the handle never holds one). Immutable.
 */
public final class RevocationContext {
  private final Retry retry;
  private final Duration requestTimeout;
  private final HttpClient http;
  private final VaultTokenSource vaultTokens;

  private RevocationContext(Builder b) {
    this.retry = b.retry;
    this.requestTimeout = b.requestTimeout;
    this.http = PlainHttp.client(b.requestTimeout);
    this.vaultTokens = b.vaultTokens;
  }

  public static Builder builder() {
    return new Builder();
  }

  public Retry retry() {
    return retry;
  }

  /** The per-request timeout (also the connect timeout). */
  public Duration requestTimeout() {
    return requestTimeout;
  }

  /** A client that never follows redirects. */
  public HttpClient http() {
    return http;
  }

  public VaultTokenSource vaultTokens() {
    return vaultTokens;
  }

  /** Defaults: {@link Retry#defaults()}, 10 s timeout, {@link VaultTokenSource#NONE}. */
  public static final class Builder {
    private Retry retry = Retry.defaults();
    private Duration requestTimeout = Duration.ofSeconds(10);
    private VaultTokenSource vaultTokens = VaultTokenSource.NONE;

    private Builder() {}

    public Builder retry(Retry value) {
      this.retry = Objects.requireNonNull(value, "retry");
      return this;
    }

    /** @throws IllegalArgumentException if not positive */
    public Builder requestTimeout(Duration value) {
      if (value.isNegative() || value.isZero()) {
        throw new IllegalArgumentException("requestTimeout must be positive, got " + value);
      }
      this.requestTimeout = value;
      return this;
    }

    public Builder vaultTokens(VaultTokenSource value) {
      this.vaultTokens = Objects.requireNonNull(value, "vaultTokens");
      return this;
    }

    public RevocationContext build() {
      return new RevocationContext(this);
    }
  }
}
