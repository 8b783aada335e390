package dev.taskbound.core.egress;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import org.junit.jupiter.api.Test;

/**
 * The ALPN list read from real JDK ClientHellos: the inspected path refuses, before any handshake,
 * a client that offers protocols and not http/1.1 (BoringSSL's engine would carry on without ALPN).
 */
class ClientHelloAlpnTest {
  private static ByteBuffer helloOffering(String... protocols) throws Exception {
    SSLEngine engine = SSLContext.getDefault().createSSLEngine("api.example.com", 443);
    engine.setUseClientMode(true);
    SSLParameters p = engine.getSSLParameters();
    p.setApplicationProtocols(protocols);
    engine.setSSLParameters(p);
    ByteBuffer out = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
    engine.wrap(ByteBuffer.allocate(0), out);
    return out.flip();
  }

  @Test
  void aClientOfferingOnlyH2DoesNotOfferHttp11() throws Exception {
    ClientHello.Result r = ClientHello.parse(helloOffering("h2"));

    assertThat(r).isInstanceOf(ClientHello.Hello.class);
    ClientHello.Hello hello = (ClientHello.Hello) r;
    assertThat(hello.alpn()).contains(List.of("h2"));
    assertThat(hello.offersHttp11()).isFalse();
  }

  @Test
  void aClientOfferingH2AndHttp11OffersHttp11() throws Exception {
    ClientHello.Hello hello = (ClientHello.Hello) ClientHello.parse(helloOffering("h2", "http/1.1"));

    assertThat(hello.alpn()).contains(List.of("h2", "http/1.1"));
    assertThat(hello.offersHttp11()).isTrue();
  }

  @Test
  void aClientWithoutAlpnMaySpeakHttp11() throws Exception {
    ClientHello.Hello hello = (ClientHello.Hello) ClientHello.parse(helloOffering());

    assertThat(hello.alpn()).isEqualTo(Optional.empty());
    assertThat(hello.offersHttp11()).isTrue();
  }
}
