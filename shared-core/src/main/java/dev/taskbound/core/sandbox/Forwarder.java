package dev.taskbound.core.sandbox;

import dev.taskbound.core.egress.Pipe;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Relays each TCP connection accepted on the sandbox's loopback port to the gateway's Unix socket,
 * byte for byte in both directions, passing each end on as a half-close. Daemon threads: two per
 * open connection, one for accepting.
 *
 * <p>{@link #close()} before the JVM exits: the JVM waits up to 300 ms at exit for threads blocked
 * in native I/O, which would add that much to every sandbox's run time.
 */
final class Forwarder implements AutoCloseable {
  private static final long JOIN_MILLIS = 200;

  private final ServerSocketChannel listener;
  private final UnixDomainSocketAddress gateway;
  private final Set<SocketChannel> open = ConcurrentHashMap.newKeySet();
  private final Set<Thread> threads = ConcurrentHashMap.newKeySet();

  /** @param listener an already bound TCP listener (bound before the agent starts) */
  Forwarder(ServerSocketChannel listener, Path gatewaySocket) {
    this.listener = listener;
    this.gateway = UnixDomainSocketAddress.of(gatewaySocket);
  }

  void start() {
    daemon("taskbound-forwarder", this::acceptLoop).start();
  }

  private void acceptLoop() {
    while (listener.isOpen()) {
      SocketChannel client;
      try {
        client = listener.accept();
        // Relayed TLS handshakes are many small writes: Nagle plus delayed ACKs would add ~40 ms.
        client.setOption(StandardSocketOptions.TCP_NODELAY, true);
      } catch (IOException e) {
        return;
      }
      open.add(client);
      daemon("taskbound-forward", () -> relay(client)).start();
    }
  }

  private void relay(SocketChannel client) {
    try (client;
        SocketChannel upstream = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      open.add(upstream);
      upstream.connect(gateway);
      Thread up = daemon("taskbound-forward-up", () -> Pipe.relayHalfClosing(ByteBuffer.allocate(0), client, upstream));
      up.start();
      Pipe.relayHalfClosing(ByteBuffer.allocate(0), upstream, client);
      up.join();
    } catch (IOException e) {
      // the gateway is gone: the client sees the connection close
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      open.remove(client);
    }
  }

  /** Stops accepting, closes every relayed connection and waits briefly for the threads to end. */
  @Override
  public void close() {
    Pipe.closeQuietly(listener);
    open.forEach(Pipe::closeQuietly);
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(JOIN_MILLIS);
    for (Thread t : threads) {
      long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
      if (left <= 0) {
        return;
      }
      try {
        t.join(left);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private Thread daemon(String name, Runnable r) {
    Thread t =
        new Thread(
            () -> {
              try {
                r.run();
              } finally {
                threads.remove(Thread.currentThread());
              }
            },
            name);
    t.setDaemon(true);
    threads.add(t);
    return t;
  }
}
