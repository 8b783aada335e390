package dev.taskbound.core.gate;

import java.util.Objects;
import java.util.Optional;

/**
 * What an {@link AgentApi} serves and who it asks. Immutable; build with {@link #builder()}.
 *
 * @param secrets the on-request secrets ({@link SecretProvider#NONE} by default)
 * @param tokens the GitHub token refresher; empty (the default) answers refreshes with {@code 404}
 * @param policy decides each authenticated request ({@link AccessPolicy#ALLOW_ALL} by default)
 * @param listener receives every request's outcome ({@link AccessListener#NONE} by default)
 * @param maxBodyBytes the largest request body accepted (default 4096); larger gets {@code 413}
 * @param workerThreads threads serving requests (default 4)
 * @param hooks serves the hook endpoints ({@link HookHandler#NONE} by default: {@code 404})
 */
public record AgentApiConfig(
    SecretProvider secrets,
    Optional<TokenRefresher> tokens,
    AccessPolicy policy,
    AccessListener listener,
    int maxBodyBytes,
    int workerThreads,
    HookHandler hooks) {

  public AgentApiConfig {
    Objects.requireNonNull(secrets, "secrets");
    Objects.requireNonNull(tokens, "tokens");
    Objects.requireNonNull(policy, "policy");
    Objects.requireNonNull(listener, "listener");
    if (maxBodyBytes < 0 || maxBodyBytes > 1 << 20) {
      throw new IllegalArgumentException("maxBodyBytes must be within 0..1048576, was " + maxBodyBytes);
    }
    if (workerThreads < 1 || workerThreads > 64) {
      throw new IllegalArgumentException("workerThreads must be within 1..64, was " + workerThreads);
    }
    Objects.requireNonNull(hooks, "hooks");
  }

  /** A configuration that serves no hooks. */
  public AgentApiConfig(SecretProvider secrets, Optional<TokenRefresher> tokens, AccessPolicy policy, AccessListener listener,
      int maxBodyBytes, int workerThreads) {
    this(secrets, tokens, policy, listener, maxBodyBytes, workerThreads, HookHandler.NONE);
  }

  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    Builder b = new Builder().secrets(secrets).policy(policy).listener(listener).maxBodyBytes(maxBodyBytes)
        .workerThreads(workerThreads).hooks(hooks);
    b.tokens = tokens;
    return b;
  }

  /** Collects the settings; each setter rejects null at once. Not thread-safe. */
  public static final class Builder {
    private SecretProvider secrets = SecretProvider.NONE;
    private Optional<TokenRefresher> tokens = Optional.empty();
    private AccessPolicy policy = AccessPolicy.ALLOW_ALL;
    private AccessListener listener = AccessListener.NONE;
    private int maxBodyBytes = 4096;
    private int workerThreads = 4;
    private HookHandler hooks = HookHandler.NONE;

    private Builder() {}

    public Builder hooks(HookHandler hooks) {
      this.hooks = Objects.requireNonNull(hooks, "hooks");
      return this;
    }

    public Builder secrets(SecretProvider secrets) {
      this.secrets = Objects.requireNonNull(secrets, "secrets");
      return this;
    }

    public Builder tokens(TokenRefresher tokens) {
      this.tokens = Optional.of(Objects.requireNonNull(tokens, "tokens"));
      return this;
    }

    /** Answers token refreshes with {@code 404} (the default). */
    public Builder noTokens() {
      this.tokens = Optional.empty();
      return this;
    }

    public Builder policy(AccessPolicy policy) {
      this.policy = Objects.requireNonNull(policy, "policy");
      return this;
    }

    public Builder listener(AccessListener listener) {
      this.listener = Objects.requireNonNull(listener, "listener");
      return this;
    }

    public Builder maxBodyBytes(int maxBodyBytes) {
      this.maxBodyBytes = maxBodyBytes;
      return this;
    }

    public Builder workerThreads(int workerThreads) {
      this.workerThreads = workerThreads;
      return this;
    }

    /** @throws IllegalArgumentException if a limit is out of range */
    public AgentApiConfig build() {
      return new AgentApiConfig(secrets, tokens, policy, listener, maxBodyBytes, workerThreads, hooks);
    }
  }
}
