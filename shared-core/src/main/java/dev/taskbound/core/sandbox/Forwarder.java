package dev.taskbound.core.sandbox;

import dev.taskbound.core.egress.Relay;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;

/**
 * Relays each TCP connection accepted on the sandbox's loopback port to the gateway's Unix socket,
 * byte for byte in both directions, passing each end on as a half-close. One daemon thread accepts
 * and connects; a {@link Relay} thread copies, so an open connection holds no thread of its own.
 *
 * <p>{@link #close()} before the JVM exits: the JVM waits up to 300 ms at exit for threads blocked
 * in native I/O, which would add that much to every sandbox's run time.
 */
final class Forwarder implements AutoCloseable {
  private static final long JOIN_MILLIS = 200;

  private final ServerSocketChannel listener;
  private final UnixDomainSocketAddress gateway;
  private final Relay relay;
  private final Thread acceptor;

  /**
   * @param listener an already bound TCP listener (bound before the agent starts)
   * @throws IOException if the relay's selector cannot be opened
   */
  Forwarder(ServerSocketChannel listener, Path gatewaySocket) throws IOException {
    this.listener = listener;
    this.gateway = UnixDomainSocketAddress.of(gatewaySocket);
    this.relay = Relay.start("taskbound-forward", 1);
    this.acceptor = new Thread(this::acceptLoop, "taskbound-forwarder");
    acceptor.setDaemon(true);
  }

  void start() {
    acceptor.start();
  }

  private void acceptLoop() {
    while (listener.isOpen()) {
      SocketChannel client;
      try {
        client = listener.accept();
      } catch (IOException e) {
        return;
      }
      SocketChannel upstream = null;
      try {
        // Relayed TLS handshakes are many small writes: Nagle plus delayed ACKs would add ~40 ms.
        client.setOption(StandardSocketOptions.TCP_NODELAY, true);
        upstream = SocketChannel.open(StandardProtocolFamily.UNIX);
        upstream.connect(gateway);
      } catch (IOException e) {
        // the gateway is gone: the client sees the connection close
        Relay.closeQuietly(client);
        if (upstream != null) {
          Relay.closeQuietly(upstream);
        }
        continue;
      }
      relay.relay(client, upstream, Relay.Options.TUNNEL, end -> {});
    }
  }

  /** Stops accepting, closes every relayed connection and waits briefly for the threads to end. */
  @Override
  public void close() {
    Relay.closeQuietly(listener);
    relay.close();
    try {
      acceptor.join(JOIN_MILLIS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
