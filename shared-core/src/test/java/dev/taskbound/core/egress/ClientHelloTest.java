package dev.taskbound.core.egress;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import org.junit.jupiter.api.Test;

/** The SNI reader on real ClientHellos produced by the JDK's TLS stack. */
class ClientHelloTest {
  /** The first flight of a JDK TLS client: one or more TLS records holding its ClientHello. */
  static ByteBuffer clientHello(Optional<String> sni) throws Exception {
    SSLEngine engine = SSLContext.getDefault().createSSLEngine("ignored.invalid", 443);
    engine.setUseClientMode(true);
    SSLParameters params = engine.getSSLParameters();
    params.setServerNames(sni.map(s -> List.<SNIServerName>of(new SNIHostName(s))).orElse(List.of()));
    engine.setSSLParameters(params);
    ByteBuffer out = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
    engine.wrap(ByteBuffer.allocate(0), out);
    return out.flip();
  }

  /** Re-frames the same handshake bytes as two TLS records, split inside the ClientHello. */
  private static ByteBuffer splitIntoTwoRecords(ByteBuffer single) {
    byte[] all = new byte[single.remaining()];
    single.duplicate().get(all);
    int length = all.length - 5;
    int first = length / 3;
    ByteBuffer out = ByteBuffer.allocate(all.length + 5);
    out.put(all, 0, 3).putShort((short) first).put(all, 5, first);
    out.put(all, 0, 3).putShort((short) (length - first)).put(all, 5 + first, length - first);
    return out.flip();
  }

  /** Re-frames the handshake bytes of one record as {@code records} records of near-equal size. */
  private static ByteBuffer splitInto(ByteBuffer single, int records) {
    byte[] all = new byte[single.remaining()];
    single.duplicate().get(all);
    int length = all.length - 5;
    ByteBuffer out = ByteBuffer.allocate(all.length + 5 * records);
    for (int i = 0, from = 0; i < records; i++) {
      int to = (int) ((long) length * (i + 1) / records);
      out.put(all, 0, 3).putShort((short) (to - from)).put(all, 5 + from, to - from);
      from = to;
    }
    return out.flip();
  }

  @Test
  void readsTheServerNameOfARealClientHello() throws Exception {
    ByteBuffer hello = clientHello(Optional.of("api.example.com"));

    ClientHello.Result r = ClientHello.parse(hello);

    assertThat(r).isEqualTo(new ClientHello.Hello(Optional.of("api.example.com")));
  }

  @Test
  void reportsAClientHelloWithoutServerName() throws Exception {
    ByteBuffer hello = clientHello(Optional.empty());

    ClientHello.Result r = ClientHello.parse(hello);

    assertThat(r).isEqualTo(new ClientHello.Hello(Optional.empty()));
  }

  @Test
  void asksForMoreBytesUntilTheWholeHelloIsIn() throws Exception {
    ByteBuffer hello = clientHello(Optional.of("api.example.com"));

    ClientHello.Result partial = ClientHello.parse(hello.duplicate().limit(hello.limit() - 1));
    ClientHello.Result headerOnly = ClientHello.parse(hello.duplicate().limit(3));

    // each says how much must be in before parsing again can tell more
    assertThat(partial).isEqualTo(new ClientHello.NeedMore(hello.limit()));
    assertThat(headerOnly).isEqualTo(new ClientHello.NeedMore(5));
  }

  @Test
  void readsAHelloInAsManyRecordsAsTheLimitAndRefusesOneMore() throws Exception {
    ByteBuffer hello = clientHello(Optional.of("api.example.com"));

    ClientHello.Result atLimit = ClientHello.parse(splitInto(hello, ClientHello.MAX_RECORDS));
    ClientHello.Result beyond = ClientHello.parse(splitInto(hello, ClientHello.MAX_RECORDS + 1));

    assertThat(atLimit).isEqualTo(new ClientHello.Hello(Optional.of("api.example.com")));
    assertThat(beyond).isEqualTo(new ClientHello.NotTls("the ClientHello spans more than 64 TLS records"));
  }

  @Test
  void reassemblesAClientHelloSpreadOverTwoRecords() throws Exception {
    ByteBuffer split = splitIntoTwoRecords(clientHello(Optional.of("api.example.com")));

    ClientHello.Result r = ClientHello.parse(split);

    assertThat(r).isEqualTo(new ClientHello.Hello(Optional.of("api.example.com")));
  }

  @Test
  void refusesBytesThatAreNotATlsHandshake() {
    ByteBuffer http = ByteBuffer.wrap("GET / HTTP/1.1\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));

    ClientHello.Result r = ClientHello.parse(http);

    assertThat(r).isEqualTo(new ClientHello.NotTls("not a TLS handshake record"));
  }

  /** A handshake message of type ClientHello claiming {@code length} bytes, in full 16 KiB records. */
  static ByteBuffer oversizedHello(int length) {
    byte[] message = new byte[4 + length];
    message[0] = 1; // ClientHello
    message[1] = (byte) (length >>> 16);
    message[2] = (byte) (length >>> 8);
    message[3] = (byte) length;
    ByteBuffer out = ByteBuffer.allocate(message.length + 5 * (message.length / 16384 + 1));
    for (int off = 0; off < message.length; off += 16384) {
      int n = Math.min(16384, message.length - off);
      out.put((byte) 22).put((byte) 3).put((byte) 1).putShort((short) n).put(message, off, n);
    }
    return out.flip();
  }

  @Test
  void refusesAClientHelloLargerThanTheLimit() {
    ClientHello.Result r = ClientHello.parse(oversizedHello(70_000));

    assertThat(r).isEqualTo(new ClientHello.NotTls("ClientHello larger than 65536 bytes"));
  }
}
