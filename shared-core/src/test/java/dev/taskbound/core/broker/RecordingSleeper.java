package dev.taskbound.core.broker;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** A sleeper that records the waits instead of sleeping, so fault tests run fast. */
public final class RecordingSleeper implements Retry.Sleeper {
  private final List<Duration> waits = new ArrayList<>();

  @Override
  public synchronized void sleep(Duration duration) {
    waits.add(duration);
  }

  public synchronized List<Duration> waits() {
    return List.copyOf(waits);
  }

  /** A retry policy of {@code attempts} attempts, 10 ms backoff, Retry-After honoured up to 5 s. */
  public Retry retry(int attempts) {
    return Retry.of(attempts, Duration.ofMillis(10), Duration.ofMillis(40), Duration.ofSeconds(5), this);
  }
}
