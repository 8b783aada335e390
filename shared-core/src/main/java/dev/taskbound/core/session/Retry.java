package dev.taskbound.core.session;

import java.time.Duration;

/**
 * Runs an undo with bounded attempts and exponential backoff. Teardown steps are idempotent, so a
 * retry after a partial failure is safe.
 */
final class Retry {
  /** An undo that may fail. */
  @FunctionalInterface
  interface Attempt {
    void run() throws Exception;
  }

  /** The outcome: attempts made and the last failure, if every attempt failed. */
  record Outcome(int attempts, Exception failure) {
    boolean ok() {
      return failure == null;
    }
  }

  private final int maxAttempts;
  private final Duration firstDelay;

  Retry(int maxAttempts, Duration firstDelay) {
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be >= 1: " + maxAttempts);
    }
    this.maxAttempts = maxAttempts;
    this.firstDelay = firstDelay;
  }

  Outcome run(Attempt attempt) {
    Exception last = null;
    long delay = firstDelay.toMillis();
    for (int i = 1; i <= maxAttempts; i++) {
      try {
        attempt.run();
        return new Outcome(i, null);
      } catch (Exception e) {
        last = e;
      }
      if (i < maxAttempts) {
        try {
          // Backoff between attempts against a remote service, not a stand-in for synchronisation.
          Thread.sleep(delay);
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          return new Outcome(i, last);
        }
        delay *= 2;
      }
    }
    return new Outcome(maxAttempts, last);
  }
}
