package dev.taskbound.core.sandbox;

import dev.taskbound.core.egress.Relay;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The launcher's end of {@link ListenerHandoff}: a private socket that the sandbox's side
 * ({@link SandboxInit}, or the container backend's {@link ContainerForwarder}) connects to before
 * the agent starts, so the one connection waiting there once that side has reported in is its own. The listener itself is received on a daemon thread and
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
   * {@code null} otherwise (the sandbox then forwards).
   */
  static ListenerReceiver offer(SandboxLaunch launch, Path path) throws IOException {
    if (!offers(launch)) {
      return null;
    }
    ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    try {
      server.bind(UnixDomainSocketAddress.of(path), 1);
      server.configureBlocking(false);
      ListenerHandoff.warmUpInBackground(); // ready by the time the sandbox has started and sends
      return new ListenerReceiver(path, server, launch.listenerSink());
    } catch (IOException | RuntimeException e) {
      server.close();
      throw e;
    }
  }

  /** Whether {@link #offer} makes a receiver for this launch: it has a sink and this JVM can take a listener. */
  static boolean offers(SandboxLaunch launch) {
    return launch.listenerSink() != null && ListenerHandoff.unavailable().isEmpty();
  }

  Path path() {
    return path;
  }

  /**
   * Once the sandbox's side has reported in: takes its hand-off connection, if it made one, and
   * receives the listener from it in the background within {@code timeout}. If that fails, the
   * sandbox forwards instead (it could not send) or the agent's connections are refused (the
   * listener was lost in transit): either way nothing is left open.
   */
  void collect(Process sandbox, Duration timeout) throws IOException {
    SocketChannel fromSandbox = server.accept();
    if (fromSandbox == null) {
      return; // the sandbox did not connect: it forwards
    }
    receiveInBackground(fromSandbox, sandbox, timeout);
  }

  /**
   * Waits until the sandbox's side connects (the container backend's agent container, whose first
   * process connects before it execs the agent), the sandbox's process ends, or {@code deadline}
   * ({@link System#nanoTime()}) passes; then receives the listener as {@link #collect} does. The
   * wait ends at once on a connection or the process's end, never on a timer tick.
   *
   * @return whether the sandbox's side connected
   * @throws IOException if the socket fails while waiting
   */
  boolean awaitFrom(Process sandbox, long deadline, Duration timeout) throws IOException {
    try (Selector selector = Selector.open()) {
      server.register(selector, SelectionKey.OP_ACCEPT);
      sandbox.onExit().thenRun(selector::wakeup);
      while (true) {
        SocketChannel fromSandbox = server.accept();
        if (fromSandbox != null) {
          receiveInBackground(fromSandbox, sandbox, timeout);
          return true;
        }
        long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (!sandbox.isAlive() || left <= 0) {
          return false;
        }
        selector.select(left);
        selector.selectedKeys().clear();
      }
    }
  }

  private void receiveInBackground(SocketChannel fromSandbox, Process sandbox, Duration timeout) {
    Thread receiver = new Thread(() -> {
      try (fromSandbox) {
        fromSandbox.configureBlocking(true);
        ServerSocketChannel listener = ListenerHandoff.receive(fromSandbox, timeout);
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
