package dev.taskbound.core.escape;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.taskbound.core.egress.EgressDecision;
import dev.taskbound.core.egress.EgressRule;
import dev.taskbound.core.egress.Gateway;
import dev.taskbound.core.egress.GatewayConfig;
import dev.taskbound.core.egress.GatewayEvents;
import dev.taskbound.core.egress.GatewayOptions;
import dev.taskbound.core.egress.IpLiteral;
import dev.taskbound.core.egress.RuleSet;
import dev.taskbound.core.sandbox.Sandbox;
import dev.taskbound.core.sandbox.SandboxIo;
import dev.taskbound.core.sandbox.SandboxLaunch;
import dev.taskbound.core.sandbox.SandboxProbes;
import dev.taskbound.core.sandbox.SandboxProcess;
import dev.taskbound.core.session.AgentEnvironment;
import java.io.IOException;
import java.lang.ProcessBuilder.Redirect;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 3's escape suite, once for every enforcing backend: each case an agent trying to get around
 * the gateway, with a real sandbox, a real gateway and real clients (curl, openssl, socat, bash).
 * Zero escapes. A subclass supplies the backend ({@link #sandbox}), where the agent works
 * ({@link #workspace}) and whether the gateway's socket is visible inside.
 *
 * <p>Every host-side target is a server this test opens on 127.0.0.1. The only non-loopback
 * destinations are addressed from inside the sandbox, whose network namespace has only {@code lo}
 * and no route: the kernel fails the connect with "Network is unreachable" before any packet
 * exists. 192.0.2.1 is TEST-NET-1 (RFC 5737, documentation only), so even a broken sandbox would
 * send nothing to a real host.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
abstract class EscapeSuite {
  /** TEST-NET-1: only ever addressed from inside the sandbox, where no route exists. */
  static final String UNROUTED = "192.0.2.1";

  record Event(GatewayEvents.Kind type, String host, int port, String detail) {}

  record Run(int status, String out, String err) {}

  Path dir;
  HttpServer origin;
  HttpServer origin6;
  final AtomicInteger originRequests = new AtomicInteger();
  ServerSocket hostTcp;
  final AtomicInteger hostTcpAccepts = new AtomicInteger();
  ServerSocket tlsOrigin;
  final AtomicInteger tlsOriginBytes = new AtomicInteger();
  DatagramSocket hostUdp;
  Gateway gateway;
  Sandbox sandbox;
  final List<EgressDecision> decisions = new CopyOnWriteArrayList<>();
  final List<Event> events = new CopyOnWriteArrayList<>();
  int runs;

  /**
   * The backend under test. {@code dir} holds a file {@code docker.sock} (a stand-in for the Docker
   * socket, containing {@code docker-socket-stand-in}) that the agent must not read.
   */
  abstract Sandbox sandbox(Path dir) throws Exception;

  /** The agent's working directory; the session's files the cases hide live below it. */
  abstract Path workspace(Path dir) throws IOException;

  /** Where the gateway's socket goes; the container backend mounts only its directory, into the forwarder. */
  abstract Path gatewaySocket(Path dir) throws IOException;

  /** Whether the agent can see the gateway's socket file (netns: yes, by design; container: no). */
  abstract boolean gatewaySocketVisible();

  /**
   * Whether the gateway holds the agent's proxy port (the sandbox hands its listener over), rather
   * than a forwarder in the sandbox relaying to the gateway's socket.
   */
  abstract boolean gatewayHoldsTheAgentsPort();

  @BeforeAll
  void start(@TempDir Path tempDir) throws Exception {
    dir = tempDir;
    origin = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    origin.createContext("/", ex -> {
      originRequests.incrementAndGet();
      byte[] body = "origin\n".getBytes(StandardCharsets.UTF_8);
      ex.sendResponseHeaders(200, body.length);
      ex.getResponseBody().write(body);
      ex.close();
    });
    origin.start();
    origin6 = HttpServer.create(new InetSocketAddress(InetAddress.getByName("::1"), 0), 0);
    origin6.createContext("/", ex -> {
      byte[] body = ("v6 " + ex.getLocalAddress().getAddress().getHostAddress() + "\n").getBytes(StandardCharsets.UTF_8);
      ex.sendResponseHeaders(200, body.length);
      ex.getResponseBody().write(body);
      ex.close();
    });
    origin6.start();
    hostTcp = server(hostTcpAccepts, false);
    tlsOrigin = server(tlsOriginBytes, true);
    hostUdp = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    int http = origin.getAddress().getPort();
    int tls = tlsOrigin.getLocalPort();
    RuleSet rules = RuleSet.of(
        rules("api.test:" + http, "api.test:" + tls, "loop.test:" + http, "meta.test:80", "169.254.169.254:80",
            "[fd00:ec2::254]:80", "100.100.100.200:80", "six.test:" + origin6.getAddress().getPort()),
        List.of());
    Map<String, String> pins = Map.of("api.test", "127.0.0.1", "meta.test", "169.254.169.254", "six.test", "::1");
    GatewayOptions options = GatewayOptions.DEFAULTS
        .withResolver(host -> {
          if (host.equals("loop.test")) {
            return List.of(InetAddress.getLoopbackAddress()); // a name that resolves to loopback, not pinned
          }
          throw new UnknownHostException(host); // never real DNS
        })
        .withTlsPorts(Set.of(443, tls))
        .withEvents((t, h, p, d) -> events.add(new Event(t, h, p, d)));
    gateway = Gateway.start(new GatewayConfig(gatewaySocket(dir), rules, pins, (d, m, a) -> decisions.add(d), options));
    Files.writeString(dir.resolve("docker.sock"), "docker-socket-stand-in");
    sandbox = sandbox(dir);
  }

  private static List<EgressRule> rules(String... texts) {
    return List.of(texts).stream().map(EgressRule::parse).collect(Collectors.toList());
  }

  /** A loopback TCP server that counts accepted connections, or bytes received. */
  private static ServerSocket server(AtomicInteger count, boolean bytes) throws IOException {
    ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread t = new Thread(() -> {
      while (!s.isClosed()) {
        try (Socket c = s.accept()) {
          if (bytes) {
            count.addAndGet(c.getInputStream().readAllBytes().length);
          } else {
            count.incrementAndGet();
          }
        } catch (IOException e) {
          return;
        }
      }
    });
    t.setDaemon(true);
    t.start();
    return s;
  }

  @AfterAll
  void stop() throws IOException {
    if (gateway != null) {
      gateway.close();
    }
    origin.stop(0);
    origin6.stop(0);
    hostTcp.close();
    tlsOrigin.close();
    hostUdp.close();
  }

  @BeforeEach
  void forget() {
    decisions.clear();
    events.clear();
  }

  private int httpPort() {
    return origin.getAddress().getPort();
  }

  /** Runs a bash script in a fresh sandbox; {@code $P} is the forwarder's port. */
  private Run bash(String script) throws Exception {
    return bash(script, List.of(), Map.of("PATH", "/usr/bin:/bin", "HOME", dir.toString()));
  }

  private Run bash(String script, List<Path> hidden, Map<String, String> env) throws Exception {
    int n = ++runs;
    SandboxLaunch launch = new SandboxLaunch(List.of("/bin/bash", "-c", "P=${HTTP_PROXY##*:}; " + script), workspace(dir), env,
        gateway.socketPath(), hidden, Duration.ofSeconds(20),
        new SandboxIo(Redirect.from(Path.of("/dev/null").toFile()), Redirect.to(dir.resolve("out" + n).toFile()),
            Redirect.to(dir.resolve("err" + n).toFile())))
        .withListenerSink(gateway::serveFrom); // as a session: the netns gateway holds the agent's port
    SandboxProcess p = sandbox.start(launch);
    try {
      if (!p.waitFor(Duration.ofSeconds(60))) {
        throw new AssertionError("the sandbox did not finish within 60 s");
      }
      return new Run(p.waitFor(), Files.readString(dir.resolve("out" + n)), Files.readString(dir.resolve("err" + n)));
    } finally {
      p.destroyTree();
    }
  }

  /** A raw proxy request from inside the sandbox ({@code $P} expands); prints the gateway's answer. */
  private static String raw(String request) {
    String quoted = request.replace("\r\n", "\\r\\n").replace("$P", "'\"$P\"'");
    return "printf '" + quoted + "' | socat -t 5 - TCP:127.0.0.1:$P; echo";
  }

  @Test
  void directTcpToAHostLoopbackServerNeverArrives() throws Exception {
    int port = hostTcp.getLocalPort();

    Run r = bash("curl -sS --noproxy '*' --max-time 5 http://127.0.0.1:" + port + "/ ; echo curl=$?;"
        + " (exec 3<>/dev/tcp/127.0.0.1/" + port + ") 2>&1; echo tcp=$?");

    assertThat(r.out()).contains("curl=7", "tcp=1")
        .contains("Connection refused"); // the sandbox's own lo: nothing listens there
    assertThat(hostTcpAccepts).hasValue(0);
  }

  @Test
  void udpAndTcpDnsToLoopbackResolversNeverLeaveTheSandbox() throws Exception {
    int port = hostUdp.getLocalPort();
    String nameserver = hostLoopbackNameserver();

    Run r = bash("for t in 127.0.0.53/53 127.0.0.1/" + port + (nameserver.isEmpty() ? "" : " " + nameserver + "/53")
        + "; do echo query > /dev/udp/$t; echo sent=$?; done; (exec 3<>/dev/tcp/127.0.0.53/53) 2>&1; echo tcp=$?");
    byte[] marker = "marker".getBytes(StandardCharsets.US_ASCII);
    try (DatagramSocket s = new DatagramSocket()) {
      s.send(new DatagramPacket(marker, marker.length, hostUdp.getLocalSocketAddress()));
    }
    DatagramPacket first = new DatagramPacket(new byte[64], 64);
    hostUdp.setSoTimeout(10_000);
    hostUdp.receive(first);

    assertThat(r.out()).contains("sent=0"); // the datagrams went to the sandbox's own lo
    assertThat(r.out()).contains("Connection refused", "tcp=1"); // nothing listens on the sandbox's 127.0.0.53
    assertThat(new String(first.getData(), 0, first.getLength(), StandardCharsets.US_ASCII)).isEqualTo("marker");
  }

  /** The host's resolv.conf nameserver if it is a loopback literal, else "" (never addressed then). */
  private static String hostLoopbackNameserver() throws IOException {
    Path conf = Path.of("/etc/resolv.conf");
    if (!Files.isReadable(conf)) {
      return "";
    }
    for (String line : Files.readAllLines(conf)) {
      String[] f = line.strip().split("\\s+");
      if (f.length >= 2 && f[0].equals("nameserver")) {
        try {
          IpLiteral ip = IpLiteral.parse(f[1]);
          if (ip.address().isLoopbackAddress() && !ip.isIpv6()) {
            return ip.toString();
          }
        } catch (RuntimeException e) {
          // not a literal we can use
        }
      }
    }
    return "";
  }

  @Test
  void tcpAndUdpToAnyNonLoopbackResolverAreUnreachable() throws Exception {
    // 192.0.2.1 is TEST-NET-1; the namespace has no route, so connect fails before a packet exists.
    Run r = bash("(exec 3<>/dev/tcp/" + UNROUTED + "/53) 2>&1; echo tcp=$?; (echo q > /dev/udp/" + UNROUTED + "/53) 2>&1;"
        + " echo udp=$?; getent hosts example.com; echo getent=$?");

    assertThat(r.out()).contains("tcp=1", "udp=1", "getent=2").contains("Network is unreachable");
  }

  @Test
  void ipLiteralSpellingsOfLoopbackAreDeniedByTheGateway() throws Exception {
    int port = hostTcp.getLocalPort();
    StringBuilder script = new StringBuilder();
    for (String h : List.of("2130706433", "0x7f.1", "0177.0.0.1", "127.1", "0x7f000001", "127.0.0.1.")) {
      script.append(raw("CONNECT " + h + ":" + port + " HTTP/1.1\r\n\r\n")).append(';');
    }

    Run r = bash(script.toString());

    assertThat(r.out().split("HTTP/1.1 403 Forbidden", -1)).hasSize(7);
    assertThat(decisions).hasSize(6).allSatisfy(d -> {
      assertThat(d.allowed()).isFalse();
      assertThat(d.host()).isEqualTo("127.0.0.1");
    });
    assertThat(hostTcpAccepts).hasValue(0);
  }

  @Test
  void ipv6LiteralsAreDeniedByTheGatewayAndUnreachableDirectly() throws Exception {
    int port = hostTcp.getLocalPort();

    Run r = bash(raw("CONNECT [::1]:" + port + " HTTP/1.1\r\n\r\n") + ";"
        + raw("CONNECT [::ffff:7f00:1]:" + port + " HTTP/1.1\r\n\r\n") + ";"
        + raw("CONNECT [0:0:0:0:0:0:0:1]:" + port + " HTTP/1.1\r\n\r\n") + ";"
        + "(exec 3<>/dev/tcp/2001:db8::1/443) 2>&1; echo v6=$?");

    assertThat(r.out().split("HTTP/1.1 403 Forbidden", -1)).hasSize(4);
    assertThat(decisions).extracting(EgressDecision::host).containsExactly("::1", "127.0.0.1", "::1");
    assertThat(r.out()).contains("v6=1").containsPattern("Network is unreachable|Cannot assign requested address");
  }

  @Test
  void anAllowedNamePinnedToIpv6LoopbackIsReachedOverIpv6() throws Exception {
    Run r = bash("curl -sS http://six.test:" + origin6.getAddress().getPort() + "/");

    assertThat(r.out()).as(r.err()).startsWith("v6 0:0:0:0:0:0:0:1");
    assertThat(decisions).singleElement().satisfies(d -> assertThat(d.allowed()).isTrue());
  }

  @Test
  void metadataAddressesAreRefusedEvenWhenAllowedOrPinned() throws Exception {
    Run r = bash(raw("CONNECT 169.254.169.254:80 HTTP/1.1\r\n\r\n") + ";"
        + raw("CONNECT 0xa9fea9fe:80 HTTP/1.1\r\n\r\n") + ";"
        + raw("CONNECT [::ffff:169.254.169.254]:80 HTTP/1.1\r\n\r\n") + ";"
        + raw("CONNECT [fd00:ec2::254]:80 HTTP/1.1\r\n\r\n") + ";"
        + raw("CONNECT 100.100.100.200:80 HTTP/1.1\r\n\r\n") + ";"
        + raw("GET http://meta.test/latest/meta-data/ HTTP/1.1\r\nHost: meta.test\r\n\r\n"));

    assertThat(r.out().split("HTTP/1.1 403 Forbidden", -1)).hasSize(7);
    assertThat(r.out().split("is a cloud metadata address; always refused", -1)).hasSize(7);
  }

  @Test
  void aNameThatResolvesToLoopbackWithoutOptInIsRefused() throws Exception {
    Run r = bash("curl -sS -o /dev/null -w '%{http_code}\\n' http://loop.test:" + httpPort() + "/; "
        + "curl -sS http://loop.test:" + httpPort() + "/");

    assertThat(r.out()).startsWith("403\n").contains("(address 127.0.0.1 is loopback; a name that resolves to such an"
        + " address is refused unless the policy pins it in spec.egress.hosts");
    assertThat(originRequests).hasValue(0);
  }

  @Test
  void connectToADisallowedPortIsDenied() throws Exception {
    Run r = bash(raw("CONNECT api.test:22 HTTP/1.1\r\n\r\n"));

    assertThat(r.out()).startsWith("HTTP/1.1 403 Forbidden").contains("egress to api.test:22 denied (no allow rule matches)");
  }

  @Test
  void theGatewaySocketAndLocalhostOfferNoAdminPlane() throws Exception {
    Path sock = gateway.socketPath();

    Run r = bash(raw("CONNECT localhost:$P HTTP/1.1\r\n\r\n") + ";"
        + raw("CONNECT 127.0.0.1:$P HTTP/1.1\r\n\r\n") + ";"
        + "printf 'GET /admin HTTP/1.1\\r\\nHost: localhost\\r\\n\\r\\n' | socat -t 5 - UNIX-CONNECT:" + sock + "; echo;"
        + raw("GET http://localhost:$P/ HTTP/1.1\r\n\r\n"));

    assertThat(r.out().split("HTTP/1.1 403 Forbidden", -1)).hasSize(4);
    if (gatewaySocketVisible()) {
      assertThat(r.out()).contains("HTTP/1.1 400 Bad Request").contains("this is a proxy");
    } else {
      assertThat(r.err()).contains("No such file or directory");
      assertThat(r.out()).doesNotContain("400 Bad Request");
    }
  }

  @Test
  void sniThatDiffersFromTheConnectHostClosesTheTunnelBeforeAnyByteGoesUpstream() throws Exception {
    int tls = tlsOrigin.getLocalPort();

    Run r = bash("openssl s_client -proxy 127.0.0.1:$P -connect api.test:" + tls + " -servername evil.example.com"
        + " </dev/null >/dev/null 2>&1; echo openssl=$?");

    assertThat(r.out()).doesNotContain("openssl=0");
    assertThat(events).extracting(Event::type).containsExactly(GatewayEvents.SNI_MISMATCH);
    assertThat(events.get(0).detail()).isEqualTo("SNI 'evil.example.com' differs from CONNECT host api.test; tunnel closed");
    assertThat(tlsOriginBytes).hasValue(0);
  }

  @Test
  void aHostHeaderNamingAnotherHostIsRefused() throws Exception {
    Run r = bash(raw("GET http://api.test:" + httpPort() + "/ HTTP/1.1\r\nHost: internal.admin\r\n\r\n"));

    assertThat(r.out()).startsWith("HTTP/1.1 400 Bad Request").contains("the Host header 'internal.admin' does not match");
    assertThat(originRequests).hasValue(0);
  }

  @Test
  void requestSmugglingWithTransferEncodingAndContentLengthIsRefused() throws Exception {
    Run r = bash(raw("POST http://api.test:" + httpPort() + "/ HTTP/1.1\r\nHost: api.test:" + httpPort()
        + "\r\nContent-Length: 44\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"));

    assertThat(r.out()).startsWith("HTTP/1.1 400 Bad Request").contains("both Transfer-Encoding and Content-Length");
    assertThat(events).extracting(Event::type).containsExactly(GatewayEvents.SMUGGLING);
    assertThat(originRequests).hasValue(0);
  }

  @Test
  void theDockerSocketAndTheSessionsHiddenFilesCannotBeRead() throws Exception {
    Path keys = Files.createDirectories(workspace(dir).resolve("session/keys"));
    Files.writeString(keys.resolve("signing.key"), "s3cret-key-material");
    Path journal = Files.writeString(workspace(dir).resolve("session/journal.json"), "s3cret-journal");

    Run r = bash("cat " + dir.resolve("docker.sock") + " /var/run/docker.sock " + journal + "; ls " + keys + "; cat "
        + keys.resolve("signing.key") + "; for s in /var/run/docker.sock /run/docker.sock; do"
        + " curl -sS --max-time 5 --unix-socket $s http://docker/version; echo docker=$?; done; echo done",
        List.of(keys, journal), Map.of("PATH", "/usr/bin:/bin", "HOME", dir.toString()));

    assertThat(r.out()).endsWith("done\n").doesNotContain("s3cret", "docker-socket-stand-in", "ApiVersion")
        .contains("docker=7\ndocker=7\n"); // curl: could not connect (a masked file or no file at all)
    assertThat(keys.resolve("signing.key")).hasContent("s3cret-key-material");
  }

  @Test
  void hostCiTokensDoNotReachTheAgent() throws Exception {
    Map<String, String> host = new HashMap<>(Map.of("PATH", "/usr/bin:/bin", "HOME", dir.toString(),
        "ACTIONS_RUNTIME_TOKEN", "sentinel-runtime-7f3a", "ACTIONS_ID_TOKEN_REQUEST_TOKEN", "sentinel-oidc-7f3a",
        "ACTIONS_ID_TOKEN_REQUEST_URL", "http://sentinel-7f3a", "TASKBOUND_SECRET", "sentinel-tb-7f3a"));

    Run r = bash("env; cat /proc/*/environ 2>/dev/null | tr '\\0' '\\n'; echo done", List.of(),
        AgentEnvironment.build(host, Map.of("TASKBOUND_TASK_ID", "t1")));

    assertThat(r.out()).endsWith("done\n").doesNotContain("sentinel").contains("TASKBOUND_TASK_ID=t1");
  }

  @Test
  void whenTheGatewayDiesTheAgentsConnectionsFail() throws Exception {
    Path ready = workspace(dir).resolve("ready.fifo");
    Path goOn = workspace(dir).resolve("go.fifo");
    mkfifo(ready);
    mkfifo(goOn);
    RuleSet rules = RuleSet.of(rules("api.test:" + httpPort()), List.of());
    Gateway dying = Gateway.start(new GatewayConfig(gatewaySocket(dir).resolveSibling("dying.sock"), rules, Map.of("api.test", "127.0.0.1"),
        (d, m, a) -> {}));
    List<Throwable> failures = new CopyOnWriteArrayList<>();
    dying.onFailure(failures::add);
    int n = ++runs;
    String url = "http://api.test:" + httpPort() + "/";
    // Held by the gateway, the port is checked once the sandbox's init has let go of it.
    String handedOver = gatewayHoldsTheAgentsPort() ? SandboxProbes.LISTENER_COUNTS + SandboxProbes.AWAIT_HAND_OVER : "";
    SandboxLaunch launch = new SandboxLaunch(List.of("/bin/bash", "-c", handedOver
        + "for i in 1 2 3; do curl -sS -o /dev/null -w 'before %{http_code}\\n' " + url + "; done; echo ready > " + ready
            + "; read x < " + goOn + "; for i in 1 2 3; do curl -sS --max-time 10 -o /dev/null -w 'after %{http_code}\\n' "
            + url + "; echo exit=$?; done"),
        workspace(dir), Map.of("PATH", "/usr/bin:/bin"), dying.socketPath(), List.of(), Duration.ofSeconds(20),
        new SandboxIo(Redirect.from(Path.of("/dev/null").toFile()), Redirect.to(dir.resolve("out" + n).toFile()),
            Redirect.to(dir.resolve("err" + n).toFile())))
        .withListenerSink(dying::serveFrom);
    SandboxProcess p = sandbox.start(launch);
    String out;
    try {
      Files.readString(ready); // blocks until the agent has made its first requests
      dying.close();
      Files.writeString(goOn, "go\n");
      assertThat(p.waitFor(Duration.ofSeconds(60))).isTrue();
      out = Files.readString(dir.resolve("out" + n));
    } finally {
      p.destroyTree();
    }

    assertThat(out).contains("before 200\nbefore 200\nbefore 200\n");
    // Held by the gateway, the port's listener closed with it: refused (curl exit 7). Behind a
    // forwarder: 52 (empty reply) or 56 (reset), depending on when it sees the socket go.
    String exit = gatewayHoldsTheAgentsPort() ? "7" : "5[26]";
    assertThat(out).doesNotContain("after 200").containsPattern("(after 000\nexit=" + exit + "\n){3}");
    assertThat(dying.isServing()).isFalse();
  }

  private static void mkfifo(Path p) throws Exception {
    Process mk = new ProcessBuilder("mkfifo", p.toString()).inheritIO().start();
    assertThat(mk.waitFor(10, TimeUnit.SECONDS) && mk.exitValue() == 0).isTrue();
  }
}
