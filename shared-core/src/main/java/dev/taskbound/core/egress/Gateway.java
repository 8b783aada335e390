package dev.taskbound.core.egress;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
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
 * <p>Threading: one blocking thread per connection, plus one more per connection while it relays
 * in both directions, from a pool bounded by {@code 2 * maxConnections}; connections beyond
 * {@code maxConnections} get {@code 503}. One request per connection (responses carry
 * {@code Connection: close}). Thread-safe; {@link #close()} may be called from any thread.
 */
public final class Gateway implements AutoCloseable {
  /** What a connection needs from its gateway. */
  record Context(
      RuleSet rules,
      Dialer dialer,
      EgressListener listener,
      GatewayOptions options,
      ScheduledExecutorService scheduler,
      ThreadPoolExecutor pool,
      Set<SocketChannel> open,
      Counters counters) {}

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
  private final Thread acceptor;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final AtomicInteger active = new AtomicInteger();

  private Gateway(GatewayConfig config, ServerSocketChannel server) {
    this.socketPath = config.socketPath();
    this.server = server;
    GatewayOptions o = config.options();
    ThreadFactory threads = daemonThreads("taskbound-gateway");
    ThreadPoolExecutor pool =
        new ThreadPoolExecutor(0, 2 * o.maxConnections(), 30, TimeUnit.SECONDS, new SynchronousQueue<>(), threads);
    this.ctx =
        new Context(
            config.rules(),
            new Dialer(config.pinnedAddresses(), o.resolver(), o.guard(), o.connectTimeout()),
            config.listener(),
            o,
            Executors.newSingleThreadScheduledExecutor(daemonThreads("taskbound-gateway-timer")),
            pool,
            ConcurrentHashMap.newKeySet(),
            new Counters());
    this.slots = new Semaphore(o.maxConnections());
    this.acceptor = threads.newThread(this::acceptLoop);
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
    try {
      server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
      server.bind(UnixDomainSocketAddress.of(config.socketPath()), 128);
      Files.setPosixFilePermissions(config.socketPath(), PosixFilePermissions.fromString("rw-------"));
      Gateway g = new Gateway(config, server);
      g.acceptor.start();
      return g;
    } catch (IOException | RuntimeException e) {
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

  private void acceptLoop() {
    while (!closed.get()) {
      SocketChannel client;
      try {
        client = server.accept();
      } catch (ClosedChannelException e) {
        return;
      } catch (IOException e) {
        if (closed.get()) {
          return;
        }
        continue; // e.g. the client vanished between connect and accept
      }
      ctx.counters().connections.incrementAndGet();
      if (!slots.tryAcquire()) {
        refuseBusy(client);
        continue;
      }
      ctx.open().add(client);
      active.incrementAndGet();
      try {
        ctx.pool().execute(() -> serve(client));
      } catch (RuntimeException e) {
        release(client);
        refuseBusy(client);
      }
    }
  }

  private void serve(SocketChannel client) {
    try {
      new ProxyConnection(client, ctx).run();
    } finally {
      release(client);
    }
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
   * Stops accepting, closes every open client and upstream connection and deletes the socket
   * file. Idempotent.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    try {
      server.close();
    } catch (IOException e) {
      // closing anyway
    }
    for (SocketChannel ch : ctx.open()) {
      ProxyConnection.closeQuietly(ch);
    }
    ctx.pool().shutdownNow();
    ctx.scheduler().shutdownNow();
    try {
      acceptor.join(2000);
      ctx.pool().awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      Files.deleteIfExists(socketPath);
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
