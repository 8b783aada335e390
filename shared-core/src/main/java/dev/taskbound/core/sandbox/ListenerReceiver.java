package dev.taskbound.core.sandbox;

import dev.taskbound.core.egress.Relay;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * The launcher's end of {@link ListenerHandoff}: a private socket next to the control socket that
 * {@link SandboxInit} connects to before it starts the agent, so the one connection waiting there
 * once init has reported in is init's. The listener itself is received on a daemon thread and
 * given to the launch's sink; it is closed when the sandbox's process exits, since the socket
 * would otherwise keep the sandbox's network namespace alive.
 */
final class ListenerReceiver implements AutoCloseable {
  private final Path path;
  private final ServerSocketChannel server;
  private final Consumer<ServerSocketChannel> sink;

  private ListenerReceiver(Path path, ServerSocketChannel server, Consumer<ServerSocketChannel> sink) {
    this.path = path;
    this.server = server;
    this.sink = sink;
  }

  /**
   * A receiver at {@code path} when the launch has a sink and this JVM can take a listener;
   * {@code null} otherwise (init then forwards).
   */
  static ListenerReceiver offer(SandboxLaunch launch, Path path) throws IOException {
    if (launch.listenerSink() == null || ListenerHandoff.unavailable().isPresent()) {
      return null;
    }
    ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    try {
      server.bind(UnixDomainSocketAddress.of(path), 1);
      server.configureBlocking(false);
      ListenerHandoff.warmUpInBackground(); // ready by the time init has started and sends
      return new ListenerReceiver(path, server, launch.listenerSink());
    } catch (IOException | RuntimeException e) {
      server.close();
      throw e;
    }
  }

  Path path() {
    return path;
  }

  /**
   * Once init has reported in: takes init's hand-off connection, if it made one, and receives the
   * listener from it in the background within {@code timeout}. If that fails, init forwards
   * instead (it could not send) or the agent's connections are refused (the listener was lost in
   * transit): either way nothing is left open.
   */
  void collect(Process sandbox, Duration timeout) throws IOException {
    SocketChannel fromInit = server.accept();
    if (fromInit == null) {
      return; // init did not connect: it forwards
    }
    Thread receiver = new Thread(() -> {
      try (fromInit) {
        fromInit.configureBlocking(true);
        ServerSocketChannel listener = ListenerHandoff.receive(fromInit, timeout);
        sandbox.onExit().thenRun(() -> Relay.closeQuietly(listener));
        sink.accept(listener);
      } catch (IOException | RuntimeException e) {
        // see above: nothing to undo
      }
    }, "taskbound-handoff-receiver");
    receiver.setDaemon(true);
    receiver.start();
  }

  @Override
  public void close() {
    Relay.closeQuietly(server);
    try {
      Files.deleteIfExists(path);
    } catch (IOException e) {
      // its directory is removed by the launcher, or with the session
    }
  }
}
