package dev.taskbound.core.sandbox;

import java.io.FileDescriptor;
import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.net.InetSocketAddress;
import java.net.ProtocolFamily;
import java.net.StandardProtocolFamily;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.spi.SelectorProvider;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.FileDescriptorCast;

/**
 * Passes the sandbox's listening socket out to the gateway, so the gateway accepts the agent's
 * connections itself: one relay instead of two (bench/README.md). A socket belongs to the network
 * namespace it was made in wherever its descriptor goes, so the gateway serves connections that
 * exist only inside the sandbox while it dials from the host's namespace.
 *
 * <p>The descriptor travels once, as {@code SCM_RIGHTS} over a Unix socket that the two sides
 * connect with plain JDK channels; junixsocket then sends and receives on a duplicate of that
 * socket's descriptor (JDK sockets cannot carry descriptors). Loading junixsocket's native code
 * takes about 100 ms, so both sides do it off the sandbox's start path. Each side also needs the
 * JDK's own channel for a descriptor, which the JDK builds only internally (as for
 * {@link System#inheritedChannel()}): {@code --add-opens java.base/sun.nio.ch=ALL-UNNAMED}, which
 * the jar's manifest and {@link InitCommand} give. Where any of this is missing the sandbox
 * forwards each connection to the gateway's socket instead.
 */
final class ListenerHandoff {
  private static final String JDK_CHANNELS = "sun.nio.ch";

  private ListenerHandoff() {}

  /**
   * Why this JVM cannot hand a listener over or take one, or empty when it can, as far as can be
   * told without loading native code (a library that does not load fails the hand-off itself).
   */
  static Optional<String> unavailable() {
    try {
      jdkChannelConstructor();
      descriptorGetter();
      return Optional.empty();
    } catch (ReflectiveOperationException | RuntimeException e) {
      return Optional.of("the JVM does not open java.base/" + JDK_CHANNELS + " to Taskbound (" + e + ")");
    }
  }

  /**
   * Where junixsocket's classes and native code come from: the jars (or Taskbound's own shaded
   * jar) that a JVM needs on its class path to hand a listener over.
   */
  static java.util.Set<Path> libraryLocations() {
    java.util.Set<Path> out = new java.util.LinkedHashSet<>();
    for (Class<?> c : new Class<?>[] {AFUNIXSocket.class, org.newsclub.lib.junixsocket.common.NarMetadata.class}) {
      try {
        out.add(Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toAbsolutePath());
      } catch (java.net.URISyntaxException | RuntimeException e) {
        // not from a file: nothing to mount
      }
    }
    return out;
  }

  /**
   * Loads junixsocket's native code on a daemon thread, so that a hand-off started soon after
   * finds it ready.
   */
  static void warmUpInBackground() {
    Thread t = new Thread(() -> {
      try {
        AFUNIXSocket.isSupported();
      } catch (LinkageError e) {
        // the hand-off itself reports it
      }
    }, "taskbound-handoff-warm-up");
    t.setDaemon(true);
    t.start();
  }

  /**
   * Sends {@code listener}'s descriptor on {@code connected}, a Unix socket to the receiving side,
   * without waiting for it to be read: a descriptor in flight stays open until it is. The caller
   * still owns both channels.
   *
   * @throws IOException if junixsocket cannot load or the send fails; {@code listener} is then
   *     still the caller's alone
   */
  static void send(SocketChannel connected, ServerSocketChannel listener) throws IOException {
    try (JunixsocketView view = junixsocketView(connected)) {
      AFUNIXSocket out = view.socket();
      out.setOutboundFileDescriptors(descriptorOf(listener));
      out.getOutputStream().write(1);
    }
  }

  /**
   * Reads the one listener {@link #send} sent on {@code connected}. The caller still owns
   * {@code connected}.
   *
   * @throws IOException if nothing arrives within {@code timeout}, the sender closed first (it
   *     forwards instead), or what arrived is not one listening TCP socket on loopback
   */
  static ServerSocketChannel receive(SocketChannel connected, Duration timeout) throws IOException {
    try (JunixsocketView view = junixsocketView(connected)) {
      AFUNIXSocket in = view.socket();
      in.setSoTimeout((int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis())));
      in.ensureAncillaryReceiveBufferSize(128);
      if (in.getInputStream().read() != 1) {
        throw new IOException("the sandbox closed the hand-off socket without sending its listener");
      }
      FileDescriptor[] received = in.getReceivedFileDescriptors();
      if (received.length != 1) {
        throw new IOException("the sandbox sent " + received.length + " descriptors with its listener, expected 1");
      }
      // junixsocket closes what it received when its socket closes: keep a duplicate of our own.
      ServerSocketChannel listener = toJdkChannel(FileDescriptorCast.duplicating(received[0]).getFileDescriptor());
      if (!(listener.getLocalAddress() instanceof InetSocketAddress local) || !local.getAddress().isLoopbackAddress()) {
        listener.close();
        throw new IOException("the sandbox sent a socket that is not a loopback listener: " + listener);
      }
      return listener;
    }
  }

  /**
   * junixsocket's socket on a duplicate of a channel's descriptor: closing it leaves the channel
   * open. The duplicate is closed with it: junixsocket's socket made from a descriptor does not close
   * that descriptor, and each one left open was an accepted socket of the sandbox's network
   * namespace, which it kept alive in the session's supervisor, one per command.
   */
  private record JunixsocketView(AFUNIXSocket socket, FileDescriptor duplicate) implements AutoCloseable {
    @Override
    public void close() throws IOException {
      try {
        socket.close();
      } finally {
        if (duplicate.valid()) {
          new java.io.FileInputStream(duplicate).close(); // closes the descriptor itself
        }
      }
    }
  }

  private static JunixsocketView junixsocketView(SocketChannel channel) throws IOException {
    try {
      if (!AFUNIXSocket.isSupported()) {
        throw new IOException("junixsocket's native library does not load on this platform");
      }
    } catch (LinkageError e) {
      throw new IOException("junixsocket's native library does not load: " + e, e);
    }
    FileDescriptorCast duplicate = FileDescriptorCast.duplicating(descriptorOf(channel));
    try {
      return new JunixsocketView(duplicate.as(AFUNIXSocket.class), duplicate.getFileDescriptor());
    } catch (IOException | RuntimeException e) {
      new java.io.FileInputStream(duplicate.getFileDescriptor()).close();
      throw e;
    }
  }

  private static FileDescriptor descriptorOf(java.nio.channels.Channel channel) throws IOException {
    try {
      return (FileDescriptor) descriptorGetter().invoke(channel);
    } catch (ReflectiveOperationException | RuntimeException e) {
      throw new IOException("cannot read the descriptor of " + channel + ": " + e, e);
    }
  }

  private static ServerSocketChannel toJdkChannel(FileDescriptor fd) throws IOException {
    try {
      ProtocolFamily family = StandardProtocolFamily.INET; // SandboxInit binds an IPv4 listener
      return (ServerSocketChannel) jdkChannelConstructor().newInstance(SelectorProvider.provider(), family, fd, true);
    } catch (ReflectiveOperationException | RuntimeException e) {
      throw new IOException("cannot turn the received descriptor into a channel: " + e, e);
    }
  }

  private static Constructor<?> jdkChannelConstructor() throws ReflectiveOperationException {
    Constructor<?> c =
        Class.forName(JDK_CHANNELS + ".ServerSocketChannelImpl")
            .getDeclaredConstructor(SelectorProvider.class, ProtocolFamily.class, FileDescriptor.class, boolean.class);
    c.setAccessible(true);
    return c;
  }

  private static Method descriptorGetter() throws ReflectiveOperationException {
    Method m = Class.forName(JDK_CHANNELS + ".SelChImpl").getMethod("getFD");
    m.setAccessible(true);
    return m;
  }
}
