package dev.taskbound.core.broker;

import java.time.Duration;
import java.util.Objects;

/**
 * Bounded retries with exponential backoff for remote calls. A transient {@link CallFailure} is
 * retried up to {@code maxAttempts} attempts in all; a {@code Retry-After} is honoured up to {@code
 * maxRetryAfter}; permanent failures end at once. Immutable and thread-safe if its sleeper is.
 */
public final class Retry {
  /** Waits between attempts; tests inject one that records instead of sleeping. */
  @FunctionalInterface
  public interface Sleeper {
    void sleep(Duration duration) throws InterruptedException;
  }

  /** One attempt of a call. */
  @FunctionalInterface
  public interface Call<T> {
    T attempt() throws CallFailure;
  }

  private static final Sleeper REAL_SLEEP = d -> Thread.sleep(d.toMillis());

  private final int maxAttempts;
  private final Duration initialBackoff;
  private final Duration maxBackoff;
  private final Duration maxRetryAfter;
  private final Sleeper sleeper;

  private Retry(int maxAttempts, Duration initialBackoff, Duration maxBackoff, Duration maxRetryAfter,
      Sleeper sleeper) {
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be at least 1, got " + maxAttempts);
    }
    this.maxAttempts = maxAttempts;
    this.initialBackoff = Objects.requireNonNull(initialBackoff, "initialBackoff");
    this.maxBackoff = Objects.requireNonNull(maxBackoff, "maxBackoff");
    this.maxRetryAfter = Objects.requireNonNull(maxRetryAfter, "maxRetryAfter");
    this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
  }

  /** 4 attempts, backoff 250 ms doubling to at most 4 s, {@code Retry-After} honoured up to 30 s. */
  public static Retry defaults() {
    return new Retry(4, Duration.ofMillis(250), Duration.ofSeconds(4), Duration.ofSeconds(30), REAL_SLEEP);
  }

  /** A policy with these bounds; {@code sleeper} does the waiting. */
  public static Retry of(int maxAttempts, Duration initialBackoff, Duration maxBackoff,
      Duration maxRetryAfter, Sleeper sleeper) {
    return new Retry(maxAttempts, initialBackoff, maxBackoff, maxRetryAfter, sleeper);
  }

  /** This policy with another sleeper. */
  public Retry withSleeper(Sleeper other) {
    return new Retry(maxAttempts, initialBackoff, maxBackoff, maxRetryAfter, other);
  }

  public int maxAttempts() {
    return maxAttempts;
  }

  /**
   * Runs {@code call} until it succeeds, fails permanently or runs out of attempts.
   *
   * @throws BrokerException naming {@code broker}, {@code operation}, the last status and the
   *     number of attempts, when the call did not succeed
   */
  public <T> T run(String broker, String operation, Call<T> call) {
    Duration backoff = initialBackoff;
    for (int attempt = 1; ; attempt++) {
      try {
        return call.attempt();
      } catch (CallFailure failure) {
        if (!failure.isTransient() || attempt >= maxAttempts) {
          throw new BrokerException(broker, operation, failure.status(), failure.getMessage(), attempt);
        }
        Duration wait = failure.retryAfter()
            .map(d -> d.compareTo(maxRetryAfter) > 0 ? maxRetryAfter : d)
            .orElse(backoff);
        backoff = backoff.multipliedBy(2).compareTo(maxBackoff) > 0 ? maxBackoff : backoff.multipliedBy(2);
        try {
          sleeper.sleep(wait);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new BrokerException(broker, operation, failure.status(),
              "interrupted while waiting to retry: " + failure.getMessage());
        }
      }
    }
  }
}
