package dev.taskbound.core.egress;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Issue 3: the address guard, SNI and Host checks, limits that are logged, and the failure signal. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class EgressHardeningTest {
  record Event(GatewayEvents.Kind type, String host, int port, String detail) {}

  @TempDir Path dir;
  private final List<EgressDecision> decisions = new CopyOnWriteArrayList<>();
  private final List<Event> events = new CopyOnWriteArrayList<>();
  private final List<AutoCloseable> closeables = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable c : closeables) {
      c.close();
    }
  }

  private Gateway gateway(List<String> allow, Map<String, String> pins, GatewayOptions options) {
    RuleSet rules = RuleSet.of(allow.stream().map(EgressRule::parse).collect(Collectors.toList()), List.of());
    Gateway g = Gateway.start(new GatewayConfig(dir.resolve("gw.sock"), rules, pins, (d, m, a) -> decisions.add(d),
        options.withEvents((t, h, p, d) -> events.add(new Event(t, h, p, d)))));
    closeables.add(g);
    return g;
  }

  /** A gateway allowing {@code api.test} (pinned to loopback) on {@code up}'s port, checked as a TLS port. */
  private Gateway tlsGateway(LoopbackServer up) {
    return gateway(List.of("api.test:" + up.port()), Map.of("api.test", "127.0.0.1"),
        GatewayOptions.DEFAULTS.withTlsPorts(java.util.Set.of(up.port())));
  }

  /** An upstream that records how many bytes each connection sent it. */
  private LoopbackServer countingUpstream(List<Integer> bytesPerConnection) throws IOException {
    LoopbackServer s = new LoopbackServer(sock -> bytesPerConnection.add(sock.getInputStream().readAllBytes().length));
    closeables.add(s);
    return s;
  }

  private LoopbackServer echoServer() throws IOException {
    LoopbackServer s = new LoopbackServer(sock -> sock.getInputStream().transferTo(sock.getOutputStream()));
    closeables.add(s);
    return s;
  }

  private static NameResolver resolvesTo(String ip) {
    return host -> List.of(IpLiteral.parse(ip).address());
  }

  /** Sends raw bytes to the gateway and reads until it closes. */
  private static String exchange(Gateway g, String request) throws IOException {
    try (ProxyClient c = new ProxyClient(g.socketPath())) {
      return c.send(request).readAll();
    }
  }

  /** CONNECT, then end the client's side at once, so an established tunnel ends too. */
  private static String connect(Gateway g, String target) throws IOException {
    try (ProxyClient c = new ProxyClient(g.socketPath())) {
      c.send("CONNECT " + target + " HTTP/1.1\r\n\r\n").shutdownOutput();
      return c.readAll();
    }
  }

  @ParameterizedTest(name = "{0} is refused as {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "127.0.0.1|address 127.0.0.1 is loopback",
        "10.1.2.3|address 10.1.2.3 is private (RFC 1918)",
        "172.16.0.1|address 172.16.0.1 is private (RFC 1918)",
        "192.168.1.1|address 192.168.1.1 is private (RFC 1918)",
        "100.64.0.1|address 100.64.0.1 is shared address space (CGNAT, 100.64.0.0/10)",
        "169.254.1.1|address 169.254.1.1 is link-local",
        "fe80::1|address fe80::1 is link-local",
        "fd12::1|address fd12::1 is unique-local (fc00::/7)",
        "::1|address ::1 is loopback",
        "0.0.0.0|address 0.0.0.0 is unspecified",
        "224.0.0.1|address 224.0.0.1 is multicast",
        "::ffff:10.0.0.1|address 10.0.0.1 is private (RFC 1918)",
        "64:ff9b::7f00:1|address 64:ff9b::7f00:1 is loopback",
      })
  void refusesANameThatResolvesToASpecialAddressWithoutOptIn(String address, String reason) throws Exception {
    Gateway g = gateway(List.of("svc.example.com"), Map.of(), GatewayOptions.DEFAULTS.withResolver(resolvesTo(address)));

    String response = connect(g, "svc.example.com:443");

    assertThat(response).startsWith("HTTP/1.1 403 Forbidden\r\n").contains("X-Taskbound-Decision: denied")
        .contains("taskbound: egress to svc.example.com:443 denied (" + reason + "; a name that resolves to such an"
            + " address is refused unless the policy pins it in spec.egress.hosts, allows the address with an IP or"
            + " CIDR rule, or sets spec.egress.allowPrivate: true).");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({
    "169.254.169.254", "fd00:ec2::254", "100.100.100.200", "168.63.129.16", "169.254.170.2", "::ffff:169.254.169.254",
    // review finding: SIIT and local-use NAT64 (RFC 8215) in its /96 and /48 layouts
    "::ffff:0:a9fe:a9fe", "64:ff9b:1::a9fe:a9fe", "64:ff9b:1:a9fe:a9:fe00::",
  })
  void alwaysRefusesMetadataAddressesEvenWhenPinnedOrOptedIn(String address) throws Exception {
    Gateway g = gateway(List.of("meta.test", "0xa9fea9fe", "[fd00:ec2::254]", "168.63.129.16"),
        Map.of("meta.test", address), GatewayOptions.DEFAULTS.withAllowPrivateAddresses(true));
    String canonical = IpLiteral.parse(address).toString();

    String byName = connect(g, "meta.test:443");
    String byLiteral = connect(g, "[::ffff:a9fe:a9fe]:443");

    assertThat(byName).startsWith("HTTP/1.1 403 ")
        .contains("(address " + canonical + " is a cloud metadata address; always refused, even when pinned or opted in)");
    assertThat(byLiteral).startsWith("HTTP/1.1 403 ")
        .contains("address 169.254.169.254 is a cloud metadata address; always refused");
  }

  @Test
  void pinnedNameAndIpRuleAndAllowPrivateEachOptInToLoopback() throws Exception {
    LoopbackServer up = echoServer();
    int p = up.port();
    Gateway pinned = gateway(List.of("pinned.test:" + p), Map.of("pinned.test", "127.0.0.1"), GatewayOptions.DEFAULTS);

    String viaPin = connect(pinned, "pinned.test:" + p);
    pinned.close();
    Gateway literal = gateway(List.of("127.0.0.0/8:" + p), Map.of(), GatewayOptions.DEFAULTS);
    String viaCidr = connect(literal, "0x7f.1:" + p);
    literal.close();
    Gateway opted = gateway(List.of("svc.example.com:" + p), Map.of(),
        GatewayOptions.DEFAULTS.withResolver(resolvesTo("127.0.0.1")).withAllowPrivateAddresses(true));
    String viaAllowPrivate = connect(opted, "svc.example.com:" + p);

    assertThat(viaPin).isEqualTo(ProxyClient.ESTABLISHED);
    assertThat(viaCidr).isEqualTo(ProxyClient.ESTABLISHED);
    assertThat(viaAllowPrivate).isEqualTo(ProxyClient.ESTABLISHED);
  }

  @Test
  void ipv6WorksForANameThatIsPinnedToLoopbackV6() throws Exception {
    CompletableFuture<String> got = new CompletableFuture<>();
    try (ServerSocket v6 = new ServerSocket()) {
      v6.bind(new InetSocketAddress(InetAddress.getByName("::1"), 0));
      Thread t = new Thread(() -> {
        try (Socket s = v6.accept()) {
          got.complete(s.getLocalAddress().getHostAddress());
          s.getOutputStream().write("v6!".getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
          got.completeExceptionally(e);
        }
      });
      t.start();
      Gateway g = gateway(List.of("six.test:" + v6.getLocalPort()), Map.of("six.test", "[::1]"), GatewayOptions.DEFAULTS);

      String response = connect(g, "six.test:" + v6.getLocalPort());

      assertThat(response).isEqualTo(ProxyClient.ESTABLISHED + "v6!");
      assertThat(InetAddress.getByName(got.get(10, TimeUnit.SECONDS))).isInstanceOf(Inet6Address.class);
      t.join(10_000);
    }
  }

  /** A TLS client that tunnels through the gateway and sends a chosen SNI (or none). */
  private static String tlsThrough(Gateway g, String connectTarget, Optional<String> sni) throws Exception {
    SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
    ch.connect(UnixDomainSocketAddress.of(g.socketPath()));
    Socket plain = new UnixSocketAdapter(ch);
    plain.getOutputStream().write(("CONNECT " + connectTarget + " HTTP/1.1\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    byte[] head = plain.getInputStream().readNBytes(ProxyClient.ESTABLISHED.length());
    if (!new String(head, StandardCharsets.US_ASCII).equals(ProxyClient.ESTABLISHED)) {
      return new String(head, StandardCharsets.US_ASCII);
    }
    SSLSocket tls = (SSLSocket) SSLContext.getDefault().getSocketFactory().createSocket(plain, "ignored.invalid", 443, true);
    SSLParameters params = tls.getSSLParameters();
    params.setServerNames(sni.map(s -> List.<javax.net.ssl.SNIServerName>of(new SNIHostName(s))).orElse(List.of()));
    tls.setSSLParameters(params);
    tls.setSoTimeout(10_000);
    try (tls) {
      tls.startHandshake();
      return "handshake completed";
    } catch (IOException e) {
      return "handshake failed";
    }
  }

  @Test
  void closesTheTunnelWhenSniDiffersFromTheConnectHostBeforeAnyByteGoesUpstream() throws Exception {
    List<Integer> upstreamBytes = new CopyOnWriteArrayList<>();
    LoopbackServer up = countingUpstream(upstreamBytes);
    Gateway g = tlsGateway(up);

    String mismatch = tlsThrough(g, "api.test:" + up.port(), Optional.of("evil.example.com"));
    String none = tlsThrough(g, "api.test:" + up.port(), Optional.empty());

    assertThat(mismatch).isEqualTo("handshake failed");
    assertThat(none).isEqualTo("handshake failed");
    assertThat(events).extracting(Event::type).containsExactly(GatewayEvents.SNI_MISMATCH, GatewayEvents.SNI_MISMATCH);
    assertThat(events.get(0).detail()).isEqualTo("SNI 'evil.example.com' differs from CONNECT host api.test; tunnel closed");
    assertThat(events.get(1).detail()).isEqualTo("the TLS ClientHello has no SNI, but CONNECT named api.test; tunnel closed");
    assertThat(upstreamBytes).allMatch(n -> n == 0);
  }

  @ParameterizedTest(name = "CONNECT {0} with SNI {1}")
  @CsvSource({"api.test, api.test", "API.Test., Api.TEST", "127.0.0.1, ''"})
  void passesTheClientHelloOnWhenSniMatchesOrIsAbsentForAnAddress(String target, String sni) throws Exception {
    CompletableFuture<Integer> received = new CompletableFuture<>();
    LoopbackServer up = new LoopbackServer(s -> received.complete(s.getInputStream().readNBytes(5).length));
    closeables.add(up);
    Gateway g = gateway(List.of("api.test:" + up.port(), "127.0.0.1:" + up.port()), Map.of("api.test", "127.0.0.1"),
        GatewayOptions.DEFAULTS.withTlsPorts(java.util.Set.of(up.port())));

    tlsThrough(g, target + ":" + up.port(), sni.isEmpty() ? Optional.empty() : Optional.of(sni));

    assertThat(received.get(10, TimeUnit.SECONDS)).isEqualTo(5); // the TLS record header reached the upstream
    assertThat(events).isEmpty();
  }

  @Test
  void stripsUpgradeH2cAndHttp2SettingsFromPlainRequests() throws Exception {
    CompletableFuture<String> got = new CompletableFuture<>();
    LoopbackServer up = new LoopbackServer(s -> {
      byte[] buf = new byte[4096];
      int n = s.getInputStream().read(buf);
      got.complete(new String(buf, 0, Math.max(n, 0), StandardCharsets.ISO_8859_1));
      s.getOutputStream().write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    });
    closeables.add(up);
    Gateway g = gateway(List.of("api.test:" + up.port()), Map.of("api.test", "127.0.0.1"), GatewayOptions.DEFAULTS);

    try (ProxyClient c = new ProxyClient(g.socketPath())) {
      c.send("GET http://api.test:" + up.port() + "/ HTTP/1.1\r\nConnection: Upgrade, HTTP2-Settings\r\n"
          + "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n").readAll();
    }

    assertThat(got.get(10, TimeUnit.SECONDS)).isEqualTo(
        "GET / HTTP/1.1\r\nHost: api.test:" + up.port() + "\r\nConnection: close\r\n\r\n");
  }

  @Test
  void refusesPlainBytesOnATlsPort() throws Exception {
    LoopbackServer up = echoServer();
    Gateway g = tlsGateway(up);

    String response = exchange(g, "CONNECT api.test:" + up.port() + " HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\n\r\n");

    assertThat(response).isEqualTo(ProxyClient.ESTABLISHED);
    assertThat(events).singleElement().satisfies(e -> assertThat(e.detail())
        .isEqualTo("port " + up.port() + " carries TLS, but not a TLS handshake record; tunnel closed"));
  }

  @Test
  void passesOnAClientHelloThatArrivesAByteAtATime() throws Exception {
    List<Integer> upstreamBytes = new CopyOnWriteArrayList<>();
    LoopbackServer up = countingUpstream(upstreamBytes);
    Gateway g = tlsGateway(up);
    ByteBuffer hello = ClientHelloTest.clientHello(Optional.of("api.test"));
    byte[] bytes = new byte[hello.remaining()];
    hello.get(bytes);

    String response;
    try (ProxyClient c = new ProxyClient(g.socketPath())) {
      response = c.send("CONNECT api.test:" + up.port() + " HTTP/1.1\r\n\r\n").read(ProxyClient.ESTABLISHED.length());
      for (byte b : bytes) {
        c.send(new String(new byte[] {b}, StandardCharsets.ISO_8859_1));
      }
      c.shutdownOutput();
      c.readAll();
    }

    assertThat(response).isEqualTo(ProxyClient.ESTABLISHED);
    assertThat(events).isEmpty();
    assertThat(upstreamBytes).containsExactly(bytes.length);
  }

  @Test
  void readsAClientHelloUpToItsLimitAndClosesTheTunnelBeyond() throws Exception {
    List<Integer> upstreamBytes = new CopyOnWriteArrayList<>();
    LoopbackServer up = countingUpstream(upstreamBytes);
    Gateway g = tlsGateway(up);
    ByteBuffer hello = ClientHelloTest.oversizedHello(70_000);
    byte[] bytes = new byte[hello.remaining()];
    hello.get(bytes);

    String response;
    try (ProxyClient c = new ProxyClient(g.socketPath())) {
      c.send("CONNECT api.test:" + up.port() + " HTTP/1.1\r\n\r\n");
      c.send(new String(bytes, StandardCharsets.ISO_8859_1));
      response = c.readAll();
    }

    assertThat(response).isEqualTo(ProxyClient.ESTABLISHED);
    assertThat(events).singleElement().satisfies(e -> assertThat(e.detail())
        .isEqualTo("port " + up.port() + " carries TLS, but ClientHello larger than 65536 bytes; tunnel closed"));
    assertThat(upstreamBytes).allMatch(n -> n == 0);
  }

  @Test
  void refusesAHostHeaderThatNamesAnotherHost() throws Exception {
    LoopbackServer up = echoServer();
    Gateway g = gateway(List.of("api.test:" + up.port()), Map.of("api.test", "127.0.0.1"), GatewayOptions.DEFAULTS);

    String response = exchange(g, "GET http://api.test:" + up.port() + "/ HTTP/1.1\r\nHost: internal.admin\r\n\r\n");

    assertThat(response).startsWith("HTTP/1.1 400 Bad Request\r\n").endsWith("taskbound: bad proxy request: the Host"
        + " header 'internal.admin' does not match the request target api.test:" + up.port()
        + "; accepted: the target's host[:port]\n");
    assertThat(events).extracting(Event::type).containsExactly(GatewayEvents.HOST_MISMATCH);
    // Issue 10: the refusal names the destination, so the summary counts it against that host.
    assertThat(events.get(0).host()).isEqualTo("api.test");
    assertThat(events.get(0).port()).isEqualTo(up.port());
  }

  /** Issue 10: no event is dropped; one that cannot be recorded fails the gateway closed. */
  @Test
  void anEventThatCannotBeRecordedFailsTheGateway() throws Exception {
    LoopbackServer up = echoServer();
    RuleSet rules = RuleSet.of(List.of(EgressRule.parse("api.test:" + up.port())), List.of());
    Gateway g = Gateway.start(new GatewayConfig(dir.resolve("gw.sock"), rules, Map.of("api.test", "127.0.0.1"),
        (d, m, a) -> decisions.add(d), GatewayOptions.DEFAULTS.withEvents((t, h, p, d) -> {
          throw new IllegalStateException("cannot append to evidence log: No space left on device");
        })));
    closeables.add(g);
    CompletableFuture<Throwable> failed = new CompletableFuture<>();
    g.onFailure(failed::complete);

    String response = exchange(g, "GET http://api.test:" + up.port() + "/ HTTP/1.1\r\nHost: internal.admin\r\n\r\n");

    assertThat(response).doesNotContain("200 OK");
    assertThat(failed.get(10, TimeUnit.SECONDS))
        .hasMessageContaining("a gateway event (HOST_MISMATCH) could not be recorded")
        .hasMessageContaining("No space left on device");
    assertThat(g.isServing()).isFalse();
  }

  @Test
  void refusesTransferEncodingWithContentLengthAndLogsIt() throws Exception {
    LoopbackServer up = echoServer();
    Gateway g = gateway(List.of("api.test:" + up.port()), Map.of("api.test", "127.0.0.1"), GatewayOptions.DEFAULTS);

    String response = exchange(g, "POST http://api.test:" + up.port() + "/ HTTP/1.1\r\nContent-Length: 4\r\n"
        + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n");

    assertThat(response).startsWith("HTTP/1.1 400 Bad Request\r\n");
    assertThat(events).extracting(Event::type).containsExactly(GatewayEvents.SMUGGLING);
  }

  @Test
  void closesAnIdleTunnelAndLogsIt() throws Exception {
    LoopbackServer up = echoServer();
    Gateway g = gateway(List.of("api.test:" + up.port()), Map.of("api.test", "127.0.0.1"),
        GatewayOptions.DEFAULTS.withIdleTimeout(Duration.ofMillis(300)));

    String response = connectAndWait(g, "api.test:" + up.port());

    assertThat(response).isEqualTo(ProxyClient.ESTABLISHED);
    assertThat(events).extracting(Event::type).containsExactly(GatewayEvents.IDLE_TIMEOUT);
  }

  private static String connectAndWait(Gateway g, String target) throws IOException {
    try (ProxyClient c = new ProxyClient(g.socketPath())) {
      c.send("CONNECT " + target + " HTTP/1.1\r\n\r\n");
      return c.readAll(); // ends only when the gateway closes the idle tunnel
    }
  }

  @Test
  void logsTheHeaderSizeLimitWhenHit() throws Exception {
    Gateway g = gateway(List.of("api.test"), Map.of(), GatewayOptions.DEFAULTS.withMaxHeaderBytes(512));

    String response = exchange(g, "GET http://api.test/ HTTP/1.1\r\nX-Big: " + "a".repeat(600) + "\r\n\r\n");

    assertThat(response).startsWith("HTTP/1.1 431 ");
    assertThat(events).extracting(Event::type).containsExactly(GatewayEvents.HEADER_TOO_LARGE);
  }

  @Test
  void reportsAFailureAndStopsServingWhenItsSocketFileIsRemoved() throws Exception {
    Gateway g = gateway(List.of("api.test"), Map.of(), GatewayOptions.DEFAULTS);
    CompletableFuture<Throwable> failed = new CompletableFuture<>();
    g.onFailure(failed::complete);
    boolean servingBefore = g.isServing();

    Files.delete(g.socketPath());
    Throwable cause = failed.get(10, TimeUnit.SECONDS);

    assertThat(servingBefore).isTrue();
    assertThat(cause).hasMessageContaining("was deleted or replaced");
    assertThat(g.isServing()).isFalse();
    assertThat(g.failure()).contains(cause);
    assertThat(events).extracting(Event::type).contains(GatewayEvents.GATEWAY_FAILED);
  }

  @Test
  void aPlainCloseIsNotAFailure() throws Exception {
    Gateway g = gateway(List.of("api.test"), Map.of(), GatewayOptions.DEFAULTS);
    List<Throwable> failures = new CopyOnWriteArrayList<>();
    g.onFailure(failures::add);

    g.close();

    assertThat(g.isServing()).isFalse();
    assertThat(g.failure()).isEmpty();
    assertThat(failures).isEmpty();
  }

  /** Presents a Unix socket channel as a {@link Socket} so that SSLSocketFactory can layer on it. */
  private static final class UnixSocketAdapter extends Socket {
    private final SocketChannel ch;

    UnixSocketAdapter(SocketChannel ch) {
      this.ch = ch;
    }

    @Override
    public java.io.InputStream getInputStream() {
      return Channels.newInputStream(ch);
    }

    @Override
    public java.io.OutputStream getOutputStream() {
      return Channels.newOutputStream(ch);
    }

    @Override
    public boolean isConnected() {
      return true;
    }

    @Override
    public synchronized void close() throws IOException {
      ch.close();
    }
  }
}
