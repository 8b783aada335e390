package dev.taskbound.core.sandbox;

import dev.taskbound.core.egress.Relay;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The sandbox's side of the agent's proxy port, run by {@link SandboxInit} (and by
 * {@link ContainerForwarder} for the {@code container} backend): a listener on
 * {@code 127.0.0.1} inside the sandbox whose connections reach the gateway one of two ways. Where
 * the launcher offers a hand-off socket, the listener goes to the gateway ({@link ListenerHandoff})
 * and nothing in the sandbox holds it or relays; otherwise, or if the hand-off fails, a
 * {@link Forwarder} relays each connection to the gateway's socket.
 *
 * <p>The hand-off connection is made before the agent starts (so the launcher knows it is the
 * sandbox's); the descriptor is sent on a thread of its own, started at once: loading the native
 * code that sends it (~150 ms) must not delay the agent's start. A connection the agent makes
 * meanwhile waits in the listener's backlog and is then served by the gateway, in one hop. (A
 * forwarder bridging that wait would carry such early connections, bulk downloads included, over
 * two relays for their whole life.)
 */
final class AgentProxyPort implements AutoCloseable {
  private final ServerSocketChannel listener;
  private final Path gatewaySocket;
  private final SocketChannel handoff; // null: forwarding
  private volatile Forwarder forwarder;

  private AgentProxyPort(ServerSocketChannel listener, Path gatewaySocket, SocketChannel handoff) {
    this.listener = listener;
    this.gatewaySocket = gatewaySocket;
    this.handoff = handoff;
  }

  /**
   * Binds the port, then either connects to {@code handoffSocket} and starts sending the listener
   * there, or starts forwarding.
   *
   * @throws IOException if the port cannot be bound or the forwarder not started
   */
  static AgentProxyPort open(Path gatewaySocket, Optional<Path> handoffSocket) throws IOException {
    return open(gatewaySocket, handoffSocket, 0);
  }

  /** As {@link #open(Path, Optional)}, on a given port (0: any free one). */
  static AgentProxyPort open(Path gatewaySocket, Optional<Path> handoffSocket, int port) throws IOException {
    ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.INET);
    try {
      listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
      SocketChannel handoff = handoffSocket.isPresent() && ListenerHandoff.unavailable().isEmpty() ? connect(handoffSocket.get()) : null;
      AgentProxyPort proxyPort = new AgentProxyPort(listener, gatewaySocket, handoff);
      if (handoff == null) {
        proxyPort.forward();
      } else {
        Thread sender = new Thread(proxyPort::handOver, "taskbound-handoff");
        sender.setDaemon(true);
        sender.start();
      }
      return proxyPort;
    } catch (IOException | RuntimeException e) {
      listener.close();
      throw e;
    }
  }

  int port() throws IOException {
    return ((InetSocketAddress) listener.getLocalAddress()).getPort();
  }

  /** Sends the listener to the gateway, falling back to forwarding if that fails. */
  private void handOver() {
    try (handoff) {
      ListenerHandoff.send(handoff, listener);
      listener.close(); // the gateway holds the socket now; nothing in the sandbox does
    } catch (IOException e) {
      try {
        forward();
      } catch (IOException unforwardable) {
        Relay.closeQuietly(listener); // the agent's connections are refused: closed, not open
      }
    }
  }

  private void forward() throws IOException {
    Forwarder f = new Forwarder(listener, gatewaySocket);
    f.start();
    forwarder = f;
  }

  /** Stops forwarding, if it forwards; see {@link Forwarder#close()}. */
  @Override
  public void close() {
    Forwarder f = forwarder;
    if (f != null) {
      f.close();
    }
  }

  /** The hand-off connection, or {@code null} when the launcher's socket cannot be reached (forward). */
  private static SocketChannel connect(Path socket) {
    try {
      return SocketChannel.open(UnixDomainSocketAddress.of(socket));
    } catch (IOException e) {
      return null;
    }
  }
}
