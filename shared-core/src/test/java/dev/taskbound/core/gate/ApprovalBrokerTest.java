package dev.taskbound.core.gate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Issue 16: approve decisions wait for a person, are answered once, expire, and are all recorded. */
@Timeout(60)
class ApprovalBrokerTest {
  private record Event(String type, Map<String, Object> data) {}

  private final List<Event> events = java.util.Collections.synchronizedList(new ArrayList<>());
  private final LinkedBlockingQueue<ApprovalBroker.Pending> seen = new LinkedBlockingQueue<>();

  private ApprovalBroker waiting(Duration timeout) {
    ApprovalBroker b = ApprovalBroker.waiting(timeout, Clock.systemUTC(), (t, d) -> events.add(new Event(t, Map.<String, Object>copyOf(d))));
    b.watch(seen::add);
    return b;
  }

  private static ApprovalBroker.Request merge() {
    return new ApprovalBroker.Request("github.pr.merge", "", "needs approval by gate rule 'github.pr.merge: approve'",
        "github.pr.merge: approve", Map.of("source", "gate check"));
  }

  private static ApprovalBroker.Request push(String ref) {
    return new ApprovalBroker.Request("git.push", ref, "needs approval", "git.push: approve", Map.of("source", "egress.request"));
  }

  private CompletableFuture<ApprovalBroker.Answer> ask(ApprovalBroker b, ApprovalBroker.Request r) {
    return ask(b, r, () -> false);
  }

  private CompletableFuture<ApprovalBroker.Answer> ask(ApprovalBroker b, ApprovalBroker.Request r, java.util.function.BooleanSupplier gone) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return b.await(r, gone);
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    });
  }

  @Test
  void aWaitingRequestIsGrantedByThePersonWhoAnswersAndRecordedWithWhoChannelAndReason() throws Exception {
    ApprovalBroker b = waiting(Duration.ofMinutes(5));
    CompletableFuture<ApprovalBroker.Answer> asked = ask(b, merge());
    ApprovalBroker.Pending p = seen.poll(30, TimeUnit.SECONDS);

    Optional<ApprovalBroker.Answer> answered = b.answer(p.id(), true, "alice", "cli", "reviewed the diff");
    ApprovalBroker.Answer a = asked.get(30, TimeUnit.SECONDS);

    assertThat(answered).isPresent();
    assertThat(a.granted()).isTrue();
    assertThat(a.describe()).isEqualTo("approval-1 granted by alice (cli): reviewed the diff");
    assertThat(events).extracting(Event::type).containsExactly("approval.requested", "approval.granted");
    assertThat(events.get(0).data()).containsEntry("request", "approval-1").containsEntry("action", "github.pr.merge")
        .containsEntry("rule", "github.pr.merge: approve").containsEntry("source", "gate check").containsKey("expires_at");
    assertThat(events.get(1).data()).containsEntry("who", "alice").containsEntry("channel", "cli")
        .containsEntry("reason", "reviewed the diff").containsKey("at");
    assertThat(b.pending()).isEmpty();
  }

  @Test
  void aDeniedRequestIsRefusedAndASecondAnswerToItChangesNothing() throws Exception {
    ApprovalBroker b = waiting(Duration.ofMinutes(5));
    CompletableFuture<ApprovalBroker.Answer> asked = ask(b, merge());
    ApprovalBroker.Pending p = seen.poll(30, TimeUnit.SECONDS);

    b.answer(p.id(), false, "bob", "terminal", "not today");
    Optional<ApprovalBroker.Answer> late = b.answer(p.id(), true, "mallory", "cli", "");

    assertThat(asked.get(30, TimeUnit.SECONDS).outcome()).isEqualTo(ApprovalBroker.Outcome.DENIED);
    assertThat(late).isEmpty();
    assertThat(events).extracting(Event::type).containsExactly("approval.requested", "approval.denied");
  }

  @Test
  void nobodyAnsweringExpiresTheRequestAsDeniedAfterTheTimeout() throws Exception {
    ApprovalBroker b = waiting(Duration.ofMillis(200));

    ApprovalBroker.Answer a = b.await(merge());

    assertThat(a.outcome()).isEqualTo(ApprovalBroker.Outcome.EXPIRED);
    assertThat(a.granted()).isFalse();
    assertThat(a.channel()).isEqualTo("timeout");
    assertThat(events).extracting(Event::type).containsExactly("approval.requested", "approval.expired");
    assertThat(events.get(1).data().get("reason").toString()).contains("gate.approval.timeout");
    assertThat(b.answer(a.id(), true, "alice", "cli", "")).isEmpty();
  }

  @Test
  void closingTheSessionExpiresWhatStillWaitsAndRefusesNewRequests() throws Exception {
    ApprovalBroker b = waiting(Duration.ofMinutes(5));
    CompletableFuture<ApprovalBroker.Answer> asked = ask(b, merge());
    seen.poll(30, TimeUnit.SECONDS);

    b.close();
    ApprovalBroker.Answer after = b.await(merge());

    assertThat(asked.get(30, TimeUnit.SECONDS).outcome()).isEqualTo(ApprovalBroker.Outcome.EXPIRED);
    assertThat(asked.get().channel()).isEqualTo("session-end");
    assertThat(after.outcome()).isEqualTo(ApprovalBroker.Outcome.DENIED);
    assertThat(after.reason()).contains("the session is ending");
  }

  @Test
  void moreThanTheCapOfWaitingRequestsAreDeniedAtOnce() throws Exception {
    ApprovalBroker b = waiting(Duration.ofMinutes(5));
    List<CompletableFuture<ApprovalBroker.Answer>> asked = new ArrayList<>();
    for (int i = 0; i < ApprovalBroker.MAX_PENDING; i++) {
      asked.add(ask(b, push("refs/heads/b" + i)));
      seen.poll(30, TimeUnit.SECONDS);
    }

    ApprovalBroker.Answer extra = b.await(push("refs/heads/extra"));
    ApprovalBroker.Answer identical = b.await(push("refs/heads/b0")); // joining would hold a worker too
    b.close();

    assertThat(extra.outcome()).isEqualTo(ApprovalBroker.Outcome.DENIED);
    assertThat(extra.reason()).contains("too many requests wait for approval");
    assertThat(identical.outcome()).isEqualTo(ApprovalBroker.Outcome.DENIED);
    assertThat(identical.id()).isNotEqualTo("approval-1");
    for (CompletableFuture<ApprovalBroker.Answer> f : asked) {
      assertThat(f.get(30, TimeUnit.SECONDS).granted()).isFalse();
    }
  }

  @Test
  void identicalRequestsWaitingAtOnceAreOneRequestAndOneAnswerReleasesEveryCaller() throws Exception {
    ApprovalBroker b = waiting(Duration.ofMinutes(5));
    CompletableFuture<ApprovalBroker.Answer> first = ask(b, push("refs/heads/main"));
    ApprovalBroker.Pending p = seen.poll(30, TimeUnit.SECONDS);
    CompletableFuture<ApprovalBroker.Answer> second = ask(b, push("refs/heads/main"));
    CompletableFuture<ApprovalBroker.Answer> other = ask(b, push("refs/heads/dev"));
    seen.poll(30, TimeUnit.SECONDS);
    awaitCallers(b, 3);

    List<String> listed = b.pending().stream().map(ApprovalBroker.Pending::id).toList();
    assertThat(b.callersOf(p.id())).as("what a person is shown").isEqualTo(2);
    b.answer(p.id(), true, "alice", "cli", "ok");
    b.close();

    assertThat(listed).containsExactly("approval-1", "approval-2");
    assertThat(first.get(30, TimeUnit.SECONDS).granted()).isTrue();
    assertThat(second.get(30, TimeUnit.SECONDS)).isEqualTo(first.get());
    assertThat(other.get(30, TimeUnit.SECONDS).granted()).isFalse();
    assertThat(events).extracting(e -> e.type() + " " + e.data().get("request"))
        .containsExactly("approval.requested approval-1", "approval.requested approval-2", "approval.granted approval-1",
            "approval.expired approval-2");
    assertThat(events.get(2).data()).containsEntry("callers", 2);
  }

  /** Review finding: an identical request arriving while a grant was being recorded joined it, released by a grant older than itself. */
  @Test
  void anIdenticalRequestArrivingWhileTheGrantIsRecordedIsANewRequest() throws Exception {
    java.util.concurrent.atomic.AtomicReference<ApprovalBroker> broker = new java.util.concurrent.atomic.AtomicReference<>();
    java.util.concurrent.atomic.AtomicReference<CompletableFuture<ApprovalBroker.Answer>> late = new java.util.concurrent.atomic.AtomicReference<>();
    ApprovalBroker b = ApprovalBroker.waiting(Duration.ofMinutes(5), Clock.systemUTC(), (t, d) -> {
      events.add(new Event(t, Map.<String, Object>copyOf(d)));
      if (t.equals("approval.granted")) {
        try { // the same request asked again while the grant is being recorded
          late.set(ask(broker.get(), push("refs/heads/main")));
          awaitCallers(broker.get(), 2);
        } catch (InterruptedException e) {
          throw new IllegalStateException(e);
        }
      }
    });
    broker.set(b);
    b.watch(seen::add);
    CompletableFuture<ApprovalBroker.Answer> first = ask(b, push("refs/heads/main"));
    ApprovalBroker.Pending p = seen.poll(30, TimeUnit.SECONDS);

    b.answer(p.id(), true, "alice", "cli", "ok");
    boolean lateAnsweredByTheGrant = late.get().isDone();
    b.close();

    assertThat(first.get(30, TimeUnit.SECONDS).granted()).isTrue();
    assertThat(lateAnsweredByTheGrant).isFalse();
    ApprovalBroker.Answer second = late.get().get(30, TimeUnit.SECONDS);
    assertThat(second.granted()).isFalse();
    assertThat(second.id()).isEqualTo("approval-2");
  }

  @Test
  void aRequestWhoseCallerWentAwayIsWithdrawnAndNoLongerListed() throws Exception {
    ApprovalBroker b = waiting(Duration.ofMinutes(5));
    java.util.concurrent.atomic.AtomicBoolean gone = new java.util.concurrent.atomic.AtomicBoolean();
    CompletableFuture<ApprovalBroker.Answer> asked = ask(b, merge(), gone::get);
    ApprovalBroker.Pending p = seen.poll(30, TimeUnit.SECONDS);

    gone.set(true);
    ApprovalBroker.Answer a = asked.get(30, TimeUnit.SECONDS);

    assertThat(a.outcome()).isEqualTo(ApprovalBroker.Outcome.WITHDRAWN);
    assertThat(a.channel()).isEqualTo("caller-gone");
    assertThat(b.pending()).isEmpty();
    assertThat(b.answer(p.id(), true, "alice", "cli", "")).isEmpty();
    assertThat(events).extracting(Event::type).containsExactly("approval.requested", "approval.withdrawn");
    assertThat(events.get(1).data()).containsEntry("who", "taskbound").containsEntry("channel", "caller-gone")
        .containsEntry("reason", "the caller went away (disconnected) before anyone answered");
  }

  @Test
  void aJoinedRequestStaysListedWhileOneOfItsCallersStillWaits() throws Exception {
    ApprovalBroker b = waiting(Duration.ofMinutes(5));
    java.util.concurrent.atomic.AtomicBoolean gone = new java.util.concurrent.atomic.AtomicBoolean();
    CompletableFuture<ApprovalBroker.Answer> staying = ask(b, merge());
    ApprovalBroker.Pending p = seen.poll(30, TimeUnit.SECONDS);
    CompletableFuture<ApprovalBroker.Answer> leaving = ask(b, merge(), gone::get);
    awaitCallers(b, 2);

    gone.set(true);
    ApprovalBroker.Answer left = leaving.get(30, TimeUnit.SECONDS);
    List<ApprovalBroker.Pending> listed = b.pending();
    b.answer(p.id(), false, "bob", "cli", "no");

    assertThat(left.outcome()).isEqualTo(ApprovalBroker.Outcome.WITHDRAWN);
    assertThat(listed).extracting(ApprovalBroker.Pending::id).containsExactly(p.id());
    assertThat(staying.get(30, TimeUnit.SECONDS).outcome()).isEqualTo(ApprovalBroker.Outcome.DENIED);
    assertThat(events).extracting(Event::type).containsExactly("approval.requested", "approval.denied");
  }

  /** Waits (bounded) until {@code n} callers wait in {@code b}: joining is not observable otherwise. */
  private static void awaitCallers(ApprovalBroker b, int n) throws InterruptedException {
    for (int i = 0; i < 3000 && b.callers() < n; i++) {
      Thread.sleep(10);
    }
    assertThat(b.callers()).isEqualTo(n);
  }

  @Test
  void beforeTheRunAnApprovalIsGrantedOnlyByAnEnvironmentThePolicyNames() throws Exception {
    ApprovalBroker named = ApprovalBroker.beforeRun(new ApprovalBroker.BeforeRun(Optional.of("production"),
        List.of("production"), "octocat"), Clock.systemUTC(), (t, d) -> events.add(new Event(t, Map.<String, Object>copyOf(d))));
    ApprovalBroker other = ApprovalBroker.beforeRun(new ApprovalBroker.BeforeRun(Optional.of("dev"),
        List.of("production"), ""), Clock.systemUTC(), (t, d) -> events.add(new Event(t, Map.<String, Object>copyOf(d))));
    ApprovalBroker none = ApprovalBroker.beforeRun(new ApprovalBroker.BeforeRun(Optional.empty(),
        List.of("production"), ""), Clock.systemUTC(), (t, d) -> events.add(new Event(t, Map.<String, Object>copyOf(d))));

    ApprovalBroker.Answer granted = named.await(merge());
    ApprovalBroker.Answer refused = other.await(merge());
    ApprovalBroker.Answer noEnvironment = none.await(merge());

    assertThat(granted.granted()).isTrue();
    assertThat(granted.who()).isEqualTo("github-environment:production (run by octocat)");
    assertThat(granted.channel()).isEqualTo("github-environment");
    assertThat(refused.granted()).isFalse();
    assertThat(refused.reason()).contains("GitHub Actions cannot pause a step for a person")
        .contains("'dev' is not in gate.approval.environments (production)");
    assertThat(noEnvironment.reason()).contains("the job ran in no (verified) environment");
    assertThat(events).extracting(Event::type).containsExactly("approval.requested", "approval.granted",
        "approval.requested", "approval.denied", "approval.requested", "approval.denied");
    assertThat(events.get(0).data()).containsEntry("mode", "before-run");
  }

  @Test
  void aRequestTheEvidenceCannotRecordIsNotHeldAndFailsTheCaller() {
    ApprovalBroker b = ApprovalBroker.waiting(Duration.ofMinutes(5), Clock.systemUTC(), (t, d) -> {
      throw new IllegalStateException("disk full");
    });

    assertThatThrownBy(() -> b.await(merge())).hasMessageContaining("disk full");
    assertThat(b.pending()).isEmpty();
  }
}
