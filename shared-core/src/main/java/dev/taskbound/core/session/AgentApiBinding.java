package dev.taskbound.core.session;

import dev.taskbound.core.broker.Secret;
import dev.taskbound.core.broker.UndoRecorder;
import dev.taskbound.core.broker.github.GithubBroker;
import dev.taskbound.core.broker.github.GithubRefresh;
import dev.taskbound.core.gate.AccessAction;
import dev.taskbound.core.gate.AccessEvent;
import dev.taskbound.core.gate.AgentApi;
import dev.taskbound.core.gate.AgentApiConfig;
import dev.taskbound.core.gate.RefreshedToken;
import dev.taskbound.core.gate.SecretProvider;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * Connects a session to its {@link AgentApi}: the on-request secrets it serves, the GitHub token
 * refresh, and an evidence event for every request, granted or not. The secrets and the current
 * token are looked up when the agent asks, because the API starts (with the gateway) before the
 * brokers issue anything.
 */
final class AgentApiBinding {
  private final Map<String, Secret> onRequest;
  private final AtomicReference<Secret> githubToken = new AtomicReference<>();
  private final BiConsumer<String, Map<String, ?>> events;
  private final Consumer<Secret> revoked;

  /**
   * @param revoked told when a replaced GitHub token was revoked, so that its journal entry is
   *     completed and teardown does not revoke it a second time
   */
  AgentApiBinding(Map<String, Secret> onRequest, BiConsumer<String, Map<String, ?>> events, Consumer<Secret> revoked) {
    this.onRequest = onRequest;
    this.events = events;
    this.revoked = revoked;
  }

  /** Starts the API; the refresh endpoint exists only when the session issues a GitHub token. */
  AgentApi start(Optional<GithubBroker> github, UndoRecorder undo) {
    AgentApiConfig.Builder config = AgentApiConfig.builder().secrets(secrets()).listener(this::record);
    if (github.isPresent()) {
      config.tokens(() -> refresh(github.get(), undo));
    } else {
      config.noTokens();
    }
    return AgentApi.start(config.build());
  }

  /** The GitHub token the agent holds now; a refresh replaces it. */
  void githubTokenIssued(Secret token) {
    githubToken.set(token);
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

  private RefreshedToken refresh(GithubBroker broker, UndoRecorder undo) {
    Secret current = githubToken.get();
    if (current == null) {
      throw new IllegalStateException("no GitHub token was issued in this session");
    }
    GithubRefresh fresh = broker.refresh(current, undo);
    githubToken.set(fresh.token().value());
    Runnable revokeOld = () -> {
      fresh.revokeOld().run();
      revoked.accept(current);
    };
    return new RefreshedToken(fresh.token().value(), fresh.token().expiresAt(), revokeOld);
  }

  private void record(AccessEvent e) {
    boolean refresh = e.action().map(a -> a == AccessAction.GITHUB_TOKEN_REFRESH).orElse(false);
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("name", e.name());
    data.put("outcome", e.outcome().name().toLowerCase(java.util.Locale.ROOT));
    e.fingerprint().ifPresent(f -> data.put("fingerprint", f));
    if (!e.detail().isEmpty()) {
      data.put("detail", e.detail());
    }
    events.accept(eventType(e.outcome(), refresh), data);
  }

  private static String eventType(AccessEvent.Outcome outcome, boolean refresh) {
    switch (outcome) {
      case GRANTED:
        return refresh ? "credential.refreshed" : "secret.accessed";
      case FAILED:
        return refresh ? "credential.refresh_failed" : "secret.failed";
      case UNAUTHENTICATED:
        return "agent_api.unauthenticated";
      default:
        return refresh ? "credential.refresh_denied" : "secret.denied";
    }
  }
}
