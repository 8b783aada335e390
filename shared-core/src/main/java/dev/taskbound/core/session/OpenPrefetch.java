package dev.taskbound.core.session;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.taskbound.core.Json;
import dev.taskbound.core.evidence.EvidenceLog;
import dev.taskbound.core.evidence.SealingKey;
import dev.taskbound.core.identity.IdentityIssuer;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Work the open does not have to wait for, done on one daemon thread while the opening thread
 * resolves the policy and creates the session's state: Jackson's set-up (the session record's and
 * the journal's first {@code ObjectMapper}, ~150 ms of class loading without the launcher's
 * archive, else the opening thread's right after the policy), the evidence sealing key and the
 * identity key (EC P-256; the first also pays for the JCA providers' set-up), then the sandbox's
 * preflight when it is only a check (the netns probe). Each result is handed over where the open used to
 * make it, so what is recorded, and in which order, is unchanged, and a failure is thrown in the
 * phase it belongs to. Nothing here is written anywhere; the keys of an open that fails earlier
 * are dropped with it.
 */
final class OpenPrefetch {
  private static final Future<Void> NONE = CompletableFuture.completedFuture(null);

  private final ExecutorService worker;
  private final Future<SealingKey> sealingKey;
  private final Future<IdentityIssuer> issuer;
  private volatile Future<?> preflight = NONE;

  private OpenPrefetch(ExecutorService worker, Clock clock) {
    this.worker = worker;
    worker.execute(OpenPrefetch::warmJson);
    this.sealingKey = worker.submit(SealingKey::generate);
    this.issuer = worker.submit(() -> IdentityIssuer.generate(clock));
    worker.execute(OpenPrefetch::warmEvidence); // the open appends its first event after it has both keys
  }

  /** Starts making the keys; the identity key reads {@code clock} as {@link IdentityIssuer#generate} does. */
  static OpenPrefetch start(Clock clock) {
    ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "taskbound-open-prefetch");
      t.setDaemon(true);
      return t;
    });
    return new OpenPrefetch(worker, clock);
  }

  /** Runs {@code check} after the keys; its failure is thrown by {@link #awaitPreflight}. Call once, or {@link #noPreflight}. */
  void preflight(Runnable check) {
    preflight = worker.submit(check);
    worker.shutdown();
  }

  /** No preflight to run ahead (the backend's is not only a check, or the open failed before it). */
  void noPreflight() {
    worker.shutdown();
  }

  SealingKey sealingKey() {
    return join(sealingKey);
  }

  IdentityIssuer issuer() {
    return join(issuer);
  }

  /** Waits for the preflight started by {@link #preflight}; rethrows its failure. */
  void awaitPreflight() {
    join(preflight);
  }

  /**
   * After a failed open: waits (bounded) for a preflight still running, so that no probe outlives
   * the open; its result no longer matters.
   */
  void settle() {
    worker.shutdown();
    boolean interrupted = false;
    try {
      worker.awaitTermination(15, TimeUnit.SECONDS); // the probe itself gives up after 10 s
    } catch (InterruptedException e) {
      interrupted = true;
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  /** Serialises a small tree and a map with the shared mapper, so its serializers exist before the open's own writes follow. */
  private static void warmJson() {
    try {
      Json.MAPPER.writeValueAsString(Json.MAPPER.valueToTree(Map.of("warm", List.of(1, "up"))));
    } catch (JsonProcessingException | RuntimeException | LinkageError e) {
      // only a warm-up: the open serialises for real, and reports its own failures
    }
  }

  /** Computes an evidence line for a sample ({@link EvidenceLog#warmUp}), so the open's first append does not pay its first use. */
  private static void warmEvidence() {
    try {
      EvidenceLog.warmUp();
    } catch (RuntimeException | LinkageError e) {
      // only a warm-up: the open appends for real, and reports its own failures
    }
  }

  /** The result, or the task's own exception rethrown on this thread; waits through interrupts (as the work did inline). */
  private static <T> T join(Future<T> future) {
    boolean interrupted = false;
    try {
      while (true) {
        try {
          return future.get();
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException r) {
        throw r;
      }
      if (cause instanceof Error error) {
        throw error;
      }
      throw new IllegalStateException(cause);
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
