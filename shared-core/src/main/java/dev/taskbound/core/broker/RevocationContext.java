package dev.taskbound.core.broker;

import dev.taskbound.core.broker.internal.PlainHttp;
import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;

/**
 * What {@link Revocations#revoke} needs besides the journal handle: retry bounds, an HTTP client,
 * a source of Vault tokens allowed to revoke (the handle never holds one), and a clock to tell
 * whether a token has expired. Immutable.
 */
public final class RevocationContext {
  private final Retry retry;
  private final Duration requestTimeout;
  private final HttpClient http;
  private final VaultTokenSource vaultTokens;
  private final Clock clock;

  private RevocationContext(Builder b) {
    this.retry = b.retry;
    this.requestTimeout = b.requestTimeout;
    this.http = PlainHttp.client(b.requestTimeout);
    this.vaultTokens = b.vaultTokens;
    this.clock = b.clock;
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

  /** The clock that tells whether a token is past its expiry (the issuing broker's). */
  public Clock clock() {
    return clock;
  }

  /** Defaults: {@link Retry#defaults()}, 10 s timeout, {@link VaultTokenSource#NONE}, the system clock. */
  public static final class Builder {
    private Retry retry = Retry.defaults();
    private Duration requestTimeout = Duration.ofSeconds(10);
    private VaultTokenSource vaultTokens = VaultTokenSource.NONE;
    private Clock clock = Clock.systemUTC();

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

    public Builder clock(Clock value) {
      this.clock = Objects.requireNonNull(value, "clock");
      return this;
    }

    public RevocationContext build() {
      return new RevocationContext(this);
    }
  }
}
