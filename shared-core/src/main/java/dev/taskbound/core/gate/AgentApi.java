package dev.taskbound.core.gate;

import com.sun.net.httpserver.HttpServer;
import dev.taskbound.core.broker.Secret;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The session's agent API: a small HTTP/1.1 JSON server on the host's {@code 127.0.0.1}, at an
 * ephemeral port, that the agent reaches only through the session's gateway as {@code
 * http://taskbound.internal:<port>}. It serves on-request secrets ({@code GET
 * /v1/secrets/{name}}) and GitHub token refresh ({@code POST /v1/github/token}). Every request
 * must carry {@code Authorization: Bearer <capability>}, a random 256-bit value made at {@link
 * #start} and handed to the agent in {@code TASKBOUND_AGENT_TOKEN}; anything else gets {@code
 * 401}. Hook events ({@code POST /v1/hooks/{agent}}) take a second capability of their own,
 * {@link #hookCapability()}, and only it. Each authenticated request is put to the {@link AccessPolicy}, and each outcome goes to
 * the {@link AccessListener} before any value is sent. See {@code docs/agent-api.md}.
 *
 * <p>Thread-safe. {@link #close()} stops the server at once and is idempotent.
 */
public final class AgentApi implements AutoCloseable {
  /** The name the agent uses; the session pins it to {@code 127.0.0.1} in the gateway. */
  public static final String HOST = "taskbound.internal";
  /** The agent's variable holding the API's base URL, {@code http://taskbound.internal:<port>}. */
  public static final String ENV_API = "TASKBOUND_AGENT_API";
  /** The agent's variable holding the capability. */
  public static final String ENV_TOKEN = "TASKBOUND_AGENT_TOKEN";
  /** Every capability starts with this, so maskers and scanners can recognise one. */
  public static final String CAPABILITY_PREFIX = "tbcap_";
  /** Every hook capability starts with this: it is accepted on {@code /v1/hooks/*} only. */
  public static final String HOOK_CAPABILITY_PREFIX = "tbhook_";

  private final HttpServer server;
  private final ExecutorService workers;
  private final Secret capability;
  private final Secret hookCapability;
  private final AtomicBoolean closed = new AtomicBoolean();

  private AgentApi(HttpServer server, ExecutorService workers, Secret capability, Secret hookCapability) {
    this.server = server;
    this.workers = workers;
    this.capability = capability;
    this.hookCapability = hookCapability;
  }

  /**
   * Binds {@code 127.0.0.1:0}, makes a fresh capability and starts serving.
   *
   * @throws AgentApiException if the loopback port cannot be bound
   */
  public static AgentApi start(AgentApiConfig config) {
    Objects.requireNonNull(config, "config");
    Secret capability = newCapability(CAPABILITY_PREFIX);
    Secret hookCapability = newCapability(HOOK_CAPABILITY_PREFIX);
    HttpServer server;
    try {
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
    } catch (IOException e) {
      throw new AgentApiException("the agent API could not listen on 127.0.0.1: " + e.getMessage(), e);
    }
    ExecutorService workers = Executors.newFixedThreadPool(config.workerThreads(), daemonThreads());
    server.setExecutor(workers);
    server.createContext("/", new ApiHandler(config, capability, hookCapability));
    server.start();
    return new AgentApi(server, workers, capability, hookCapability);
  }

  private static Secret newCapability(String prefix) {
    byte[] bytes = new byte[32];
    new SecureRandom().nextBytes(bytes);
    return Secret.of(prefix + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes));
  }

  private static java.util.concurrent.ThreadFactory daemonThreads() {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, "taskbound-agent-api-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  /** The loopback port the API listens on. */
  public int port() {
    return server.getAddress().getPort();
  }

  /** The bearer capability every request must carry. Give it to the agent only. */
  public Secret capability() {
    return capability;
  }

  /**
   * The capability the agent's hook command carries: accepted on {@code /v1/hooks/*} only, where
   * the agent's own {@link #capability()} is refused. The session places it for the hook (never in
   * the agent's environment); see docs/hooks.md for what this does and does not keep from the agent.
   */
  public Secret hookCapability() {
    return hookCapability;
  }

  /** {@code http://taskbound.internal:<port>}: the base URL the agent uses through the gateway. */
  public String agentUrl() {
    return "http://" + HOST + ":" + port();
  }

  /** The egress allow rule the session adds: {@code taskbound.internal:<port>}. */
  public String allowRule() {
    return HOST + ":" + port();
  }

  /** The gateway host pin the session adds: {@code taskbound.internal -> 127.0.0.1}. */
  public Map<String, String> hostPin() {
    return Map.of(HOST, "127.0.0.1");
  }

  /**
   * The agent's variables: {@code TASKBOUND_AGENT_API} and {@code TASKBOUND_AGENT_TOKEN}. The
   * second holds the capability: give the map to the sandbox only, and log its keys only.
   */
  public Map<String, String> agentEnvironment() {
    return Map.of(ENV_API, agentUrl(), ENV_TOKEN, capability.reveal());
  }

  /** Stops accepting, drops open exchanges and ends the worker threads. Idempotent. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    server.stop(0);
    workers.shutdownNow();
  }

  @Override
  public String toString() {
    return "AgentApi[127.0.0.1:" + port() + ", capability " + capability.fingerprint() + "]";
  }
}
