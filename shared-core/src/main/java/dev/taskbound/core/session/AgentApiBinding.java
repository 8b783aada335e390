package dev.taskbound.core.session;

import dev.taskbound.core.broker.Secret;
import dev.taskbound.core.broker.UndoRecorder;
import dev.taskbound.core.broker.github.GithubBroker;
import dev.taskbound.core.broker.github.GithubRefresh;
import dev.taskbound.core.egress.InjectedCredentials;
import dev.taskbound.core.evidence.EventType;
import dev.taskbound.core.gate.AccessAction;
import dev.taskbound.core.gate.AccessEvent;
import dev.taskbound.core.gate.AgentApi;
import dev.taskbound.core.gate.AccessRequest;
import dev.taskbound.core.gate.AgentApiConfig;
import dev.taskbound.core.gate.Decision;
import dev.taskbound.core.gate.GateRules;
import dev.taskbound.core.gate.RefreshedToken;
import dev.taskbound.core.gate.SecretProvider;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Connects a session to its {@link AgentApi}: the on-request secrets it serves, the GitHub token
 * refresh, the runtime gate's rules that decide each request ({@code gate.decided}), and an
 * evidence event for every request, granted or not. The secrets and the current
 * token are looked up when the agent asks, because the API starts (with the gateway) before the
 * brokers issue anything.
 */
final class AgentApiBinding {
  private final Map<String, Secret> onRequest;
  private final GateRules gate;
  private final AtomicReference<Secret> githubToken = new AtomicReference<>();
  private final BiConsumer<String, Map<String, ?>> events;
  private final Consumer<Secret> revoked;
  /** Told of each refreshed token before the agent gets it: the masker must know it from then on. */
  private final Consumer<Secret> refreshed;
  /** Issue 15: where the GitHub token is injected by the gateway, and the placeholder the agent holds. */
  private volatile InjectedCredentials injected;
  private volatile String placeholder;
  /** Issue 16: where {@code approve} verdicts wait for a person; null: they are refused. */
  private volatile dev.taskbound.core.gate.ApprovalBroker approvals;
  /** Held by a refresh while it mints; {@link #stopRefreshes()} takes it to wait for one under way. */
  private final Object refreshing = new Object();
  private boolean refreshesStopped;

  /**
   * @param revoked told when a replaced GitHub token was revoked, so that its journal entry is
   *     completed and teardown does not revoke it a second time
   */
  AgentApiBinding(Map<String, Secret> onRequest, GateRules gate, BiConsumer<String, Map<String, ?>> events,
      Consumer<Secret> revoked, Consumer<Secret> refreshed) {
    this.onRequest = onRequest;
    this.gate = gate;
    this.events = events;
    this.revoked = revoked;
    this.refreshed = refreshed;
  }

  /** Starts the API; the refresh endpoint exists only when the session issues a GitHub token; {@code hooks} serves the agent's hooks. */
  AgentApi start(Optional<GithubBroker> github, UndoRecorder undo, dev.taskbound.core.gate.HookHandler hooks) {
    AgentApiConfig.Builder config =
        AgentApiConfig.builder().secrets(secrets()).policy(accessPolicy()).listener(this::record).hooks(hooks)
            .workerThreads(4 + dev.taskbound.core.gate.ApprovalBroker.MAX_PENDING); // waiting approvals hold a worker each
    if (github.isPresent()) {
      config.tokens(() -> refresh(github.get(), undo));
    } else {
      config.noTokens();
    }
    return AgentApi.start(config.build());
  }

  /** Lets {@code approve} verdicts wait for a person's answer on {@code broker} (docs/gate.md, "Approvals"). */
  void approvals(dev.taskbound.core.gate.ApprovalBroker broker) {
    this.approvals = broker;
  }

  /** The GitHub token the agent holds now; a refresh replaces it. */
  void githubTokenIssued(Secret token) {
    githubToken.set(token);
  }

  /**
   * The agent holds {@code placeholder} for the GitHub token (its hosts are inspected): a refresh
   * swaps the real value behind the placeholder in the gateway and hands the agent the same
   * placeholder again, so the real token never enters the sandbox.
   */
  void githubTokenInjected(InjectedCredentials credentials, String placeholder) {
    this.injected = credentials;
    this.placeholder = placeholder;
  }

  private SecretProvider secrets() {
    return new SecretProvider() {
      @Override
      public Optional<Secret> get(String name) {
        synchronized (onRequest) {
          return Optional.ofNullable(onRequest.get(name));
        }
      }

      @Override
      public Set<String> names() {
        synchronized (onRequest) {
          return new TreeSet<>(onRequest.keySet());
        }
      }
    };
  }

  /**
   * The teardown begins: waits for a refresh under way (its token is then journalled, so the
   * teardown revokes it) and refuses every later one. Called before the teardown reads its journal:
   * a token minted after that read would outlive the session unrevoked.
   */
  void stopRefreshes() {
    synchronized (refreshing) {
      refreshesStopped = true;
    }
  }

  private RefreshedToken refresh(GithubBroker broker, UndoRecorder undo) {
    GithubRefresh fresh;
    Secret current;
    synchronized (refreshing) {
      if (refreshesStopped) {
        throw new SessionException("the session is ending: no GitHub token is issued once its teardown has begun",
            dev.taskbound.core.ExitCodes.CREDENTIALS);
      }
      current = githubToken.get();
      if (current == null) {
        throw new IllegalStateException("no GitHub token was issued in this session");
      }
      fresh = broker.refresh(current, undo);
      refreshed.accept(fresh.token().value());
      githubToken.set(fresh.token().value());
    }
    Runnable revokeOld = () -> {
      fresh.revokeOld().run();
      revoked.accept(current);
    };
    InjectedCredentials credentials = injected;
    if (credentials != null && credentials.rebind(placeholder, fresh.token().value())) {
      // The gateway injects the new token from now on; the agent keeps its placeholder.
      return new RefreshedToken(Secret.of(placeholder), fresh.token().expiresAt(), revokeOld);
    }
    return new RefreshedToken(fresh.token().value(), fresh.token().expiresAt(), revokeOld);
  }

  /** {@link #decide(AccessRequest, BooleanSupplier)}, knowing when the agent's client went away. */
  private dev.taskbound.core.gate.AccessPolicy accessPolicy() {
    return new dev.taskbound.core.gate.AccessPolicy() {
      @Override
      public Decision decide(AccessRequest request) {
        return AgentApiBinding.this.decide(request, () -> false);
      }

      @Override
      public Decision decide(AccessRequest request, BooleanSupplier callerGone) {
        return AgentApiBinding.this.decide(request, callerGone);
      }
    };
  }

  /** As below, for a caller that cannot go away (the session itself). */
  Decision decide(AccessRequest request) {
    return decide(request, () -> false);
  }

  /**
   * The runtime gate: the effective {@code gate.rules} decide each authenticated request, and the
   * decision is recorded (with the rule that made it, or the default) before anything is served. An
   * {@code approve} waits for a person, or until {@code callerGone}.
   */
  Decision decide(AccessRequest request, BooleanSupplier callerGone) {
    GateRules.Verdict verdict = gate.decide(request.action().wireName(), request.name());
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("action", verdict.action());
    data.put("name", request.name());
    data.put("decision", verdict.decision().yamlName());
    data.put("rule", verdict.ruleName());
    verdict.source().ifPresent(s -> data.put("rule_source", s));
    events.accept(EventType.GATE_DECIDED.wireName(), data);
    switch (verdict.decision()) {
      case ALLOW:
        return Decision.ALLOW;
      case DENY:
        return Decision.deny("denied by " + verdict.describe());
      case APPROVE:
        return settle(request, verdict, callerGone);
      default:
        throw new AssertionError(verdict.decision());
    }
  }

  /**
   * An {@code approve} verdict: the request waits (on this API worker, one of {@link
   * dev.taskbound.core.gate.ApprovalBroker#MAX_PENDING} kept for waiting) for a person's answer, the
   * approval given before the run, or the timeout; granted is served, anything else refused naming
   * who decided. Without a broker it is refused ({@code 403 approval_required}): fail closed.
   */
  private Decision settle(AccessRequest request, GateRules.Verdict verdict, BooleanSupplier callerGone) {
    String reason = verdict.describe() + " requires a person's approval";
    if (approvals == null) {
      return Decision.needsApproval(reason + "; this session takes no approvals, so the request is refused");
    }
    ApprovalGate.Settled settled = ApprovalGate.settle(approvals, verdict.action(), request.name(), verdict.ruleName(), reason,
        Map.of("source", "agent api"), callerGone);
    return settled.granted() ? Decision.ALLOW : Decision.deny(settled.line());
  }

  private void record(AccessEvent e) {
    boolean refresh = e.action().map(a -> a == AccessAction.GITHUB_TOKEN_REFRESH).orElse(false);
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("name", e.name());
    data.put("outcome", e.outcome().name().toLowerCase(java.util.Locale.ROOT));
    if (refresh && e.outcome() == AccessEvent.Outcome.GRANTED && injected != null && githubToken.get() != null) {
      // The agent got the placeholder: the evidence names the real token the gateway now injects.
      data.put("fingerprint", githubToken.get().fingerprint());
      data.put("injected", true);
    } else {
      e.fingerprint().ifPresent(f -> data.put("fingerprint", f));
    }
    if (!e.detail().isEmpty()) {
      data.put("detail", e.detail());
    }
    events.accept(eventType(e.outcome(), refresh), data);
  }

  private static String eventType(AccessEvent.Outcome outcome, boolean refresh) {
    switch (outcome) {
      case GRANTED:
        return (refresh ? EventType.CREDENTIAL_REFRESHED : EventType.SECRET_ACCESSED).wireName();
      case FAILED:
        return (refresh ? EventType.CREDENTIAL_REFRESH_FAILED : EventType.SECRET_FAILED).wireName();
      case UNAUTHENTICATED:
        return EventType.AGENT_API_UNAUTHENTICATED.wireName();
      default:
        return (refresh ? EventType.CREDENTIAL_REFRESH_DENIED : EventType.SECRET_DENIED).wireName();
    }
  }
}
