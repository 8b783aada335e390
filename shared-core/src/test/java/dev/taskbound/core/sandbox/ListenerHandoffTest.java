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
