package dev.taskbound.core.egress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.taskbound.core.ExitCodes;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class GatewayTest {
  record Seen(EgressDecision decision, String method, Optional<InetAddress> dialled) {}

  @TempDir Path dir;
  private final List<Seen> seen = new CopyOnWriteArrayList<>();
  private final List<AutoCloseable> closeables = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable c : closeables) {
      c.close();
    }
  }

  private Gateway gateway(List<String> allow, List<String> deny, GatewayOptions options) {
    RuleSet rules =
        RuleSet.of(
            allow.stream().map(EgressRule::parse).collect(Collectors.toList()),
            deny.stream().map(EgressRule::parse).collect(Collectors.toList()));
    Gateway g =
        Gateway.start(
            new GatewayConfig(
                dir.resolve("gw.sock"),
                rules,
                Map.of("api.test", "127.0.0.1"),
                (d, m, a) -> seen.add(new Seen(d, m, a)),
                options));
    closeables.add(g);
    return g;
  }

  private Gateway gateway(List<String> allow, List<String> deny) {
    return gateway(allow, deny, GatewayOptions.DEFAULTS);
  }

  private LoopbackServer server(LoopbackServer.Handler h) throws IOException {
    LoopbackServer s = new LoopbackServer(h);
    closeables.add(s);
    return s;
  }

  private static LoopbackServer.Handler echo() {
    return s -> s.getInputStream().transferTo(s.getOutputStream());
  }

  @Test
  void servesAConnectionAcceptedElsewhereLikeOneOnItsSocket() throws Exception {
    LoopbackServer up = server(echo());
    Gateway g = gateway(List.of("api.test:" + up.port()), List.of());
    try (ServerSocketChannel elsewhere = ServerSocketChannel.open()
            .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        SocketChannel client = SocketChannel.open(elsewhere.getLocalAddress())) {
      g.serve(elsewhere.accept());
      InputStream in = Channels.newInputStream(client);

      client.write(ByteBuffer.wrap(("CONNECT api.test:" + up.port() + " HTTP/1.1\r\n\r\nping")
          .getBytes(StandardCharsets.ISO_8859_1)));
      String reply = new String(in.readNBytes(ProxyClient.ESTABLISHED.length() + 4), StandardCharsets.ISO_8859_1);

      assertThat(reply).isEqualTo(ProxyClient.ESTABLISHED + "ping");
    }
    assertThat(seen).singleElement().satisfies(s -> assertThat(s.decision().allowed()).isTrue());
  }

  @Test
  void aConnectionHandedToAClosedGatewayIsClosed() throws Exception {
    Gateway g = gateway(List.of("api.test:443"), List.of());
    g.close();
    try (ServerSocketChannel elsewhere = ServerSocketChannel.open()
            .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        SocketChannel client = SocketChannel.open(elsewhere.getLocalAddress())) {
      SocketChannel accepted = elsewhere.accept();

      g.serve(accepted);

      assertThat(accepted.isOpen()).isFalse();
      assertThat(client.read(ByteBuffer.allocate(1))).isEqualTo(-1);
    }
  }

  @Test
  void servesEveryConnectionOnAHandedListenerAndClosesItWhenTheGatewayCloses() throws Exception {
    LoopbackServer up = server(echo());
    Gateway g = gateway(List.of("api.test:" + up.port()), List.of("evil.test"));
    ServerSocketChannel sandboxPort = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));

    g.serveFrom(sandboxPort);
    try (SocketChannel allowed = SocketChannel.open(sandboxPort.getLocalAddress());
        SocketChannel denied = SocketChannel.open(sandboxPort.getLocalAddress())) {
      allowed.write(ByteBuffer.wrap(("CONNECT api.test:" + up.port() + " HTTP/1.1\r\n\r\nping")
          .getBytes(StandardCharsets.ISO_8859_1)));
      denied.write(ByteBuffer.wrap("CONNECT evil.test:443 HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1)));

      assertThat(new String(Channels.newInputStream(allowed).readNBytes(ProxyClient.ESTABLISHED.length() + 4), StandardCharsets.ISO_8859_1))
          .isEqualTo(ProxyClient.ESTABLISHED + "ping");
      assertThat(new String(Channels.newInputStream(denied).readAllBytes(), StandardCharsets.ISO_8859_1))
          .startsWith("HTTP/1.1 403 Forbidden");
    }
    g.close();

    assertThat(sandboxPort.isOpen()).as("a gateway that stops leaves no way in").isFalse();
    assertThat(seen).extracting(s -> s.decision().allowed()).containsExactlyInAnyOrder(true, false);
  }

  @Test
  void aHandedListenerThatItsOwnerClosesIsReleasedWhileTheGatewayServesOn() throws Exception {
    LoopbackServer up = server(echo());
    Gateway g = gateway(List.of("api.test:" + up.port()), List.of());
    ServerSocketChannel sandboxPort = ServerSocketChannel.open(java.net.StandardProtocolFamily.INET).bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    InetSocketAddress address = (InetSocketAddress) sandboxPort.getLocalAddress();
    g.serveFrom(sandboxPort);
    try (SocketChannel first = SocketChannel.open(address)) {
      first.write(ByteBuffer.wrap(("CONNECT api.test:" + up.port() + " HTTP/1.1\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1)));
      assertThat(new String(Channels.newInputStream(first).readNBytes(ProxyClient.ESTABLISHED.length()), StandardCharsets.ISO_8859_1))
          .isEqualTo(ProxyClient.ESTABLISHED);
    }

    String socket = "socket:[" + listeningInode(address.getPort()) + "]";
    assertThat(openDescriptors()).contains(socket);

    sandboxPort.close(); // as the launcher does when the sandbox ends; the gateway's selector holds it

    // A channel registered with a selector keeps its descriptor until the selector next wakes; the
    // gateway wakes every 500 ms to let go of closed listeners, even when nothing connects.
    // Bounded: 5 s at most, well before the served connection's own 10 s timers would wake it.
    for (int i = 0; i < 100 && openDescriptors().contains(socket); i++) {
      TimeUnit.MILLISECONDS.sleep(50);
    }
    assertThat(openDescriptors()).as("the closed listener's socket is released").doesNotContain(socket);
    assertThat(g.isServing()).isTrue();
  }

  /** The inode of the TCP socket listening on 127.0.0.1:port, from /proc/net/tcp. */
  private static String listeningInode(int port) throws IOException {
    String local = String.format("0100007F:%04X", port);
    for (String line : Files.readAllLines(Path.of("/proc/net/tcp"))) {
      String[] f = line.trim().split("\\s+");
      if (f.length > 9 && f[1].equals(local) && f[3].equals("0A")) {
        return f[9];
      }
    }
    throw new AssertionError("no listener on 127.0.0.1:" + port + " in /proc/net/tcp");
  }

  /** What this JVM's file descriptors point at. */
  private static List<String> openDescriptors() throws IOException {
    List<String> out = new ArrayList<>();
    try (var fds = Files.list(Path.of("/proc/self/fd"))) {
      for (Path fd : (Iterable<Path>) fds::iterator) {
        try {
          out.add(Files.readSymbolicLink(fd).toString());
        } catch (IOException e) {
          // closed while listing
        }
      }
    }
    return out;
  }

  @Test
  void aListenerHandedToAClosedGatewayIsClosed() throws Exception {
    Gateway g = gateway(List.of("api.test:443"), List.of());
    g.close();
    ServerSocketChannel sandboxPort = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));

    g.serveFrom(sandboxPort);

    assertThat(sandboxPort.isOpen()).isFalse();
  }

  @Test
  void connectToAllowedHostTunnelsBytesToThePinnedAddress() throws Exception {
    LoopbackServer up = server(echo());
    Gateway g = gateway(List.of("api.test:" + up.port()), List.of());

    try (ProxyClient c = new ProxyClient(g.socketPath())) {
      c.send("CONNECT API.Test.:" + up.port() + " HTTP/1.1\r\nHost: api.test\r\n\r\n");
      String established = c.read(ProxyClient.ESTABLISHED.length());
      c.send("ping");
      String echoed = c.read(4);

      assertThat(established).isEqualTo(ProxyClient.ESTABLISHED);
      assertThat(echoed).isEqualTo("ping");
    }
    assertThat(seen).hasSize(1);
    assertThat(seen.get(0).decision().allowed()).isTrue();
    assertThat(seen.get(0).decision().host()).isEqualTo("api.test");
    assertThat(seen.get(0).method()).isEqualTo("CONNECT");
    assertThat(seen.get(0).dialled()).contains(InetAddress.getByName("127.0.0.1"));
  }

  @Test
  void tunnelPassesEachEndOnAsAHalfClose() throws Exception {
    LoopbackServer up =
        server(
            s -> {
              byte[] all = s.getInputStream().readAllBytes(); // returns only after the client's half-close
              s.getOutputStream().write(("got " + all.length + " bytes").getBytes(StandardCharsets.US_ASCII));
            });
    Gateway g = gateway(List.of("api.test:" + up.port()), List.of());

    String reply;
    try (ProxyClient c = new ProxyClient(g.socketPath())) {
      c.send("CONNECT api.test:" + up.port() + " HTTP/1.1\r\n\r\nhello");
      c.send(" world");
      c.shutdownOutput();
      reply = c.readAll(); // returns only after the upstream's close reached us

      assertThat(reply).isEqualTo(ProxyClient.ESTABLISHED + "got 11 bytes");
    }
    assertThat(g.stats().allowed()).isEqualTo(1);
  }

  @Test
  void connectToUnlistedHostIsForbiddenAndNamesTheRuleToAdd() throws Exception {
    Gateway g = gateway(List.of("api.test"), List.of());

    String response;
    try (ProxyClient c = new ProxyClient(g.socketPath())) {
      response = c.send("CONNECT evil.test:443 HTTP/1.1\r\n\r\n").readAll();
    }

    String body =
        "taskbound: egress to evil.test:443 denied (no allow rule matches). To allow it, add \"evil.test\" to"
            + " spec.egress.allow in your policy.\n";
    assertThat(response)
        .startsWith("HTTP/1.1 403 Forbidden\r\n")
        .contains("\r\nX-Taskbound-Decision: denied\r\n")
        .endsWith("\r\n\r\n" + body);
    assertThat(seen).hasSize(1);
    assertThat(seen.get(0).decision().allowed()).isFalse();
    assertThat(seen.get(0).dialled()).isEmpty();
    assertThat(g.stats().denied()).isEqualTo(1);
  }

  @Test
  void denyRuleBeatsAMatchingAllowRule() throws Exception {
    LoopbackServer up = server(echo());
    Gateway g = gateway(List.of("**.api.test:" + up.port()), List.of("api.test:" + up.port()));

    String response;
    try (ProxyClient c = new ProxyClient(g.socketPath())) {
      response = c.send("CONNECT api.test:" + up.port() + " HTTP/1.1\r\n\r\n").readAll();
    }

    assertThat(response)
        .startsWith("HTTP/1.1 403 Forbidden\r\n")
        .contains("denied (matches deny rule api.test:" + up.port() + ")")
        .contains("remove \"api.test:" + up.port() + "\" from spec.egress.deny");
    assertThat(seen).singleElement().satisfies(s -> assertThat(s.decision().allowed()).isFalse());
  }

  @Test
  void absoluteFormRequestIsForwardedInOriginFormWithConnectionClose() throws Exception {
    CompletableFuture<String> received = new CompletableFuture<>();
    LoopbackServer up =
        server(
            s -> {
              received.complete(readHeadAndBody(s.getInputStream(), 5));
              s.getOutputStream().write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".getBytes(StandardCharsets.US_ASCII));
            });
    Gateway g = gateway(List.of("api.test:" + up.port()), List.of());

    String response;
    try (ProxyClient c = new ProxyClient(g.socketPath())) {
      response =
          c.send(
                  "POST http://api.test:" + up.port() + "/path?q=1#frag HTTP/1.1\r\n"
                      + "Host: API.test:" + up.port() + "\r\nProxy-Authorization: Basic c2VjcmV0\r\nProxy-Connection: keep-alive\r\n"
                      + "Connection: keep-alive, X-Drop\r\nX-Drop: 1\r\nX-Keep: 2\r\nContent-Length: 5\r\n\r\nhello")
              .readAll();
    }

    assertThat(response).isEqualTo("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    assertThat(received.get(10, TimeUnit.SECONDS))
        .isEqualTo(
            "POST /path?q=1 HTTP/1.1\r\nHost: api.test:" + up.port() + "\r\nX-Keep: 2\r\nContent-Length: 5\r\n"
                + "Connection: close\r\n\r\nhello");
    assertThat(seen).singleElement().satisfies(s -> assertThat(s.method()).isEqualTo("POST"));
  }

  @Test
  void chunkedRequestBodyIsRelayedUntilTheUpstreamAnswers() throws Exception {
    CompletableFuture<String> received = new CompletableFuture<>();
    LoopbackServer up =
        server(
            s -> {
              ByteArrayOutputStream got = new ByteArrayOutputStream();
              InputStream in = s.getInputStream();
              for (int b = in.read(); b >= 0; b = in.read()) {
                got.write(b);
                if (got.toString(StandardCharsets.ISO_8859_1).endsWith("0\r\n\r\n")) {
                  break;
                }
              }
              received.complete(got.toString(StandardCharsets.ISO_8859_1));
              s.getOutputStream().write("HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            });
    Gateway g = gateway(List.of("api.test:" + up.port()), List.of());

    String response;
    try (ProxyClient c = new ProxyClient(g.socketPath())) {
      response =
          c.send("PUT http://api.test:" + up.port() + "/up HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
              .readAll();
    }

    assertThat(response).isEqualTo("HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n");
    assertThat(received.get(10, TimeUnit.SECONDS)).endsWith("Connection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
  }

  /** Reads a request head and then exactly {@code bodyLength} bytes. */
  private static String readHeadAndBody(InputStream in, int bodyLength) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    while (!out.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        break;
      }
      out.write(b);
    }
    out.write(in.readNBytes(bodyLength));
    return out.toString(StandardCharsets.ISO_8859_1);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '"',
      value = {
        "GARBAGE                                 | malformed request line 'GARBAGE'; expected 'METHOD target HTTP/1.1'",
        "GET / HTTP/1.1                          | this is a proxy: send absolute-form requests ('GET http://host/path') or CONNECT host:port",
        "CONNECT api.test HTTP/1.1               | CONNECT needs host:port, got 'api.test'",
        "CONNECT api.test:99999 HTTP/1.1         | port 99999 is out of range; accepted: 1-65535",
        "CONNECT api.test:x HTTP/1.1             | port 'x' is not a number; accepted: 1-65535",
        "GET https://api.test/ HTTP/1.1          | https:// targets must be tunnelled with CONNECT (set HTTPS_PROXY, not just HTTP_PROXY)",
        "GET ftp://api.test/ HTTP/1.1            | unsupported request target 'ftp://api.test/'; accepted: http://host[:port]/path, or CONNECT host:port",
        "GET http://user@api.test/ HTTP/1.1      | user information in the request target is not accepted",
        "CONNECT a..b:443 HTTP/1.1               | host 'a..b' is not a valid internationalised name (Empty label is not a legal name)",
        "CONNECT api.test:443 HTTP/2.0           | unsupported protocol 'HTTP/2.0'; accepted: HTTP/1.1, HTTP/1.0",
        "POST http://api.test/ HTTP/1.1\\r\\nX-Bad : 1 | malformed header line 'X-Bad : 1'; expected 'Name: value'",
        "POST http://api.test/ HTTP/1.1\\r\\nContent-Length: 1\\r\\nTransfer-Encoding: chunked | both Transfer-Encoding and Content-Length are present",
        "POST http://api.test/ HTTP/1.1\\r\\nContent-Length: 1\\r\\nContent-Length: 2 | invalid Content-Length '1, 2'; accepted: one decimal number of at most 18 digits",
        "POST http://api.test/ HTTP/1.1\\r\\nTransfer-Encoding: gzip | unsupported Transfer-Encoding 'gzip'; accepted: chunked",
        "POST http://api.test/ HTTP/1.1\\r\\n Folded: 1 | folded header lines are not accepted",
      })
  void malformedRequestGets400WithTheReason(String request, String reason) throws Exception {
    Gateway g = gateway(List.of("api.test", "api.test:80"), List.of());

    String response;
    try (ProxyClient c = new ProxyClient(g.socketPath())) {
      response = c.send(request.replace("\\r\\n", "\r\n") + "\r\n\r\n").readAll();
    }

    assertThat(response).startsWith("HTTP/1.1 400 Bad Request\r\n").endsWith("\r\n\r\ntaskbound: bad proxy request: " + reason + "\n");
    assertThat(seen).isEmpty();
    assertThat(g.stats().malformed()).isEqualTo(1);
  }

  @Test
  void aHeadLargerThanTheFirstBufferArrivingInPiecesIsForwardedWhole() throws Exception {
    CompletableFuture<String> received = new CompletableFuture<>();
    LoopbackServer up = server(s -> {
      received.complete(readHeadAndBody(s.getInputStream(), 0));
      s.getOutputStream().write("HTTP/1.1 204 No Content\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    });
    Gateway g = gateway(List.of("api.test:" + up.port()), List.of());
    char[] big = new char[10_000]; // the head is read into 4 KiB first, grown up to maxHeaderBytes
    Arrays.fill(big, 'b');
    String head = "GET http://api.test:" + up.port() + "/ HTTP/1.1\r\nX-Big: " + new String(big) + "\r\n\r\n";

    String response;
    try (ProxyClient c = new ProxyClient(g.socketPath())) {
      for (int i = 0; i < head.length(); i += 1500) {
        c.send(head.substring(i, Math.min(head.length(), i + 1500)));
      }
      response = c.readAll();
    }

    assertThat(response).isEqualTo("HTTP/1.1 204 No Content\r\n\r\n");
    assertThat(received.get(10, TimeUnit.SECONDS)).contains("\r\nX-Big: " + new String(big) + "\r\n");
  }

  @Test
  void oversizedRequestHeadGets431() throws Exception {
    Gateway g = gateway(List.of("api.test"), List.of(), GatewayOptions.DEFAULTS.withMaxHeaderBytes(1024));
    char[] big = new char[2000];
    Arrays.fill(big, 'a');

    String response;
    try (ProxyClient c = new ProxyClient(g.socketPath())) {
      response = c.send("CONNECT api.test:443 HTTP/1.1\r\nX-Big: " + new String(big) + "\r\n\r\n").readAll();
    }

    assertThat(response)
        .startsWith("HTTP/1.1 431 Request Header Fields Too Large\r\n")
        .endsWith("the request head is larger than 1024 bytes\n");
  }

  @Test
  void requestHeadThatNeverEndsGets408() throws Exception {
    Gateway g = gateway(List.of("api.test"), List.of(), GatewayOptions.DEFAULTS.withHeaderTimeout(Duration.ofMillis(200)));

    String response;
    try (ProxyClient c = new ProxyClient(g.socketPath())) {
      response = c.send("CONNECT api.test:443 HTTP/1.1\r\nX-Slow: 1\r\n").readAll();
    }

    assertThat(response).startsWith("HTTP/1.1 408 Request Timeout\r\n").endsWith("did not arrive within 200 ms\n");
  }

  @Test
  void allowedUpstreamThatRefusesGets502() throws Exception {
    int port = LoopbackServer.closedPort();
    Gateway g = gateway(List.of("api.test:" + port), List.of());

    String response;
    try (ProxyClient c = new ProxyClient(g.socketPath())) {
      response = c.send("CONNECT api.test:" + port + " HTTP/1.1\r\n\r\n").readAll();
    }

    assertThat(response)
        .startsWith("HTTP/1.1 502 Bad Gateway\r\n")
        .contains("taskbound: egress to api.test:" + port + " allowed, but could not connect to api.test:" + port + " at [/127.0.0.1]");
    assertThat(seen).singleElement().satisfies(s -> assertThat(s.dialled()).isEmpty());
    assertThat(g.stats().upstreamFailures()).isEqualTo(1);
  }

  @Test
  void looksANameUpOffTheRelayThreadThenTriesTheNextAddressWhenOneRefuses() throws Exception {
    LoopbackServer up = server(echo());
    List<String> lookupThreads = new CopyOnWriteArrayList<>();
    NameResolver twoAddresses = host -> {
      lookupThreads.add(Thread.currentThread().getName());
      // nothing listens on 127.0.0.2 at that port: refused, so the gateway goes on to 127.0.0.1
      return List.of(InetAddress.getByName("127.0.0.2"), InetAddress.getByName("127.0.0.1"));
    };
    Gateway g = gateway(List.of("multi.test:" + up.port()), List.of(),
        GatewayOptions.DEFAULTS.withResolver(twoAddresses).withAllowPrivateAddresses(true));

    String reply;
    try (ProxyClient c = new ProxyClient(g.socketPath())) {
      reply = c.send("CONNECT multi.test:" + up.port() + " HTTP/1.1\r\n\r\nping").read(ProxyClient.ESTABLISHED.length() + 4);
    }

    assertThat(reply).isEqualTo(ProxyClient.ESTABLISHED + "ping");
    assertThat(lookupThreads).singleElement().asString().doesNotContain("relay");
    assertThat(seen).singleElement().satisfies(s -> assertThat(s.dialled()).contains(InetAddress.getByName("127.0.0.1")));
  }

  @Test
  void upstreamThatDoesNotAnswerWithinTheConnectTimeoutGets502() throws Exception {
    // A listener whose accept queue is full drops new SYNs: a connection to it neither succeeds
    // nor fails until the gateway's connect timeout.
    try (ServerSocketChannel full = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1)) {
      int port = ((InetSocketAddress) full.getLocalAddress()).getPort();
      List<SocketChannel> fillers = new ArrayList<>();
      try {
        for (int i = 0; i < 4; i++) {
          SocketChannel filler = SocketChannel.open();
          fillers.add(filler);
          filler.configureBlocking(false);
          filler.connect(full.getLocalAddress());
        }
        Gateway g = gateway(List.of("api.test:" + port), List.of(), GatewayOptions.DEFAULTS.withConnectTimeout(Duration.ofMillis(300)));

        String response;
        try (ProxyClient c = new ProxyClient(g.socketPath())) {
          response = c.send("CONNECT api.test:" + port + " HTTP/1.1\r\n\r\n").readAll();
        }

        assertThat(response).startsWith("HTTP/1.1 502 Bad Gateway\r\n").contains("(timed out after 300 ms)");
      } finally {
        for (SocketChannel f : fillers) {
          f.close();
        }
      }
    }
  }

  @Test
  void nameThatDoesNotResolveGets502() throws Exception {
    NameResolver nothing = host -> {
      throw new UnknownHostException(host);
    };
    Gateway g = gateway(List.of("other.test"), List.of(), GatewayOptions.DEFAULTS.withResolver(nothing));

    String response;
    try (ProxyClient c = new ProxyClient(g.socketPath())) {
      response = c.send("CONNECT other.test:443 HTTP/1.1\r\n\r\n").readAll();
    }

    assertThat(response).startsWith("HTTP/1.1 502 Bad Gateway\r\n").endsWith("allowed, but the name other.test does not resolve\n");
  }

  @Test
  void aResolverThatThrowsGets502AndFreesTheSlot() throws Exception {
    NameResolver broken = host -> {
      throw new IllegalStateException("resolver bug");
    };
    Gateway g = gateway(List.of("other.test"), List.of(), GatewayOptions.DEFAULTS.withResolver(broken));

    String response;
    try (ProxyClient c = new ProxyClient(g.socketPath())) {
      response = c.send("CONNECT other.test:443 HTTP/1.1\r\n\r\n").readAll();
    }

    assertThat(response).startsWith("HTTP/1.1 502 Bad Gateway\r\n")
        .contains("the name other.test could not be resolved (java.lang.IllegalStateException: resolver bug)");
    assertThat(seen).singleElement().satisfies(s -> assertThat(s.dialled()).isEmpty());
  }

  @Test
  void aLookupThatOutlastsTheHeaderTimeoutGets502() throws Exception {
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    NameResolver stuck = host -> {
      try {
        release.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return List.of(InetAddress.getLoopbackAddress());
    };
    Gateway g = gateway(List.of("other.test"), List.of(),
        GatewayOptions.DEFAULTS.withResolver(stuck).withHeaderTimeout(Duration.ofMillis(300)));

    String response;
    try (ProxyClient c = new ProxyClient(g.socketPath())) {
      response = c.send("CONNECT other.test:443 HTTP/1.1\r\n\r\n").readAll();
    } finally {
      release.countDown();
    }

    assertThat(response).startsWith("HTTP/1.1 502 Bad Gateway\r\n").endsWith("the name other.test was not resolved within 300 ms\n");
  }

  @Test
  void addressRefusedByTheGuardIsForbiddenAndNeverDialled() throws Exception {
    List<String> accepted = new CopyOnWriteArrayList<>();
    LoopbackServer up = server(s -> accepted.add("connection"));
    AddressGuard noLoopback = (d, a) -> a.isLoopbackAddress() ? Optional.of("loopback address " + a.getHostAddress()) : Optional.empty();
    Gateway g = gateway(List.of("api.test:" + up.port()), List.of(), GatewayOptions.DEFAULTS.withGuard(noLoopback));

    String response;
    try (ProxyClient c = new ProxyClient(g.socketPath())) {
      response = c.send("CONNECT api.test:" + up.port() + " HTTP/1.1\r\n\r\n").readAll();
    }

    assertThat(response).startsWith("HTTP/1.1 403 Forbidden\r\n").contains("denied (loopback address 127.0.0.1)");
    assertThat(accepted).isEmpty();
    // Issue 10: the listener hears a denial, not the rules' allow.
    assertThat(seen).singleElement().satisfies(s -> {
      assertThat(s.decision().allowed()).isFalse();
      assertThat(s.decision().reason()).isEqualTo("loopback address 127.0.0.1");
    });
  }

  @Test
  void addressRefusedByTheGuardIsRecordedAsADenialEvenWhenTheOtherAddressIsUnreachable() throws Exception {
    int closed = LoopbackServer.closedPort();
    NameResolver twoAddresses = host -> List.of(InetAddress.getByName("127.0.0.2"), InetAddress.getByName("127.0.0.1"));
    AddressGuard not2 = (d, a) -> a.getHostAddress().equals("127.0.0.2") ? Optional.of("address 127.0.0.2 is on the block list") : Optional.empty();
    Gateway g = gateway(List.of("multi.test:" + closed), List.of(),
        GatewayOptions.DEFAULTS.withResolver(twoAddresses).withAllowPrivateAddresses(true).withGuard(not2));

    String response;
    try (ProxyClient c = new ProxyClient(g.socketPath())) {
      response = c.send("CONNECT multi.test:" + closed + " HTTP/1.1\r\n\r\n").readAll();
    }

    // Review finding F4: the refused address used to vanish behind the unreachable one's 502.
    assertThat(response).startsWith("HTTP/1.1 403 Forbidden\r\n")
        .contains("address 127.0.0.2 is on the block list; the other addresses: could not connect to multi.test:" + closed);
    assertThat(seen).singleElement().satisfies(s -> {
      assertThat(s.decision().allowed()).isFalse();
      assertThat(s.decision().reason()).isEqualTo("address 127.0.0.2 is on the block list");
    });
  }

  @Test
  /** Issue 10: no decision goes unrecorded; a listener that cannot record fails the gateway closed. */
  void listenerThatFailsStopsTheRequestFromBeingRelayedAndFailsTheGateway() throws Exception {
    LoopbackServer up = server(echo());
    Gateway g =
        Gateway.start(
            new GatewayConfig(
                dir.resolve("gw.sock"),
                RuleSet.of(List.of(EgressRule.parse("api.test:" + up.port())), List.of()),
                Map.of("api.test", "127.0.0.1"),
                (d, m, a) -> {
                  throw new IllegalStateException("evidence log is full");
                }));
    closeables.add(g);
    java.util.concurrent.CompletableFuture<Throwable> failed = new java.util.concurrent.CompletableFuture<>();
    g.onFailure(failed::complete);

    String response;
    try (ProxyClient c = new ProxyClient(g.socketPath())) {
      response = c.send("CONNECT api.test:" + up.port() + " HTTP/1.1\r\n\r\nping").readAll();
    }

    // The 500 races the gateway's shutdown, which closes every connection: either way, no relay.
    assertThat(response).doesNotContain("ping").doesNotContain("200 Connection Established");
    assertThat(failed.get(30, java.util.concurrent.TimeUnit.SECONDS))
        .hasMessageContaining("an egress decision for api.test:" + up.port() + " could not be recorded")
        .hasMessageContaining("evidence log is full");
    assertThat(g.isServing()).isFalse();
  }

  @Test
  void closeEndsOpenTunnelsDeletesTheSocketAndIsIdempotent() throws Exception {
    LoopbackServer up = server(echo());
    Gateway g = gateway(List.of("api.test:" + up.port()), List.of());
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(g.socketPath()))).isEqualTo("rw-------");

    try (ProxyClient c = new ProxyClient(g.socketPath())) {
      c.send("CONNECT api.test:" + up.port() + " HTTP/1.1\r\n\r\nping");
      assertThat(c.read(ProxyClient.ESTABLISHED.length() + 4)).endsWith("ping");

      g.close();
      g.close();

      assertThat(c.readAll()).isEmpty();
    }
    assertThat(g.socketPath()).doesNotExist();
    assertThat(g.stats().open()).isZero();
  }

  @Test
  void startOnAnExistingFileFailsWithTheSandboxExitCode() throws Exception {
    Path taken = Files.createFile(dir.resolve("taken.sock"));

    assertThatThrownBy(() -> Gateway.start(new GatewayConfig(taken, RuleSet.of(List.of(), List.of()), Map.of(), EgressListener.NONE)))
        .isInstanceOf(GatewayException.class)
        .hasMessageStartingWith("cannot start the egress gateway on " + taken + ": ")
        .satisfies(e -> assertThat(((GatewayException) e).exitCode()).isEqualTo(ExitCodes.SANDBOX));
    assertThat(taken).exists();
  }

  @Test
  void pinToSomethingOtherThanAnAddressIsRefused() {
    assertThatThrownBy(
            () -> new GatewayConfig(dir.resolve("x.sock"), RuleSet.of(List.of(), List.of()), Map.of("api.test", "example.com"), EgressListener.NONE))
        .isInstanceOf(EgressRuleException.class)
        .hasMessage(
            "spec.egress.hosts entry 'api.test': 'example.com' is not an IP address; accepted: an IPv4 address or an IPv6 address");
  }

  @Test
  void deniedPlainHttpRequestNamesThePortInTheRuleToAdd() throws Exception {
    Gateway g = gateway(List.of(), List.of());

    String response;
    try (ProxyClient c = new ProxyClient(g.socketPath())) {
      response = c.send("GET http://evil.test/x HTTP/1.1\r\n\r\n").readAll();
    }

    assertThat(response).endsWith("add \"evil.test:80\" to spec.egress.allow in your policy.\n");
  }
}
