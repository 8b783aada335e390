package dev.taskbound.core.egress;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The session's egress proxy: an HTTP proxy on a Unix domain socket that speaks {@code CONNECT
 * host:port} and absolute-form plain HTTP ({@code GET http://host/path}), decides every request
 * with the {@link RuleSet} (default deny, deny beats allow), resolves names itself (policy pins
 * first, then DNS) and dials exactly the address it checked. Every decision goes to the
 * {@link EgressListener}. A denied request gets {@code 403} with a body naming the rule to add.
 *
 * <p>Threading: each listening socket is served by one of the {@link Relay}'s selector threads,
 * which accepts ({@link Acceptor}) and then, without blocking, reads the request head, decides,
 * dials, checks the ClientHello and copies the bytes ({@link ProxyConnection}), as squid's event
 * loop does: a new tunnel wakes one thread, and an open tunnel holds none. Only a name lookup runs
 * on a pooled thread.
 * Connections beyond {@code maxConnections} get {@code 503}. One request per connection (responses
 * carry {@code Connection: close}). Thread-safe; {@link #close()} may be called from any thread.
 */
public final class Gateway implements AutoCloseable {
  /** What a connection needs from its gateway. */
  record Context(
      RuleSet rules,
      Dialer dialer,
      EgressListener listener,
      GatewayOptions options,
      ThreadPoolExecutor pool,
      Relay relay,
      Set<SocketChannel> open,
      Counters counters,
      java.util.function.Consumer<Throwable> fail,
      Inspection inspection,
      RequestActions actions,
      UpstreamPool upstreams) {}

  static final class Counters {
    final AtomicLong connections = new AtomicLong();
    final AtomicLong allowed = new AtomicLong();
    final AtomicLong denied = new AtomicLong();
    final AtomicLong malformed = new AtomicLong();
    final AtomicLong upstreamFailures = new AtomicLong();
  }

  private final Path socketPath;
  private final ServerSocketChannel server;
  private final Context ctx;
  private final Semaphore slots;
  private final ThreadFactory threads;
  /** Checks once a second that the socket file is still the one bound. */
  private final ScheduledExecutorService socketCheck;
  private final Set<ServerSocketChannel> sandboxListeners = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final AtomicBoolean failing = new AtomicBoolean();
  private final AtomicInteger active = new AtomicInteger();
  private final java.util.concurrent.CompletableFuture<Throwable> failure = new java.util.concurrent.CompletableFuture<>();
  private volatile Object socketKey;

  private Gateway(GatewayConfig config, ServerSocketChannel server, Relay relay) {
    this.socketPath = config.socketPath();
    this.server = server;
    GatewayOptions o = config.options();
    this.threads = daemonThreads("taskbound-gateway");
    this.socketCheck = Executors.newSingleThreadScheduledExecutor(daemonThreads("taskbound-gateway-check"));
    // For name lookups only, which block; at most one per connection.
    ThreadPoolExecutor pool =
        new ThreadPoolExecutor(0, o.maxConnections(), 30, TimeUnit.SECONDS, new SynchronousQueue<>(), threads);
    this.ctx =
        new Context(
            config.rules(),
            new Dialer(config.pinnedAddresses(), o.resolver(), o.guard(), o.connectTimeout(), o.allowPrivateAddresses()),
            config.listener(),
            o,
            pool,
            relay,
            ConcurrentHashMap.newKeySet(),
            new Counters(),
            this::fail,
            config.inspection(),
            config.inspection().hosts().isEmpty() ? null
                : RequestActions.shipped().withGithubEnterprise(config.inspection().githubEnterprise()),
            new UpstreamPool());
    this.slots = new Semaphore(o.maxConnections());
  }

  /**
   * Binds the socket (mode 0600) and starts accepting before returning.
   *
   * @throws GatewayException if the socket cannot be bound (the file exists, the directory is
   *     missing or not writable, the path is too long for a Unix socket)
   * @throws EgressRuleException if a host pin is invalid
   */
  public static Gateway start(GatewayConfig config) {
    ServerSocketChannel server = null;
    Relay relay = null;
    try {
      server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
      server.bind(UnixDomainSocketAddress.of(config.socketPath()), 128);
      Files.setPosixFilePermissions(config.socketPath(), PosixFilePermissions.fromString("rw-------"));
      relay = Relay.start("taskbound-gateway-relay", Relay.defaultThreads());
      Gateway g = new Gateway(config, server, relay);
      g.socketKey = fileKey(config.socketPath());
      // A relay thread that dies leaves its connections unserved: fail, so they are refused.
      relay.onThreadFailure(e -> g.fail(new IOException("a gateway relay thread failed", e)));
      g.accept(server);
      g.socketCheck.scheduleWithFixedDelay(g::checkSocket, 1, 1, TimeUnit.SECONDS);
      return g;
    } catch (IOException | RuntimeException e) {
      if (relay != null) {
        relay.close();
      }
      if (server != null) {
        try {
          server.close();
        } catch (IOException suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      if (e instanceof EgressRuleException) {
        throw (EgressRuleException) e;
      }
      throw new GatewayException(
          "cannot start the egress gateway on " + config.socketPath() + ": " + e + "; the path must be a new file"
              + " in an existing, writable directory and at most 107 bytes long",
          e);
    }
  }

  /** The socket clients connect to. */
  public Path socketPath() {
    return socketPath;
  }

  /** A snapshot of the counters. */
  public GatewayStats stats() {
    Counters c = ctx.counters();
    return new GatewayStats(
        c.connections.get(), c.allowed.get(), c.denied.get(), c.malformed.get(), c.upstreamFailures.get(), active.get());
  }

  /** Accepts on {@code listener} from a relay thread until it or the gateway is closed. */
  private void accept(ServerSocketChannel listener) {
    boolean tcp;
    try {
      tcp = listener.getLocalAddress() instanceof java.net.InetSocketAddress;
    } catch (IOException e) {
      closeListener(listener); // closed already
      return;
    }
    Acceptor acceptor = new Acceptor(listener, tcp, new Acceptor.Sink() {
      @Override
      public void accepted(SocketChannel client, Relay.Loop loop) {
        admit(client, loop);
      }

      @Override
      public void closed(ServerSocketChannel which) {
        if (which == server) {
          if (!closed.get()) {
            fail(new IOException("the gateway's listening socket was closed"));
          }
        } else {
          closeListener(which); // its sandbox ended
        }
      }

      @Override
      public void failed(ServerSocketChannel which, IOException cause) {
        fail(cause); // a persistent accept error (e.g. out of file descriptors): stop rather than spin
      }
    });
    ctx.relay().execute(new Relay.Task() {
      @Override
      public void run(Relay.Loop loop) {
        acceptor.start(loop);
      }

      @Override
      public void rejected() {
        closeListener(listener); // the gateway is closing
      }
    });
  }

  /**
   * Serves every connection accepted on {@code listener} as if it had arrived on the gateway's own
   * socket, until the listener or the gateway is closed: a sandbox hands its listening socket over
   * this way, so the agent's connections reach the gateway without a relay in between. The
   * listener's owner closes it when its sandbox ends (the gateway lets go of it within
   * {@code Acceptor.CHECK_EVERY}, 500 ms); the gateway closes it when the gateway closes (at once,
   * if it already has).
   */
  public void serveFrom(ServerSocketChannel listener) {
    java.util.Objects.requireNonNull(listener, "listener");
    sandboxListeners.add(listener);
    if (closed.get()) {
      closeListener(listener);
      return;
    }
    accept(listener);
  }

  private void closeListener(ServerSocketChannel listener) {
    if (listener == server) {
      return; // closed by shutdown
    }
    sandboxListeners.remove(listener);
    try {
      listener.close();
    } catch (IOException e) {
      // closing anyway
    }
  }

  /**
   * Serves one client connection accepted somewhere other than the gateway's own socket, exactly
   * as if it had arrived there (limits, decisions, relay); {@link #serveFrom} does so for every
   * connection on a listener. The gateway owns the channel from now on; after {@link #close()} it
   * is closed at once.
   */
  public void serve(SocketChannel client) {
    java.util.Objects.requireNonNull(client, "client");
    if (closed.get()) {
      ProxyConnection.closeQuietly(client);
      return;
    }
    ctx.relay().execute(new Relay.Task() {
      @Override
      public void run(Relay.Loop loop) {
        admit(client, loop);
      }

      @Override
      public void rejected() {
        ProxyConnection.closeQuietly(client); // the gateway is closing
      }
    });
  }

  /** On a relay thread: takes a slot (or answers 503) and serves the connection there. */
  private void admit(SocketChannel client, Relay.Loop loop) {
    ctx.counters().connections.incrementAndGet();
    if (!slots.tryAcquire()) {
      ProxyConnection.event(ctx, GatewayEvents.TOO_MANY_CONNECTIONS, "", 0,
          "more than " + ctx.options().maxConnections() + " connections at once; answered 503");
      refuseBusy(client);
      return;
    }
    ctx.open().add(client);
    active.incrementAndGet();
    new ProxyConnection(client, ctx, loop, () -> release(client)).start();
  }

  private void release(SocketChannel client) {
    if (ctx.open().remove(client)) {
      active.decrementAndGet();
      slots.release();
    }
  }

  private void refuseBusy(SocketChannel client) {
    try (client) {
      client.write(
          ByteBuffer.wrap(
              ("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                  .getBytes(StandardCharsets.ISO_8859_1)));
    } catch (IOException e) {
      // the client is gone
    }
  }

  /**
   * Registers a callback run once, on a gateway thread, if the gateway stops serving for any reason
   * other than {@link #close()}: the accept loop failed, or the socket file was deleted or
   * replaced. The gateway has then already closed every connection (it fails closed: the agent's
   * connections fail). Registered after a failure, the callback runs at once on the caller's
   * thread. The session uses this to record the failure and fail the job.
   *
   * @param callback receives the cause; must not block
   */
  public void onFailure(java.util.function.Consumer<Throwable> callback) {
    java.util.Objects.requireNonNull(callback, "callback");
    failure.thenAccept(callback);
  }

  /**
   * Whether the gateway is accepting connections: not closed, not failed, and its socket file is
   * the one it bound.
   */
  public boolean isServing() {
    return !closed.get() && !failure.isDone() && server.isOpen() && java.util.Objects.equals(socketKey, fileKey(socketPath));
  }

  /** The failure that stopped the gateway, if it failed (empty after a plain {@link #close()}). */
  public java.util.Optional<Throwable> failure() {
    return java.util.Optional.ofNullable(failure.getNow(null));
  }

  private void checkSocket() {
    if (!closed.get() && !java.util.Objects.equals(socketKey, fileKey(socketPath))) {
      fail(new IOException("the gateway's socket file " + socketPath + " was deleted or replaced"));
    }
  }

  private void fail(Throwable cause) {
    // Once: recording the failure may itself fail, and would come back here.
    if (closed.get() || failure.isDone() || !failing.compareAndSet(false, true)) {
      return;
    }
    ProxyConnection.event(ctx, GatewayEvents.GATEWAY_FAILED, "", 0, "the gateway stopped: " + cause);
    Thread closer = new Thread(() -> {
      shutdown(false);
      failure.complete(cause);
    }, "taskbound-gateway-failed");
    closer.setDaemon(true);
    closer.start();
  }

  private static Object fileKey(Path p) {
    try {
      return Files.readAttributes(p, java.nio.file.attribute.BasicFileAttributes.class, java.nio.file.LinkOption.NOFOLLOW_LINKS).fileKey();
    } catch (IOException e) {
      return null;
    }
  }

  /**
   * Stops accepting, closes every open client and upstream connection and deletes the socket
   * file. Idempotent.
   */
  @Override
  public void close() {
    shutdown(true);
  }

  private void shutdown(boolean deleteSocket) {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    try {
      server.close();
    } catch (IOException e) {
      // closing anyway
    }
    sandboxListeners.forEach(this::closeListener);
    ctx.relay().close();
    if (ctx.inspection().ca() != null) {
      ctx.inspection().ca().close(); // the session CA's key dies with the gateway
    }
    for (SocketChannel ch : ctx.open()) {
      ProxyConnection.closeQuietly(ch);
    }
    ctx.upstreams().close();
    ctx.pool().shutdownNow();
    socketCheck.shutdownNow();
    try {
      ctx.pool().awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      if (deleteSocket || java.util.Objects.equals(socketKey, fileKey(socketPath))) {
        Files.deleteIfExists(socketPath); // never delete a socket someone else put there
      }
    } catch (IOException e) {
      // the directory is removed with the session anyway
    }
  }

  private static ThreadFactory daemonThreads(String name) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
