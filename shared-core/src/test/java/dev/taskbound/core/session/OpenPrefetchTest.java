package dev.taskbound.core.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.taskbound.core.sandbox.SandboxException;
import java.time.Clock;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class OpenPrefetchTest {
  @Test
  void aPreflightFailureIsThrownOnTheOpeningThreadWhenTheOpenReachesIt() {
    SandboxException refused = new SandboxException("the netns sandbox cannot be created: the probe failed");
    OpenPrefetch prefetch = OpenPrefetch.start(Clock.systemUTC());

    prefetch.preflight(() -> {
      throw refused;
    });

    assertThatThrownBy(prefetch::awaitPreflight).isSameAs(refused);
  }

  @Test
  void theKeysAreMadeOnceEachAndTheCheckRunsOffTheOpeningThread() {
    OpenPrefetch prefetch = OpenPrefetch.start(Clock.systemUTC());
    AtomicReference<Thread> checkedOn = new AtomicReference<>();

    prefetch.preflight(() -> checkedOn.set(Thread.currentThread()));
    prefetch.awaitPreflight();

    assertThat(prefetch.sealingKey()).isSameAs(prefetch.sealingKey());
    assertThat(prefetch.issuer()).isSameAs(prefetch.issuer());
    assertThat(prefetch.sealingKey().keyId()).isNotEqualTo(prefetch.issuer().keyId());
    assertThat(checkedOn.get()).isNotSameAs(Thread.currentThread());
    assertThat(checkedOn.get().isDaemon()).as("never keeps the JVM alive").isTrue();
  }

  @Test
  void withoutAPreflightTheOpenDoesNotWait() {
    OpenPrefetch prefetch = OpenPrefetch.start(Clock.systemUTC());

    prefetch.noPreflight();
    prefetch.awaitPreflight();
    prefetch.settle();

    assertThat(prefetch.issuer().keyId()).isNotBlank();
  }
}
