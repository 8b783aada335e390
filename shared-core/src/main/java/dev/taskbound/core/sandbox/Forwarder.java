package dev.taskbound.core.sandbox;

import dev.taskbound.core.egress.Pipe;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;

/**
 * Relays each TCP connection accepted on the sandbox's loopback port to the gateway's Unix socket,
 * byte for byte in both directions, passing each end on as a half-close. Daemon threads: two per
 * open connection, one for accepting; they die with the process.
 */
final class Forwarder {
  private final ServerSocketChannel listener;
  private final UnixDomainSocketAddress gateway;

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
      } catch (IOException e) {
        return;
      }
      daemon("taskbound-forward", () -> relay(client)).start();
    }
  }

  private void relay(SocketChannel client) {
    try (client;
        SocketChannel upstream = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      upstream.connect(gateway);
      Thread up = daemon("taskbound-forward-up", () -> oneWay(client, upstream));
      up.start();
      oneWay(upstream, client);
      up.join();
    } catch (IOException e) {
      // the gateway is gone: the client sees the connection close
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void oneWay(SocketChannel from, SocketChannel to) {
    try {
      Pipe.copy(ByteBuffer.allocate(0), from, to, Long.MAX_VALUE);
      to.shutdownOutput();
    } catch (IOException e) {
      closeQuietly(from);
      closeQuietly(to);
    }
  }

  private static void closeQuietly(SocketChannel ch) {
    try {
      ch.close();
    } catch (IOException e) {
      // already failing
    }
  }

  private static Thread daemon(String name, Runnable r) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }
}
