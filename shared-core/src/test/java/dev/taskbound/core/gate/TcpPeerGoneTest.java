package dev.taskbound.core.gate;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 16: a request waiting for approval is withdrawn once its caller has gone; the agent API sees
 * that in the kernel's socket tables, with real loopback connections here.
 */
@Timeout(60)
class TcpPeerGoneTest {
  @Test
  void aConnectedClientIsThereAndOneThatClosedItsEndHasGone() throws Exception {
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Socket client = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
      try (Socket accepted = server.accept()) {
        TcpPeerGone gone = new TcpPeerGone((InetSocketAddress) accepted.getLocalSocketAddress(),
            (InetSocketAddress) accepted.getRemoteSocketAddress());

        boolean whileConnected = gone.getAsBoolean();
        client.close();
        boolean afterClose = awaitGone(gone);

        assertThat(whileConnected).isFalse();
        assertThat(afterClose).isTrue();
      }
    }
  }

  @Test
  void theTablesAddressFormsAreReadInTheHostsByteOrderIpv4MappedAddressesAsIpv4() {
    boolean little = java.nio.ByteOrder.nativeOrder() == java.nio.ByteOrder.LITTLE_ENDIAN;

    InetSocketAddress v4 = TcpPeerGone.address((little ? "0100007F" : "7F000001") + ":1F90");
    InetSocketAddress mapped = TcpPeerGone.address((little ? "0000000000000000FFFF00000100007F" : "00000000000000000000FFFF7F000001") + ":0050");

    assertThat(v4).isEqualTo(new InetSocketAddress("127.0.0.1", 8080));
    assertThat(mapped).isEqualTo(new InetSocketAddress("127.0.0.1", 80));
    assertThat(TcpPeerGone.address("zz:1")).isNull();
  }

  @Test
  void withoutReadableTablesAClientIsNeverTakenForGone(@TempDir Path dir) {
    TcpPeerGone gone = new TcpPeerGone(new InetSocketAddress("127.0.0.1", 1), new InetSocketAddress("127.0.0.1", 2),
        List.of(dir.resolve("missing")));

    assertThat(gone.getAsBoolean()).isFalse();
  }

  @Test
  void aConnectionTheTablesNoLongerListHasGone(@TempDir Path dir) throws Exception {
    Path table = Files.writeString(dir.resolve("tcp"), "  sl  local_address rem_address   st\n"
        + "   0: 0100007F:0016 0100007F:0017 01 00000000:00000000 00:00000000 00000000     0        0 1\n");
    TcpPeerGone gone = new TcpPeerGone(new InetSocketAddress("127.0.0.1", 1), new InetSocketAddress("127.0.0.1", 2), List.of(table));

    assertThat(gone.getAsBoolean()).isTrue();
  }

  /** The kernel moves the socket to CLOSE_WAIT as the FIN arrives: polled, bounded. */
  private static boolean awaitGone(TcpPeerGone gone) throws InterruptedException {
    for (int i = 0; i < 500; i++) {
      if (gone.getAsBoolean()) {
        return true;
      }
      Thread.sleep(10);
    }
    return false;
  }
}
