package dev.taskbound.core.sandbox;

import dev.taskbound.core.egress.Relay;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * Not a test: for the benchmark, whose gateway runs in a JVM of its own (its RSS and CPU are then
 * its own) while a session keeps gateway and launcher in one. The launcher's JVM passes each
 * sandbox's listener on to the gateway's JVM over {@code PATH}: first a lifeline connection, kept
 * open for the sandbox's life (when it closes, the gateway's JVM closes the listener, as a session
 * does when its sandbox ends), then a connection that carries the descriptor (junixsocket shuts a
 * socket down when it closes it, so the carrier cannot be the lifeline). One launcher at a time.
 */
public final class HandoffAcrossJvms {
  private HandoffAcrossJvms() {}

  /** The gateway's side: serves every listener that arrives on {@code path}, on daemon threads. */
  public static void serve(Path path, Consumer<ServerSocketChannel> serveFrom) throws IOException {
    ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(path));
    daemon("handoff-acceptor", () -> {
      while (server.isOpen()) {
        try {
          SocketChannel lifeline = server.accept();
          ServerSocketChannel listener;
          try (SocketChannel carrier = server.accept()) {
            listener = ListenerHandoff.receive(carrier, Duration.ofSeconds(30));
          }
          serveFrom.accept(listener);
          daemon("handoff-watch", () -> closeOnHangUp(lifeline, listener));
        } catch (IOException e) {
          System.err.println("handoff: " + e);
        }
      }
    });
  }

  /** The launcher's side: a listener sink for {@link SandboxLaunch#withListenerSink}. */
  public static Consumer<ServerSocketChannel> sink(Path path) {
    return listener -> {
      try {
        // the lifeline stays open until this JVM exits: the gateway's JVM then lets the listener go
        SocketChannel.open(UnixDomainSocketAddress.of(path));
        try (SocketChannel carrier = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
          ListenerHandoff.send(carrier, listener);
        }
        listener.close();
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    };
  }

  private static void closeOnHangUp(SocketChannel in, ServerSocketChannel listener) {
    ByteBuffer b = ByteBuffer.allocate(16);
    try {
      while (in.read(b.clear()) >= 0) {
        // nothing more is sent; read until the launcher's JVM hangs up
      }
    } catch (IOException e) {
      // gone either way
    } finally {
      Relay.closeQuietly(in);
      Relay.closeQuietly(listener);
    }
  }

  private static void daemon(String name, Runnable r) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    t.start();
  }
}
