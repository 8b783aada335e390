package dev.taskbound.core.gate;

import dev.taskbound.core.evidence.EventType;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Holds the requests whose gate decision is {@code approve} until a person answers (docs/gate.md,
 * "Approvals"): {@link #await} records {@code approval.requested} and blocks the caller (the hook's
 * or gate check's API worker, an inspected request) until {@link #answer} is called through a channel
 * (the session's approvals socket, the launcher's terminal, a Jenkins button) or the policy's timeout
 * passes, which denies the request as {@code expired}. Every outcome is recorded ({@code
 * approval.granted}, {@code approval.denied}, {@code approval.expired}) with who, when, the channel
 * and the reason, before the caller is released.
 *
 * <p>A host that cannot pause for a person (GitHub Actions) uses {@link #beforeRun}: each request is
 * settled at once, granted only by an approval given before the run (the job's environment).
 *
 * <p>Identical requests (equal {@link Request}s: same action, target, rule, reason and links, so the
 * same caller) that wait at once are one request: the later callers join the first, are answered
 * with it, and record nothing of their own. A request whose every caller has gone (the caller's
 * {@code callerGone} says so; it is asked about once a second) is settled as {@code withdrawn}.
 *
 * <p>Thread-safe. {@link #close} settles whatever still waits as expired (the session is ending).
 */
public final class ApprovalBroker implements AutoCloseable {
  /**
   * At most this many callers wait at once, joined or not (each holds a worker of the agent API or the
   * gateway); more are denied at once, so a flood cannot pin the workers other traffic needs.
   */
  public static final int MAX_PENDING = 16;
  /** How often a waiting caller is checked for having gone. */
  private static final Duration CALLER_CHECK = Duration.ofSeconds(1);

  /**
   * What needs approval.
   *
   * @param action the gate action ({@code git.push}, {@code tool.bash})
   * @param target what it acts on (a ref, a command line summarised, masked); {@code ""} for none
   * @param reason the gate's reason, and why the agent wants it
   * @param rule the rule that asked for approval
   * @param links what led to it: {@code tool_call}, {@code prompt}, {@code source} ({@code hook PreToolUse},
   *     {@code gate check}, {@code egress.request}), {@code host}
   */
  public record Request(String action, String target, String reason, String rule, Map<String, String> links) {
    public Request {
      Objects.requireNonNull(action, "action");
      Objects.requireNonNull(target, "target");
      Objects.requireNonNull(reason, "reason");
      Objects.requireNonNull(rule, "rule");
      links = Map.copyOf(links);
    }
  }

  /** A request waiting for an answer, as channels list it. */
  public record Pending(String id, Request request, Instant requestedAt, Instant expiresAt) {}

  /** How a request ended. */
  public enum Outcome {
    GRANTED, DENIED, EXPIRED,
    /** Every caller went away (disconnected) before anyone answered. */
    WITHDRAWN;

    /** The evidence event that records it. */
    EventType event() {
      return switch (this) {
        case GRANTED -> EventType.APPROVAL_GRANTED;
        case DENIED -> EventType.APPROVAL_DENIED;
        case EXPIRED -> EventType.APPROVAL_EXPIRED;
        case WITHDRAWN -> EventType.APPROVAL_WITHDRAWN;
      };
    }
  }

  /**
   * The answer to one request.
   *
   * @param id the request's id ({@code approval-1})
   * @param outcome granted, denied or expired
   * @param who who answered: an OS user ({@code alice}), a Jenkins user, {@code github-environment:NAME},
   *     or {@code taskbound} for an expiry or a refusal of the session's own
   * @param channel {@code cli}, {@code terminal}, {@code jenkins}, {@code github-environment}, {@code timeout}, ...
   * @param reason what the person gave, or why it was settled so
   * @param at when
   */
  public record Answer(String id, Outcome outcome, String who, String channel, String reason, Instant at) {
    public boolean granted() {
      return outcome == Outcome.GRANTED;
    }

    /** One line for the agent: {@code approval-1 granted by alice (cli): looks fine}. */
    public String describe() {
      return id + " " + outcome.name().toLowerCase(java.util.Locale.ROOT) + " by " + who + " (" + channel + ")"
          + (reason.isEmpty() ? "" : ": " + reason);
    }
  }

  /**
   * An approval given before the run, for hosts that cannot pause (GitHub Actions): the job ran in
   * {@code environment} (empty: none, or not verified), which counts when the policy names it.
   *
   * @param environment the job's environment, checked by the host (the OIDC token's claim)
   * @param accepted the policy's {@code gate.approval.environments}
   * @param actor who started the run, when known ({@code ""} otherwise)
   */
  public record BeforeRun(Optional<String> environment, List<String> accepted, String actor) {
    public BeforeRun {
      Objects.requireNonNull(environment, "environment");
      accepted = List.copyOf(accepted);
      Objects.requireNonNull(actor, "actor");
    }
  }

  /** One waiting request and how many callers wait for it (guarded by the broker's lock). */
  private static final class Waiting {
    private final Pending pending;
    private final CompletableFuture<Answer> answer = new CompletableFuture<>();
    private int callers = 1;

    Waiting(Pending pending) {
      this.pending = pending;
    }

    Pending pending() {
      return pending;
    }

    CompletableFuture<Answer> answer() {
      return answer;
    }
  }

  private final Duration timeout;
  private final Clock clock;
  private final BiConsumer<String, Map<String, ?>> events;
  private final Optional<BeforeRun> beforeRun;
  private final Map<String, Waiting> waiting = new LinkedHashMap<>();
  private final List<Consumer<Pending>> watchers = new CopyOnWriteArrayList<>();
  private int next;
  /** Callers blocked in {@link #await} now, joined ones included: at most {@link #MAX_PENDING}. */
  private int callers;
  private boolean closed;

  private ApprovalBroker(Duration timeout, Clock clock, BiConsumer<String, Map<String, ?>> events, Optional<BeforeRun> beforeRun) {
    this.timeout = Objects.requireNonNull(timeout, "timeout");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.events = Objects.requireNonNull(events, "events");
    this.beforeRun = beforeRun;
  }

  /**
   * A broker whose requests wait up to {@code timeout} for a person.
   *
   * @param events records an event (type, data); a failure propagates to the caller, which fails closed
   */
  public static ApprovalBroker waiting(Duration timeout, Clock clock, BiConsumer<String, Map<String, ?>> events) {
    return new ApprovalBroker(timeout, clock, events, Optional.empty());
  }

  /** A broker that never waits: each request is settled by {@code approval} given before the run. */
  public static ApprovalBroker beforeRun(BeforeRun approval, Clock clock, BiConsumer<String, Map<String, ?>> events) {
    return new ApprovalBroker(Duration.ofSeconds(1), clock, events, Optional.of(approval));
  }

  /** How long a request waits. */
  public Duration timeout() {
    return timeout;
  }

  /** Calls {@code watcher} (on the requesting thread) for each new waiting request: a terminal prompt. */
  public void watch(Consumer<Pending> watcher) {
    watchers.add(Objects.requireNonNull(watcher, "watcher"));
  }

  /** As {@link #await(Request, BooleanSupplier)} for a caller that cannot tell when it has gone. */
  public Answer await(Request request) throws InterruptedException {
    return await(request, () -> false);
  }

  /**
   * Records the request and waits for its answer: a person's, {@code expired} after the timeout, or
   * {@code withdrawn} once {@code callerGone} says the caller went away. Joins an identical request
   * that waits already instead of recording a second one. Never returns a grant the evidence does not
   * hold.
   *
   * @param callerGone whether the caller has gone (its connection closed); asked about once a second
   *     on this thread; an exception counts as "still there"
   * @throws RuntimeException if the evidence could not record the request or its answer (the caller
   *     must then refuse the action)
   */
  public Answer await(Request request, BooleanSupplier callerGone) throws InterruptedException {
    Objects.requireNonNull(request, "request");
    Objects.requireNonNull(callerGone, "callerGone");
    Instant now = clock.instant();
    Waiting w = null;
    Waiting joined = null;
    String refusal = null;
    synchronized (this) {
      boolean full = callers >= MAX_PENDING;
      if (!closed && beforeRun.isEmpty() && !full) {
        for (Waiting same : waiting.values()) {
          if (same.pending().request().equals(request) && !same.answer().isDone()) {
            same.callers++;
            callers++;
            joined = same;
            break;
          }
        }
      }
      if (joined == null) {
        w = new Waiting(new Pending("approval-" + ++next, request, now, now.plus(timeout)));
        if (closed) {
          refusal = "the session is ending";
        } else if (beforeRun.isEmpty() && full) {
          refusal = "too many requests wait for approval (" + MAX_PENDING + "); answer those first";
        } else if (beforeRun.isEmpty()) {
          waiting.put(w.pending().id(), w);
          callers++;
        }
      }
    }
    if (joined != null) {
      return waitFor(joined, callerGone); // answered with the first caller's request
    }
    try {
      recordRequested(w.pending());
    } catch (RuntimeException e) {
      synchronized (this) {
        if (waiting.remove(w.pending().id()) != null) {
          callers--;
        }
      }
      throw e;
    }
    if (refusal != null) {
      return settle(w, Outcome.DENIED, "taskbound", "session", refusal);
    }
    if (beforeRun.isPresent()) {
      return settleBeforeRun(w, beforeRun.get());
    }
    for (Consumer<Pending> watcher : watchers) {
      try {
        watcher.accept(w.pending());
      } catch (RuntimeException e) {
        // a prompt that fails is one channel less; the others (and the timeout) still answer
      }
    }
    return waitFor(w, callerGone);
  }

  /**
   * Blocks one caller of {@code w} (counted in {@link #callers} by the caller) until it is answered,
   * expires, or this caller goes; the last caller to go withdraws the request. Called without the
   * broker's lock held.
   */
  private Answer waitFor(Waiting w, BooleanSupplier callerGone) throws InterruptedException {
    boolean counted = true;
    // the deadline on the monotonic clock: the session's clock only dates the events
    long end = System.nanoTime() + Duration.between(clock.instant(), w.pending().expiresAt()).toNanos();
    try {
      while (true) {
        long left = end - System.nanoTime();
        if (left <= 0) {
          return settle(w, Outcome.EXPIRED, "taskbound", "timeout",
              "nobody answered within " + dev.taskbound.core.policy.DurationFormat.format(timeout) + " (gate.approval.timeout)");
        }
        try {
          return w.answer().get(Math.min(left, CALLER_CHECK.toNanos()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
          if (!gone(callerGone)) {
            continue;
          }
          boolean last;
          synchronized (this) {
            last = w.callers <= 1;
            if (!last) { // the others still wait: this caller leaves quietly
              w.callers--;
              callers--;
              counted = false;
            }
          }
          if (last) {
            return settle(w, Outcome.WITHDRAWN, "taskbound", "caller-gone",
                "the caller went away (disconnected) before anyone answered");
          }
          return new Answer(w.pending().id(), Outcome.WITHDRAWN, "taskbound", "caller-gone",
              "this caller went away; the request still waits for the others", clock.instant());
        }
      }
    } catch (ExecutionException e) {
      throw new IllegalStateException("an approval answer failed", e.getCause());
    } catch (InterruptedException e) {
      settle(w, Outcome.EXPIRED, "taskbound", "interrupted", "the waiting request was interrupted");
      throw e;
    } finally {
      if (counted) {
        synchronized (this) {
          w.callers--;
          callers--;
        }
      }
    }
  }

  private static boolean gone(BooleanSupplier callerGone) {
    try {
      return callerGone.getAsBoolean();
    } catch (RuntimeException e) {
      return false;
    }
  }

  private Answer settleBeforeRun(Waiting w, BeforeRun b) {
    if (b.environment().isPresent() && b.accepted().contains(b.environment().get())) {
      String who = "github-environment:" + b.environment().get() + (b.actor().isEmpty() ? "" : " (run by " + b.actor() + ")");
      return settle(w, Outcome.GRANTED, who, "github-environment",
          "approved before the run by the protection rules of the job's environment '" + b.environment().get() + "'");
    }
    String why = b.environment().isEmpty()
        ? "the job ran in no (verified) environment"
        : "the job's environment '" + b.environment().get() + "' is not in gate.approval.environments ("
            + (b.accepted().isEmpty() ? "none" : String.join(", ", b.accepted())) + ")";
    return settle(w, Outcome.DENIED, "taskbound", "github-environment",
        "GitHub Actions cannot pause a step for a person, so an approve rule is satisfied only by an approval given before"
            + " the run (the job's environment protection rules): " + why + "; run the job in an environment the policy"
            + " names under gate.approval.environments, with the action's 'environment' input and oidc-audience set");
  }

  /**
   * Answers the waiting request {@code id}.
   *
   * @param who the authenticated person (the channel vouches for it: the socket's peer user, the Jenkins user)
   * @return the recorded answer; empty if no such request waits (unknown, or already answered or expired)
   * @throws RuntimeException if the evidence could not record the answer (the request then stays waiting)
   */
  public Optional<Answer> answer(String id, boolean grant, String who, String channel, String reason) {
    Waiting w;
    synchronized (this) {
      w = waiting.get(id);
    }
    if (w == null) {
      return Optional.empty();
    }
    Answer a = settle(w, grant ? Outcome.GRANTED : Outcome.DENIED, who, channel, reason);
    return a.outcome() == (grant ? Outcome.GRANTED : Outcome.DENIED) && a.who().equals(who) && a.channel().equals(channel)
        ? Optional.of(a) : Optional.empty();
  }

  /** How many callers wait now, those joined to an identical request included (at most {@link #MAX_PENDING}). */
  public synchronized int callers() {
    return callers;
  }

  /**
   * How many callers wait for request {@code id} now (identical requests joined to it included), 0 if
   * it waits no more: a person sees it, since one answer releases them all.
   */
  public synchronized int callersOf(String id) {
    Waiting w = waiting.get(id);
    return w == null ? 0 : w.callers;
  }

  /** The requests waiting now, oldest first. */
  public synchronized List<Pending> pending() {
    List<Pending> out = new ArrayList<>();
    waiting.values().forEach(w -> out.add(w.pending()));
    return out;
  }

  /**
   * Settles {@code w} once: the first settle records its event and completes the future; a later one
   * returns the first's answer. Recording happens under the request's own lock, so no two outcomes are
   * recorded for one request, and the caller is released only after the evidence holds the outcome.
   */
  private Answer settle(Waiting w, Outcome outcome, String who, String channel, String reason) {
    synchronized (w) {
      if (w.answer().isDone()) {
        return w.answer().join();
      }
      Answer a = new Answer(w.pending().id(), outcome, who, channel, reason, clock.instant());
      Map<String, Object> data = new LinkedHashMap<>();
      data.put("request", a.id());
      data.put("action", w.pending().request().action());
      data.put("target", w.pending().request().target());
      data.put("who", who);
      data.put("channel", channel);
      data.put("reason", reason);
      data.put("at", a.at().toString());
      w.pending().request().links().forEach(data::putIfAbsent);
      int callersNow;
      boolean listed;
      synchronized (this) {
        callersNow = w.callers;
        // no caller joins a request whose outcome is being recorded: the outcome predates it
        listed = waiting.remove(a.id()) != null;
      }
      if (callersNow > 1) {
        data.put("callers", callersNow); // identical requests answered as one
      }
      try {
        events.accept(outcome.event().wireName(), data);
      } catch (RuntimeException e) {
        if (listed) {
          boolean ended;
          synchronized (this) {
            ended = closed;
            if (!ended) {
              waiting.put(a.id(), w); // still waiting: the timeout or the session's end settles it
            }
          }
          if (ended) { // close() has passed it by: released as its end would have (a refusal, never a grant)
            w.answer().complete(new Answer(a.id(), Outcome.EXPIRED, "taskbound", "session-end",
                "the session ended before anyone answered", clock.instant()));
          }
        }
        throw e;
      }
      w.answer().complete(a);
      return a;
    }
  }

  private void recordRequested(Pending p) {
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("request", p.id());
    data.put("action", p.request().action());
    data.put("target", p.request().target());
    data.put("reason", p.request().reason());
    data.put("rule", p.request().rule());
    data.put("expires_at", p.expiresAt().toString());
    data.put("mode", beforeRun.isPresent() ? "before-run" : "wait");
    p.request().links().forEach(data::putIfAbsent);
    events.accept(EventType.APPROVAL_REQUESTED.wireName(), data);
  }

  /** Settles every waiting request as expired (the session is ending) and refuses new ones. Idempotent. */
  @Override
  public void close() {
    List<Waiting> left;
    synchronized (this) {
      closed = true;
      left = List.copyOf(waiting.values());
    }
    for (Waiting w : left) {
      try {
        settle(w, Outcome.EXPIRED, "taskbound", "session-end", "the session ended before anyone answered");
      } catch (RuntimeException e) {
        w.answer().complete(new Answer(w.pending().id(), Outcome.EXPIRED, "taskbound", "session-end",
            "the session ended before anyone answered", clock.instant()));
      }
    }
  }
}
