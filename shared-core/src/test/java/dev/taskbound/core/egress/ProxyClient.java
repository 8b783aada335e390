package dev.taskbound.core.egress;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** A raw client of the gateway's Unix socket, so tests control every byte. */
final class ProxyClient implements AutoCloseable {
  static final String ESTABLISHED = "HTTP/1.1 200 Connection Established\r\n\r\n";

  private final SocketChannel ch;

  ProxyClient(Path socket) throws IOException {
    ch = SocketChannel.open(StandardProtocolFamily.UNIX);
    ch.connect(UnixDomainSocketAddress.of(socket));
  }

  ProxyClient send(String s) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(s.getBytes(StandardCharsets.ISO_8859_1));
    while (b.hasRemaining()) {
      ch.write(b);
    }
    return this;
  }

  void shutdownOutput() throws IOException {
    ch.shutdownOutput();
  }

  /** Reads exactly n bytes (or fewer if the stream ends). */
  String read(int n) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(n);
    while (b.hasRemaining() && ch.read(b) >= 0) {
      // read until n bytes or end
    }
    return new String(b.array(), 0, b.position(), StandardCharsets.ISO_8859_1);
  }

  /** Reads until the gateway closes its side. */
  String readAll() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteBuffer b = ByteBuffer.allocate(8192);
    while (ch.read(b) >= 0) {
      out.write(b.array(), 0, b.position());
      b.clear();
    }
    return out.toString(StandardCharsets.ISO_8859_1);
  }

  @Override
  public void close() throws IOException {
    ch.close();
  }
}
