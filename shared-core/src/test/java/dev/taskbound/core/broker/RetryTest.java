package dev.taskbound.core.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class RetryTest {
  final RecordingSleeper sleeper = new RecordingSleeper();
  final Retry retry = Retry.of(5, Duration.ofMillis(10), Duration.ofMillis(30), Duration.ofSeconds(5), sleeper);

  @Test
  void backoffDoublesUpToItsCapAndAttemptsAreBounded() {
    AtomicInteger attempts = new AtomicInteger();

    assertThatThrownBy(() -> retry.run("vault", "read", () -> {
      attempts.incrementAndGet();
      throw CallFailure.ofStatus(502, Optional.empty(), "bad gateway");
    })).isInstanceOf(BrokerException.class).hasMessage("vault: read failed: HTTP 502: bad gateway (after 5 attempts)");

    assertThat(attempts).hasValue(5);
    assertThat(sleeper.waits()).containsExactly(
        Duration.ofMillis(10), Duration.ofMillis(20), Duration.ofMillis(30), Duration.ofMillis(30));
  }

  @Test
  void clientErrorFailsAtOnce() {
    AtomicInteger attempts = new AtomicInteger();

    assertThatThrownBy(() -> retry.run("github", "mint", () -> {
      attempts.incrementAndGet();
      throw CallFailure.ofStatus(404, Optional.empty(), "");
    })).isInstanceOf(BrokerException.class).hasMessage("github: mint failed: HTTP 404");

    assertThat(attempts).hasValue(1);
    assertThat(sleeper.waits()).isEmpty();
  }

  @Test
  void retryAfterIsHonouredButCapped() {
    AtomicInteger attempts = new AtomicInteger();

    String result = retry.run("github", "mint", () -> {
      int n = attempts.incrementAndGet();
      if (n == 1) {
        throw CallFailure.ofStatus(429, CallFailure.parseRetryAfter("3"), "");
      }
      if (n == 2) {
        throw CallFailure.ofStatus(429, CallFailure.parseRetryAfter("86400"), "");
      }
      return "ok";
    });

    assertThat(result).isEqualTo("ok");
    assertThat(sleeper.waits()).containsExactly(Duration.ofSeconds(3), Duration.ofSeconds(5));
  }
}
