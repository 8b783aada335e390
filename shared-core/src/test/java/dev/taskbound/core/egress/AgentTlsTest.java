package dev.taskbound.core.egress;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The agent side of an inspected connection, BoringSSL's engine and the JDK's, each over a real
 * loopback connection through {@link EngineStream} to a JDK client that trusts only the session CA.
 */
class AgentTlsTest {
  private final SessionCa ca = SessionCa.generate("agent-tls-test", Clock.systemUTC());

  @AfterEach
  void closeCa() {
    ca.close();
  }

  @Test
  void onLinuxTheAgentSideIsBoringSsl() {
    // The shipped platforms (linux x86_64 and aarch64) carry the native library: the fast path is the one taken.
    assertThat(AgentTls.nativeAvailable()).isTrue();
    assertThat(ca.agentTls("api.github.com").isNative()).isTrue();
  }

  @Test
  void boringSslPresentsTheSessionLeafAndEchoesAMegabyteInRecordsBatchedPerWrite() throws Exception {
    AgentTls tls = ca.agentTls("api.github.com");

    Echoed e = echo(tls.newEngine(), tls.isNative());

    assertThat(e.protocol).isEqualTo("TLSv1.3");
    assertThat(e.alpn).isEqualTo("http/1.1");
    assertThat(e.leaf.getSubjectX500Principal().getName()).isEqualTo("CN=api.github.com");
    assertThat(e.leaf.getIssuerX500Principal()).isEqualTo(ca.certificate().getSubjectX500Principal());
    assertThat(e.matches).isTrue();
  }

  @Test
  void theJdkEngineServesTheSameLeafWhereBoringSslIsOff() throws Exception {
    AgentTls jdk = AgentTls.jdkOnly(ca.serverContext("api.github.com"));

    Echoed e = echo(jdk.newEngine(), jdk.isNative());

    assertThat(jdk.isNative()).isFalse();
    assertThat(e.protocol).isEqualTo("TLSv1.3");
    assertThat(e.alpn).isEqualTo("http/1.1");
    assertThat(e.leaf.getSubjectX500Principal().getName()).isEqualTo("CN=api.github.com");
    assertThat(e.matches).isTrue();
  }

  @Test
  void aClosedCaMakesNoAgentSide() {
    ca.agentTls("api.github.com");
    ca.close();

    org.assertj.core.api.Assertions.assertThatThrownBy(() -> ca.agentTls("api.github.com"))
        .isInstanceOf(IllegalStateException.class);
  }

  private record Echoed(String protocol, String alpn, X509Certificate leaf, boolean matches) {}

  /**
   * The client sends 100 KB, the server (EngineStream over {@code engine}) reads them and answers
   * with 1 MiB derived from them in one write; the client checks every byte.
   */
  private Echoed echo(SSLEngine engine, boolean direct) throws Exception {
    byte[] request = new byte[100_000];
    for (int i = 0; i < request.length; i++) {
      request[i] = (byte) (i * 31 + 7);
    }
    byte[] answer = new byte[1024 * 1024];
    for (int i = 0; i < answer.length; i++) {
      answer[i] = (byte) (request[i % request.length] ^ (i >>> 8));
    }
    try (ServerSocketChannel server = ServerSocketChannel.open()) {
      server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      CompletableFuture<Void> served = CompletableFuture.runAsync(() -> {
        try (SocketChannel ch = server.accept();
            EngineStream s = new EngineStream(ch, engine, ByteBuffer.allocate(0), Duration.ofSeconds(20), direct)) {
          s.handshake();
          byte[] got = s.input().readNBytes(request.length);
          if (!Arrays.equals(got, request)) {
            throw new AssertionError("the server read other bytes than the client sent");
          }
          s.write(ByteBuffer.wrap(answer));
        } catch (Exception ex) {
          throw new RuntimeException(ex);
        }
      });
      try (Socket plain = new Socket(InetAddress.getLoopbackAddress(), server.socket().getLocalPort());
          SSLSocket tls = (SSLSocket) clientContext().getSocketFactory().createSocket(plain, "api.github.com", 443, true)) {
        tls.setSoTimeout(20_000);
        SSLParameters p = tls.getSSLParameters();
        p.setEndpointIdentificationAlgorithm("HTTPS");
        p.setApplicationProtocols(new String[] {"http/1.1"});
        tls.setSSLParameters(p);
        tls.startHandshake();
        OutputStream out = tls.getOutputStream();
        out.write(request);
        out.flush();
        InputStream in = tls.getInputStream();
        byte[] got = in.readNBytes(answer.length);
        served.get(20, TimeUnit.SECONDS);
        return new Echoed(tls.getSession().getProtocol(), tls.getApplicationProtocol(),
            (X509Certificate) tls.getSession().getPeerCertificates()[0], Arrays.equals(got, answer));
      }
    }
  }

  private SSLContext clientContext() throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("session-ca", ca.certificate());
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return ctx;
  }
}
