package dev.taskbound.core.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The descriptor hand-off between two ends of a real Unix socket, with real TCP listeners. */
class ListenerHandoffTest {
  @TempDir Path dir;
  SocketChannel sender;
  SocketChannel receiver;

  @BeforeEach
  void connect() throws IOException {
    try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      server.bind(UnixDomainSocketAddress.of(dir.resolve("handoff.sock")));
      sender = SocketChannel.open(server.getLocalAddress());
      receiver = server.accept();
    }
  }

  @AfterEach
  void close() throws IOException {
    sender.close();
    receiver.close();
  }

  @Test
  void thisJvmOpensTheJdkChannelsItNeeds() {
    assertThat(ListenerHandoff.unavailable()).isEmpty();
  }

  @Test
  void theReceivedListenerAcceptsTheConnectionsOfTheSentOne() throws Exception {
    ServerSocketChannel original = loopbackListener();
    int port = ((InetSocketAddress) original.getLocalAddress()).getPort();

    ListenerHandoff.send(sender, original);
    original.close(); // the sender's copy is gone; the socket lives on in flight
    ServerSocketChannel received = ListenerHandoff.receive(receiver, Duration.ofSeconds(10));

    try (received; SocketChannel client = SocketChannel.open(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        SocketChannel served = received.accept()) {
      client.write(ByteBuffer.wrap("ping".getBytes(StandardCharsets.US_ASCII)));
      ByteBuffer in = ByteBuffer.allocate(4);
      for (int i = 0; i < 100 && in.hasRemaining() && served.read(in) >= 0; i++) {
        // the four bytes arrive in one read or a few
      }
      assertThat(new String(in.array(), StandardCharsets.US_ASCII)).isEqualTo("ping");
      assertThat(received.getLocalAddress()).isEqualTo(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
    }
    assertThatThrownBy(() -> SocketChannel.open(new InetSocketAddress(InetAddress.getLoopbackAddress(), port)))
        .as("closing the received listener closes the last descriptor of the socket")
        .isInstanceOf(IOException.class);
    assertThat(sender.isOpen()).as("the caller still owns the hand-off channel").isTrue();
  }

  /**
   * Review finding: each hand-off left a descriptor of the hand-off connection open in the receiving
   * JVM (junixsocket's view on a duplicate never closed it), which in a session's supervisor kept
   * one socket, and with it the sandbox's network namespace, per command. Many hand-offs, each on
   * its own connection, leave as many descriptors open as there were before.
   */
  @Test
  void handOffsLeaveNoDescriptorOpenOnEitherSide() throws Exception {
    long before = openDescriptors();
    for (int i = 0; i < 20; i++) {
      try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
        server.bind(UnixDomainSocketAddress.of(dir.resolve("handoff-" + i + ".sock")));
        try (SocketChannel from = SocketChannel.open(server.getLocalAddress()); SocketChannel to = server.accept();
            ServerSocketChannel original = loopbackListener()) {
          ListenerHandoff.send(from, original);
          ListenerHandoff.receive(to, Duration.ofSeconds(10)).close();
        }
      }
    }

    assertThat(openDescriptors()).isEqualTo(before);
  }

  private static long openDescriptors() throws IOException {
    try (java.util.stream.Stream<Path> fds = java.nio.file.Files.list(Path.of("/proc/self/fd"))) {
      return fds.count();
    }
  }

  @Test
  void aSenderThatHangsUpWithoutSendingIsAnError() throws Exception {
    sender.close();

    assertThatThrownBy(() -> ListenerHandoff.receive(receiver, Duration.ofSeconds(10)))
        .isInstanceOf(IOException.class)
        .hasMessage("the sandbox closed the hand-off socket without sending its listener");
  }

  @Test
  void nothingArrivingWithinTheTimeoutIsAnError() {
    assertThatThrownBy(() -> ListenerHandoff.receive(receiver, Duration.ofMillis(200))).isInstanceOf(IOException.class);
  }

  private static ServerSocketChannel loopbackListener() throws IOException {
    ServerSocketChannel l = ServerSocketChannel.open(StandardProtocolFamily.INET);
    l.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    return l;
  }
}
