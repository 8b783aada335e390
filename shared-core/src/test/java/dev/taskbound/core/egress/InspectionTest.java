package dev.taskbound.core.egress;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskbound.core.broker.Secret;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ProxySelector;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15: the inspecting gateway with real TLS on both sides. The agent's side is the JDK's
 * HttpClient (and raw TLS sockets for the escape cases) trusting only the session CA; the upstream
 * is a local HTTPS stand-in with a certificate from a test CA, which the gateway is told to trust
 * through the host-only upstream trust setting.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class InspectionTest {
  private static final String REAL = "ghs_realTokenValue0123456789abcdefghijklmnop";

  @TempDir Path dir;
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private final List<RequestGate.InspectedRequest> recorded = new CopyOnWriteArrayList<>();
  /** One permit per recorded request: the gateway records a request after its response has gone to the agent. */
  private final java.util.concurrent.Semaphore recordedCount = new java.util.concurrent.Semaphore(0);
  private final List<String> events = new CopyOnWriteArrayList<>();
  private final SessionCa upstreamCa = SessionCa.generate("upstream-test-ca", Clock.systemUTC());
  private SessionCa sessionCa;
  private InjectedCredentials credentials;
  private int proxyPort;

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable c : closeables) {
      c.close();
    }
  }

  /** A gate that denies pushes to main and ref deletions, and allows the rest. */
  private final RequestGate gate = new RequestGate() {
    @Override
    public Verdict decide(RequestAction action) {
      if (action.name().equals("git.push") && action.target().equals("refs/heads/main")
          || action.name().equals("git.ref.delete")) {
        return new Verdict(Verdict.Kind.DENY, action.name() + ": deny", "the test gate refuses it");
      }
      if (action.name().equals("github.pr.merge")) {
        return new Verdict(Verdict.Kind.APPROVE, "github.pr.merge: approve", "a person must approve merges");
      }
      return new Verdict(Verdict.Kind.ALLOW, "default", "allowed");
    }

    @Override
    public boolean holds(RequestAction action) {
      return holder != null && action.name().equals("github.issue.comment");
    }

    @Override
    public Verdict decide(RequestAction action, RequestLine request, java.util.function.BooleanSupplier callerGone) {
      return holds(action) ? holder.decide(request, callerGone) : decide(action);
    }

    @Override
    public void onRequest(InspectedRequest request) {
      recorded.add(request);
      recordedCount.release();
    }
  };

  /** A person, for a test that holds comments ({@code github.issue.comment}) for approval; null: none held. */
  private volatile Holder holder;

  @FunctionalInterface
  private interface Holder {
    RequestGate.Verdict decide(RequestGate.RequestLine request, java.util.function.BooleanSupplier callerGone);
  }

  /** A held request: the line the gate was shown, the agent's check, and the answer that releases it. */
  private record Held(RequestGate.RequestLine line, java.util.function.BooleanSupplier callerGone,
      java.util.concurrent.CompletableFuture<RequestGate.Verdict> answer) {}

  private java.util.concurrent.BlockingQueue<Held> holdComments() {
    java.util.concurrent.BlockingQueue<Held> held = new java.util.concurrent.LinkedBlockingQueue<>();
    holder = (line, gone) -> {
      Held h = new Held(line, gone, new java.util.concurrent.CompletableFuture<>());
      held.add(h);
      try {
        return h.answer().get(60, TimeUnit.SECONDS);
      } catch (Exception e) {
        return new RequestGate.Verdict(RequestGate.Verdict.Kind.DENY, "test", "not answered: " + e);
      }
    };
    return held;
  }

  private static String sha256(String text) throws Exception {
    return "sha256:" + java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
        .digest(text.getBytes(StandardCharsets.UTF_8)));
  }

  private HttpsStandIn standIn(String host) throws IOException {
    HttpsStandIn s = new HttpsStandIn(upstreamCa.serverContext(host));
    closeables.add(s);
    return s;
  }

  /** The gateway on a loopback port, inspecting {@code inspected}, trusting the upstream test CA. */
  private void gateway(Set<String> inspected, Map<String, String> pins, KeyStore upstreamTrust, String... allow)
      throws Exception {
    sessionCa = SessionCa.generate("test-session", Clock.systemUTC());
    credentials = InjectedCredentials.create();
    Inspection inspection = Inspection.of(inspected, sessionCa, Optional.of(upstreamTrust), credentials, gate);
    RuleSet rules = RuleSet.of(java.util.Arrays.stream(allow).map(EgressRule::parse).toList(), List.of());
    Gateway g = Gateway.start(new GatewayConfig(dir.resolve("gw.sock"), rules, pins, EgressListener.NONE,
        GatewayOptions.DEFAULTS.withAllowPrivateAddresses(true)
            .withEvents((kind, host, port, detail) -> events.add(kind + " " + host + " " + detail)),
        inspection));
    closeables.add(g);
    ServerSocketChannel port = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    g.serveFrom(port);
    proxyPort = ((InetSocketAddress) port.getLocalAddress()).getPort();
  }

  private static KeyStore trusting(X509Certificate... certs) throws Exception {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    for (int i = 0; i < certs.length; i++) {
      ks.setCertificateEntry("ca" + i, certs[i]);
    }
    return ks;
  }

  private HttpClient agentClient() throws Exception {
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trusting(sessionCa.certificate()));
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return HttpClient.newBuilder().sslContext(ctx)
        .proxy(ProxySelector.of(new InetSocketAddress(InetAddress.getLoopbackAddress(), proxyPort)))
        .connectTimeout(Duration.ofSeconds(10)).build();
  }

  private void githubGateway(HttpsStandIn up) throws Exception {
    gateway(Set.of("api.github.com"), Map.of("api.github.com", "127.0.0.1"), trusting(upstreamCa.certificate()),
        "api.github.com:" + up.port());
  }

  @Test
  void injectsTheRealTokenInPlaceOfItsPlaceholderOnlyOnTheWayToItsHost() throws Exception {
    HttpsStandIn up = standIn("api.github.com");
    githubGateway(up);
    String placeholder = credentials.bind(Set.of("api.github.com"), "", Secret.of(REAL));

    HttpResponse<String> r = agentClient().send(HttpRequest.newBuilder(URI.create("https://api.github.com:" + up.port()
        + "/repos/o/r/issues?state=open")).header("Authorization", "Bearer " + placeholder).build(),
        HttpResponse.BodyHandlers.ofString());

    assertThat(placeholder).startsWith("ghs_tbph").doesNotContain(REAL);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo("ok");
    assertThat(up.received()).singleElement().satisfies(req -> {
      assertThat(req.authorization()).isEqualTo("Bearer " + REAL);
      assertThat(req.path()).isEqualTo("/repos/o/r/issues?state=open");
    });
    awaitRecorded(1);
    assertThat(recorded).singleElement().satisfies(req -> {
      assertThat(req.pathTemplate()).isEqualTo("/repos/o/r/issues?state=").doesNotContain("open");
      assertThat(req.decision()).isEqualTo("allowed");
      assertThat(req.status()).isEqualTo(200);
      assertThat(req.actions()).extracting(RequestGate.RequestAction::name).containsExactly("http.request");
    });
  }

  @Test
  void aRefreshedTokenIsInjectedBehindTheSamePlaceholderAndTheReplacedOneIsRefused() throws Exception {
    HttpsStandIn up = standIn("api.github.com");
    githubGateway(up);
    String placeholder = credentials.bind(Set.of("api.github.com"), "", Secret.of(REAL));
    String refreshed = "ghs_refreshedTokenValue0123456789abcdefghij";

    boolean rebound = credentials.rebind(placeholder, Secret.of(refreshed));
    HttpResponse<String> withPlaceholder = agentClient().send(HttpRequest.newBuilder(URI.create("https://api.github.com:"
        + up.port() + "/installation/repositories")).header("Authorization", "token " + placeholder).build(),
        HttpResponse.BodyHandlers.ofString());
    HttpResponse<String> withOldToken = agentClient().send(HttpRequest.newBuilder(URI.create("https://api.github.com:"
        + up.port() + "/installation/repositories")).header("Authorization", "token " + REAL).build(),
        HttpResponse.BodyHandlers.ofString());

    assertThat(rebound).isTrue();
    assertThat(credentials.rebind("ghs_tbphNotBoundHere", Secret.of(refreshed))).isFalse();
    assertThat(withPlaceholder.statusCode()).isEqualTo(200);
    assertThat(withOldToken.statusCode()).isEqualTo(403);
    assertThat(withOldToken.body()).contains("a real credential in header Authorization that the gateway did not inject");
    assertThat(up.received()).singleElement().satisfies(req -> assertThat(req.authorization()).isEqualTo("token " + refreshed));
  }

  @Test
  void refusesAPlaceholderInAPlainHttpRequestToAHostThatIsNotInspectedAndSendsNothing() throws Exception {
    List<String> received = new CopyOnWriteArrayList<>();
    com.sun.net.httpserver.HttpServer plain =
        com.sun.net.httpserver.HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    plain.createContext("/", ex -> {
      received.add(ex.getRequestURI().toString());
      ex.sendResponseHeaders(200, -1);
      ex.close();
    });
    plain.start();
    closeables.add(() -> plain.stop(0));
    int port = plain.getAddress().getPort();
    HttpsStandIn up = standIn("api.github.com");
    gateway(Set.of("api.github.com"), Map.of("api.github.com", "127.0.0.1", "plain.test", "127.0.0.1"),
        trusting(upstreamCa.certificate()), "api.github.com:" + up.port(), "plain.test:" + port);
    String placeholder = credentials.bind(Set.of("api.github.com"), "", Secret.of(REAL));
    String basic = Base64.getEncoder().encodeToString(("x:" + placeholder).getBytes(StandardCharsets.UTF_8));

    HttpResponse<String> bearer = agentClient().send(HttpRequest.newBuilder(URI.create("http://plain.test:" + port
        + "/collect")).header("Authorization", "token " + placeholder).build(), HttpResponse.BodyHandlers.ofString());
    HttpResponse<String> inBasic = agentClient().send(HttpRequest.newBuilder(URI.create("http://plain.test:" + port
        + "/collect")).header("X-Anything", "Basic " + basic).build(), HttpResponse.BodyHandlers.ofString());
    HttpResponse<String> clean = agentClient().send(HttpRequest.newBuilder(URI.create("http://plain.test:" + port
        + "/clean")).build(), HttpResponse.BodyHandlers.ofString());

    assertThat(bearer.statusCode()).isEqualTo(403);
    assertThat(bearer.body()).contains("in header Authorization of a plain http request to plain.test");
    assertThat(inBasic.statusCode()).isEqualTo(403);
    assertThat(clean.statusCode()).isEqualTo(200);
    assertThat(received).containsExactly("/clean");
    assertThat(events).filteredOn(e -> e.startsWith("CREDENTIAL_MISUSE plain.test")).hasSize(2)
        .allSatisfy(e -> assertThat(e).doesNotContain(placeholder));
  }

  @Test
  void aModelCallIsNamedWithTheModelFromItsBodyWhichIsRelayedUnchanged() throws Exception {
    HttpsStandIn up = standIn("api.anthropic.com");
    gateway(Set.of("api.anthropic.com"), Map.of("api.anthropic.com", "127.0.0.1"), trusting(upstreamCa.certificate()),
        "api.anthropic.com:" + up.port());
    String body = "{\"max_tokens\":64,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
        + "\"model\":\"claude-sonnet-4-5\"}";

    HttpResponse<String> r = agentClient().send(HttpRequest.newBuilder(URI.create("https://api.anthropic.com:" + up.port()
        + "/v1/messages")).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(up.received()).singleElement()
        .satisfies(req -> assertThat(new String(req.body(), StandardCharsets.UTF_8)).isEqualTo(body));
    awaitRecorded(1);
    assertThat(recorded).singleElement().satisfies(req -> {
      assertThat(req.actions()).containsExactly(new RequestGate.RequestAction("model.call", "claude-sonnet-4-5"));
      assertThat(req.pathTemplate()).isEqualTo("/v1/messages");
    });
  }

  @Test
  void injectsIntoBasicAuthenticationAsGitSendsIt() throws Exception {
    HttpsStandIn up = standIn("api.github.com");
    githubGateway(up);
    String placeholder = credentials.bind(Set.of("api.github.com"), "", Secret.of(REAL));
    String basic = Base64.getEncoder().encodeToString(("x-access-token:" + placeholder).getBytes(StandardCharsets.UTF_8));

    HttpResponse<String> r = agentClient().send(HttpRequest.newBuilder(URI.create("https://api.github.com:" + up.port()
        + "/o/r.git/info/refs?service=git-upload-pack")).header("Authorization", "Basic " + basic).build(),
        HttpResponse.BodyHandlers.ofString());

    assertThat(r.statusCode()).isEqualTo(200);
    String sent = new String(Base64.getDecoder().decode(up.received().get(0).authorization().substring(6)),
        StandardCharsets.UTF_8);
    assertThat(sent).isEqualTo("x-access-token:" + REAL);
  }

  @Test
  void refusesAPlaceholderSentToAnotherAllowedHostAndSendsNothing() throws Exception {
    HttpsStandIn github = standIn("api.github.com");
    HttpsStandIn other = standIn("api.other.test");
    gateway(Set.of("api.github.com", "api.other.test"),
        Map.of("api.github.com", "127.0.0.1", "api.other.test", "127.0.0.1"), trusting(upstreamCa.certificate()),
        "api.github.com:" + github.port(), "api.other.test:" + other.port());
    String placeholder = credentials.bind(Set.of("api.github.com"), "", Secret.of(REAL));

    HttpResponse<String> r = agentClient().send(HttpRequest.newBuilder(URI.create("https://api.other.test:"
        + other.port() + "/collect")).header("Authorization", "token " + placeholder).build(),
        HttpResponse.BodyHandlers.ofString());

    assertThat(r.statusCode()).isEqualTo(403);
    assertThat(r.body()).contains("placeholder of a credential for api.github.com sent to api.other.test");
    assertThat(other.received()).isEmpty();
    assertThat(events).anySatisfy(e -> assertThat(e).startsWith("CREDENTIAL_MISUSE api.other.test"));
  }

  /** A server that echoes TRACE (Apache's default) would hand the agent the token the gateway injected. */
  /**
   * Review finding: an agent that reset its connection once its request had gone out (before the
   * answer was relayed) left no record of a request the upstream received.
   */
  @Test
  void aRequestThatWentOutIsRecordedEvenWhenTheAgentResetsBeforeItsAnswer() throws Exception {
    java.util.concurrent.CountDownLatch arrived = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch agentGone = new java.util.concurrent.CountDownLatch(1);
    HttpsStandIn up = new HttpsStandIn(upstreamCa.serverContext("api.github.com"), "{}".getBytes(StandardCharsets.UTF_8), () -> {
      arrived.countDown();
      try {
        agentGone.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    closeables.add(up);
    githubGateway(up);

    try (java.net.Socket raw = new java.net.Socket(InetAddress.getLoopbackAddress(), proxyPort)) {
      String authority = "api.github.com:" + up.port();
      raw.getOutputStream().write(("CONNECT " + authority + " HTTP/1.1\r\nHost: " + authority + "\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      java.io.InputStream connectReply = raw.getInputStream();
      StringBuilder head = new StringBuilder();
      while (!head.toString().endsWith("\r\n\r\n") && head.length() < 4096) {
        int b = connectReply.read();
        if (b < 0) {
          break;
        }
        head.append((char) b);
      }
      assertThat(head.toString()).startsWith("HTTP/1.1 200");
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trusting(sessionCa.certificate()));
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(null, tmf.getTrustManagers(), null);
      javax.net.ssl.SSLSocket tls = (javax.net.ssl.SSLSocket) ctx.getSocketFactory()
          .createSocket(raw, "api.github.com", up.port(), false);
      tls.startHandshake();
      tls.getOutputStream().write(("POST /repos/o/r/issues/1/comments HTTP/1.1\r\nHost: " + authority
          + "\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}").getBytes(StandardCharsets.US_ASCII));
      tls.getOutputStream().flush();
      assertThat(arrived.await(10, TimeUnit.SECONDS)).as("the upstream received the request").isTrue();
      raw.setSoLinger(true, 0); // a reset, before any answer
    } finally {
      agentGone.countDown();
    }

    awaitRecorded(1);
    assertThat(recorded).singleElement().satisfies(req -> {
      assertThat(req.method()).isEqualTo("POST");
      assertThat(req.decision()).isEqualTo("allowed");
      assertThat(req.pathTemplate()).isEqualTo("/repos/{owner}/{repo}/issues/{number}/comments");
    });
  }

  @Test
  void refusesTraceSoNoServerEchoesTheInjectedTokenBack() throws Exception {
    HttpsStandIn up = standIn("api.github.com");
    githubGateway(up);
    String placeholder = credentials.bind(Set.of("api.github.com"), "", Secret.of(REAL));

    HttpResponse<String> r = agentClient().send(HttpRequest.newBuilder(URI.create("https://api.github.com:" + up.port()
        + "/user")).method("TRACE", HttpRequest.BodyPublishers.noBody()).header("Authorization", "token " + placeholder).build(),
        HttpResponse.BodyHandlers.ofString());

    assertThat(r.statusCode()).isEqualTo(405);
    assertThat(r.body()).contains("TRACE is refused on an inspected host").doesNotContain(REAL);
    assertThat(up.received()).isEmpty();
  }

  /**
   * A server that ignores a GET's body reads it as a next request the gate never saw; on a kept
   * connection it then took the agent's next request, injected token and all, as that one's body.
   */
  @Test
  void refusesABodyOnAMethodWhoseBodyAServerMayIgnore() throws Exception {
    HttpsStandIn up = standIn("api.github.com");
    githubGateway(up);
    String smuggled = "POST /markdown/raw HTTP/1.1\r\nHost: api.github.com\r\nContent-Length: 400\r\n\r\n";

    for (String method : List.of("GET", "OPTIONS")) {
      HttpResponse<String> r = agentClient().send(HttpRequest.newBuilder(URI.create("https://api.github.com:" + up.port() + "/"))
          .method(method, HttpRequest.BodyPublishers.ofString(smuggled)).build(), HttpResponse.BodyHandlers.ofString());

      assertThat(r.statusCode()).as(method).isEqualTo(400);
      assertThat(r.body()).contains("a " + method + " request with a body is refused on an inspected host");
    }
    HttpResponse<String> plain = agentClient().send(HttpRequest.newBuilder(URI.create("https://api.github.com:" + up.port()
        + "/user")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(plain.statusCode()).isEqualTo(200);
    assertThat(up.received()).singleElement().satisfies(req -> assertThat(req.path()).isEqualTo("/user"));
  }

  /**
   * A DELETE's body has no defined meaning either (RFC 9110 9.3.5), but GitHub's API reads some:
   * forwarded, then the upstream connection is not used again, so a server that left the body
   * unread never takes the agent's next request as its continuation.
   */
  @Test
  void anUpstreamConnectionThatCarriedABodyAServerMayIgnoreCarriesNothingMore() throws Exception {
    HttpsStandIn up = standIn("api.github.com");
    githubGateway(up);

    try (SSLSocket tls = tunnel("api.github.com", up.port(), "api.github.com")) {
      String delete = exchange(tls, "DELETE /gists/1 HTTP/1.1\r\nHost: api.github.com:" + up.port()
          + "\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}");
      String next = exchange(tls, "GET /user HTTP/1.1\r\nHost: api.github.com:" + up.port() + "\r\n\r\n");

      assertThat(delete).startsWith("HTTP/1.1 200");
      assertThat(next).startsWith("HTTP/1.1 200");
    }
    assertThat(up.received()).extracting(HttpsStandIn.Received::path).containsExactly("/gists/1", "/user");
    assertThat(up.remotePorts()).doesNotHaveDuplicates();
  }

  /** The placeholder kept a value's first characters: a registry password's start is part of the secret. */
  @Test
  void aPlaceholderKeepsOnlyAPublicTokenPrefix() {
    InjectedCredentials credentials = InjectedCredentials.create();
    assertThat(credentials.bind(Set.of("repo.test"), "", Secret.of("Hunter42_x9"))).startsWith("tbph").doesNotContain("Hunter");
    assertThat(credentials.bind(Set.of("registry.npmjs.org"), "", Secret.of("npm_abcdefghijklmnopqrstuvwxyz0123456789")))
        .startsWith("npm_tbph");
    assertThat(credentials.bind(Set.of("api.github.com"), "", Secret.of(REAL))).startsWith("ghs_tbph");
  }

  @Test
  void refusesAForgedAuthorizationOnAHostWhoseCredentialTheGatewayInjects() throws Exception {
    HttpsStandIn up = standIn("api.github.com");
    githubGateway(up);
    credentials.bind(Set.of("api.github.com"), "", Secret.of(REAL));

    HttpResponse<String> forged = agentClient().send(HttpRequest.newBuilder(URI.create("https://api.github.com:"
        + up.port() + "/user")).header("Authorization", "Bearer ghp_someOtherTokenTheAgentFound").build(),
        HttpResponse.BodyHandlers.ofString());
    HttpResponse<String> real = agentClient().send(HttpRequest.newBuilder(URI.create("https://api.github.com:"
        + up.port() + "/user")).header("Authorization", "Bearer " + REAL).build(), HttpResponse.BodyHandlers.ofString());

    assertThat(forged.statusCode()).isEqualTo(403);
    assertThat(forged.body()).contains("carries a credential the gateway did not inject");
    assertThat(real.statusCode()).isEqualTo(403);
    assertThat(real.body()).contains("a real credential").doesNotContain(REAL);
    assertThat(up.received()).isEmpty();
    assertThat(String.join("\n", events)).doesNotContain(REAL);
  }

  @Test
  void decidesAGitPushByItsRefAndSendsOnlyAllowedOnes() throws Exception {
    HttpsStandIn up = standIn("api.github.com");
    githubGateway(up);
    HttpClient agent = agentClient();

    HttpResponse<String> toMain = agent.send(receivePack(up, "refs/heads/main", false), HttpResponse.BodyHandlers.ofString());
    HttpResponse<String> toTask = agent.send(receivePack(up, "refs/heads/taskbound/t1/work", false),
        HttpResponse.BodyHandlers.ofString());
    HttpResponse<String> delete = agent.send(receivePack(up, "refs/heads/old", true), HttpResponse.BodyHandlers.ofString());
    HttpResponse<String> noReport = agent.send(receivePack(up, "refs/heads/main", false, "ofs-delta"),
        HttpResponse.BodyHandlers.ofString());

    // a client that asked for a status report gets git's own answer naming the rule; one that did not, a 403
    assertThat(toMain.statusCode()).isEqualTo(200);
    assertThat(toMain.headers().firstValue("Content-Type")).hasValue("application/x-git-receive-pack-result");
    assertThat(toMain.headers().firstValue("X-Taskbound-Decision")).hasValue("denied");
    assertThat(toMain.body()).contains("ng refs/heads/main taskbound: git.push denied by git.push: deny")
        .contains("taskbound: git.push refs/heads/main: the test gate refuses it");
    assertThat(toTask.statusCode()).isEqualTo(200);
    assertThat(delete.statusCode()).isEqualTo(200);
    assertThat(delete.body()).contains("ng refs/heads/old taskbound: git.ref.delete denied by");
    assertThat(noReport.statusCode()).isEqualTo(403);
    assertThat(noReport.body()).contains("git.push refs/heads/main").contains("the test gate refuses it");
    assertThat(up.received()).singleElement().satisfies(req -> {
      assertThat(req.path()).isEqualTo("/o/r.git/git-receive-pack");
      assertThat(new String(req.body(), StandardCharsets.ISO_8859_1)).contains("refs/heads/taskbound/t1/work").endsWith("PACK-DATA");
    });
    awaitRecorded(4);
    assertThat(recorded).extracting(RequestGate.InspectedRequest::decision).containsExactly("denied", "allowed", "denied",
        "denied");
    assertThat(recorded.get(0).rule()).isEqualTo("git.push: deny");
    assertThat(recorded.get(2).actions()).extracting(RequestGate.RequestAction::name).containsExactly("git.ref.delete");
    assertThat(recorded.get(0).pathTemplate()).isEqualTo("/**/git-receive-pack");
  }

  private static HttpRequest receivePack(HttpsStandIn up, String ref, boolean delete) {
    return receivePack(up, ref, delete, "report-status side-band-64k");
  }

  private static HttpRequest receivePack(HttpsStandIn up, String ref, boolean delete, String capabilities) {
    String old = delete ? "1".repeat(40) : "0".repeat(40);
    String neu = delete ? "0".repeat(40) : "2".repeat(40);
    String cmd = old + " " + neu + " " + ref + "\0" + capabilities + "\n";
    String pkt = String.format("%04x", cmd.length() + 4) + cmd + "0000" + "PACK-DATA";
    return HttpRequest.newBuilder(URI.create("https://api.github.com:" + up.port() + "/o/r.git/git-receive-pack"))
        .header("Content-Type", "application/x-git-receive-pack-request")
        .POST(HttpRequest.BodyPublishers.ofString(pkt, StandardCharsets.ISO_8859_1)).build();
  }

  @Test
  void anApprovalRuleFailsClosedWithAMessage() throws Exception {
    HttpsStandIn up = standIn("api.github.com");
    githubGateway(up);

    HttpResponse<String> r = agentClient().send(HttpRequest.newBuilder(URI.create("https://api.github.com:" + up.port()
        + "/repos/o/r/pulls/7/merge")).PUT(HttpRequest.BodyPublishers.ofString("{}")).build(),
        HttpResponse.BodyHandlers.ofString());

    assertThat(r.statusCode()).isEqualTo(403);
    assertThat(r.body()).contains("needs approval").contains("a person must approve merges");
    assertThat(up.received()).isEmpty();
    awaitRecorded(1);
    assertThat(recorded).singleElement().satisfies(req -> {
      assertThat(req.decision()).isEqualTo("approval_required");
      assertThat(req.pathTemplate()).isEqualTo("/repos/{owner}/{repo}/pulls/{number}/merge");
    });
  }

  @Test
  void anUpstreamCertificateFromAnUnknownCaGivesTheAgentAnErrorAndSendsNothing() throws Exception {
    HttpsStandIn up = standIn("api.github.com");
    SessionCa stranger = SessionCa.generate("stranger", Clock.systemUTC());
    gateway(Set.of("api.github.com"), Map.of("api.github.com", "127.0.0.1"), trusting(stranger.certificate()),
        "api.github.com:" + up.port());

    HttpResponse<String> r = agentClient().send(HttpRequest.newBuilder(URI.create("https://api.github.com:" + up.port()
        + "/user")).build(), HttpResponse.BodyHandlers.ofString());

    assertThat(r.statusCode()).isEqualTo(502);
    assertThat(r.body()).contains("failed TLS verification").contains("not signed by a CA the gateway trusts")
        .contains("nothing was sent");
    assertThat(up.received()).isEmpty();
    assertThat(events).anySatisfy(e -> assertThat(e).startsWith("UPSTREAM_TLS api.github.com"));
  }

  @Test
  void anUpstreamCertificateForAnotherNameIsRefused() throws Exception {
    HttpsStandIn up = standIn("wrong.example");
    githubGateway(up);

    HttpResponse<String> r = agentClient().send(HttpRequest.newBuilder(URI.create("https://api.github.com:" + up.port()
        + "/user")).build(), HttpResponse.BodyHandlers.ofString());

    assertThat(r.statusCode()).isEqualTo(502);
    assertThat(r.body()).contains("its certificate does not name the host");
    assertThat(up.received()).isEmpty();
  }

  @Test
  void anExpiredUpstreamCertificateIsRefused() throws Exception {
    SessionCa old = SessionCa.generate("old", Clock.fixed(Instant.now().minus(Duration.ofDays(3)), ZoneOffset.UTC));
    HttpsStandIn up = new HttpsStandIn(old.serverContext("api.github.com"));
    closeables.add(up);
    gateway(Set.of("api.github.com"), Map.of("api.github.com", "127.0.0.1"), trusting(old.certificate()),
        "api.github.com:" + up.port());

    HttpResponse<String> r = agentClient().send(HttpRequest.newBuilder(URI.create("https://api.github.com:" + up.port()
        + "/user")).build(), HttpResponse.BodyHandlers.ofString());

    assertThat(r.statusCode()).isEqualTo(502);
    assertThat(r.body()).contains("its certificate has expired");
    assertThat(up.received()).isEmpty();
  }

  // --- escape cases on the inspected path --------------------------------------------------------

  /** A TLS connection through CONNECT, trusting the session CA, with {@code sni} in its ClientHello. */
  private SSLSocket tunnel(String connectHost, int port, String sni) throws Exception {
    Socket s = new Socket(InetAddress.getLoopbackAddress(), proxyPort);
    s.setSoTimeout(10_000);
    s.getOutputStream().write(("CONNECT " + connectHost + ":" + port + " HTTP/1.1\r\nHost: " + connectHost + ":" + port
        + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
    byte[] established = s.getInputStream().readNBytes(ProxyClient.ESTABLISHED.length());
    assertThat(new String(established, StandardCharsets.ISO_8859_1)).isEqualTo(ProxyClient.ESTABLISHED);
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trusting(sessionCa.certificate()));
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    SSLSocket tls = (SSLSocket) ctx.getSocketFactory().createSocket(s, sni, port, true);
    tls.startHandshake();
    return tls;
  }

  private static String exchange(SSLSocket tls, String request) throws IOException {
    OutputStream out = tls.getOutputStream();
    out.write(request.getBytes(StandardCharsets.ISO_8859_1));
    out.flush();
    InputStream in = tls.getInputStream();
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    byte[] buf = new byte[4096];
    // Until the end of one response with Content-Length, or the close.
    while (true) {
      int n;
      try {
        n = in.read(buf);
      } catch (IOException e) {
        break; // the gateway closed after its answer
      }
      if (n < 0) {
        break;
      }
      got.write(buf, 0, n);
      String text = got.toString(StandardCharsets.ISO_8859_1);
      int end = text.indexOf("\r\n\r\n");
      if (end > 0) {
        var m = java.util.regex.Pattern.compile("(?i)content-length: *(\\d+)").matcher(text.substring(0, end));
        if (m.find() && text.length() - end - 4 >= Integer.parseInt(m.group(1))) {
          break;
        }
      }
    }
    return got.toString(StandardCharsets.ISO_8859_1);
  }

  @Test
  void aSecondRequestNamingAnotherHostInTheSameConnectionIsRefused() throws Exception {
    HttpsStandIn up = standIn("api.github.com");
    githubGateway(up);

    try (SSLSocket tls = tunnel("api.github.com", up.port(), "api.github.com")) {
      String first = exchange(tls, "GET /one HTTP/1.1\r\nHost: api.github.com:" + up.port() + "\r\n\r\n");
      String second = exchange(tls, "GET /two HTTP/1.1\r\nHost: evil.example\r\n\r\n");

      assertThat(first).startsWith("HTTP/1.1 200");
      assertThat(second).startsWith("HTTP/1.1 400").contains("Host header 'evil.example' does not name");
    }
    assertThat(up.received()).extracting(HttpsStandIn.Received::path).containsExactly("/one");
    assertThat(events).anySatisfy(e -> assertThat(e).startsWith("HOST_MISMATCH api.github.com"));
  }

  @Test
  void agentConnectionsInTurnShareOneKeptUpstreamConnection() throws Exception {
    // given an inspected host and an agent that opens a connection per request and closes it
    HttpsStandIn up = standIn("api.github.com");
    githubGateway(up);

    // when it sends two requests, each on its own tunnel, the first read to its close
    String first;
    try (SSLSocket tls = tunnel("api.github.com", up.port(), "api.github.com")) {
      tls.getOutputStream().write(("GET /one HTTP/1.1\r\nHost: api.github.com:" + up.port()
          + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
      first = new String(tls.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
    }
    String second;
    try (SSLSocket tls = tunnel("api.github.com", up.port(), "api.github.com")) {
      second = exchange(tls, "GET /two HTTP/1.1\r\nHost: api.github.com:" + up.port() + "\r\nConnection: close\r\n\r\n");
    }

    // then both were answered, over one upstream connection (no second TCP connect or TLS handshake)
    assertThat(first).startsWith("HTTP/1.1 200").endsWith("ok");
    assertThat(second).startsWith("HTTP/1.1 200").endsWith("ok");
    assertThat(up.received()).extracting(HttpsStandIn.Received::path).containsExactly("/one", "/two");
    assertThat(up.remotePorts()).hasSize(2).containsOnly(up.remotePorts().get(0));
  }

  @Test
  void aKeptUpstreamConnectionTheUpstreamClosedIsReplacedAndTheRequestSentOnce() throws Exception {
    // given an upstream that answers one request per connection with keep-alive framing, then closes it
    try (javax.net.ssl.SSLServerSocket server = (javax.net.ssl.SSLServerSocket) upstreamCa.serverContext("api.github.com")
        .getServerSocketFactory().createServerSocket(0, 8, InetAddress.getLoopbackAddress())) {
      List<String> served = new CopyOnWriteArrayList<>();
      java.util.concurrent.CountDownLatch firstClosed = new java.util.concurrent.CountDownLatch(1);
      Thread upstream = new Thread(() -> {
        for (int i = 0; i < 2; i++) {
          try (Socket c = server.accept()) {
            c.setSoTimeout(10_000);
            InputStream in = c.getInputStream();
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
              int b = in.read();
              if (b < 0) {
                break;
              }
              head.write(b);
            }
            served.add(head.toString(StandardCharsets.ISO_8859_1).lines().findFirst().orElse(""));
            c.getOutputStream().write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".getBytes(StandardCharsets.ISO_8859_1));
            c.getOutputStream().flush();
            // the JDK's close waits up to the read timeout for the peer's close_notify, which the
            // gateway, keeping the connection, never sends: close at once, as a server dropping it would
            c.setSoTimeout(1);
          } catch (IOException e) {
            return;
          } finally {
            firstClosed.countDown();
          }
        }
      });
      upstream.setDaemon(true);
      upstream.start();
      int port = server.getLocalPort();
      gateway(Set.of("api.github.com"), Map.of("api.github.com", "127.0.0.1"), trusting(upstreamCa.certificate()),
          "api.github.com:" + port);

      // when the agent sends a request, the upstream closes that connection, and the agent sends another
      String first;
      try (SSLSocket tls = tunnel("api.github.com", port, "api.github.com")) {
        tls.getOutputStream().write(("GET /one HTTP/1.1\r\nHost: api.github.com:" + port
            + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        first = new String(tls.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
      }
      assertThat(firstClosed.await(10, TimeUnit.SECONDS)).isTrue();
      String second;
      try (SSLSocket tls = tunnel("api.github.com", port, "api.github.com")) {
        second = exchange(tls, "GET /two HTTP/1.1\r\nHost: api.github.com:" + port + "\r\nConnection: close\r\n\r\n");
      }

      // then the second is answered too, sent once on a fresh connection
      assertThat(first).startsWith("HTTP/1.1 200").endsWith("ok");
      assertThat(second).startsWith("HTTP/1.1 200").endsWith("ok");
      upstream.join(10_000);
      assertThat(served).containsExactly("GET /one HTTP/1.1", "GET /two HTTP/1.1");
    }
  }

  @Test
  void aWriteTheUpstreamReceivedAndClosedOnIsSentOnceAndTheAgentGetsA502() throws Exception {
    // given an upstream that answers GETs with keep-alive framing, and reads a POST whole and then
    // closes without answering (as a server going away after it received the request does)
    try (javax.net.ssl.SSLServerSocket server = (javax.net.ssl.SSLServerSocket) upstreamCa.serverContext("api.github.com")
        .getServerSocketFactory().createServerSocket(0, 8, InetAddress.getLoopbackAddress())) {
      List<String> served = new CopyOnWriteArrayList<>();
      java.util.concurrent.ExecutorService connections = java.util.concurrent.Executors.newCachedThreadPool();
      closeables.add(connections::shutdownNow);
      Thread acceptor = new Thread(() -> {
        for (int i = 0; i < 4; i++) {
          Socket c;
          try {
            c = server.accept();
          } catch (IOException e) {
            return;
          }
          connections.submit(() -> serveUntilAPost(c, served));
        }
      });
      acceptor.setDaemon(true);
      acceptor.start();
      int port = server.getLocalPort();
      gateway(Set.of("api.github.com"), Map.of("api.github.com", "127.0.0.1"), trusting(upstreamCa.certificate()),
          "api.github.com:" + port);

      // when the agent reads (the gateway keeps that upstream connection) and then sends a comment
      String read;
      String write;
      try (SSLSocket tls = tunnel("api.github.com", port, "api.github.com")) {
        read = exchange(tls, "GET /one HTTP/1.1\r\nHost: api.github.com:" + port + "\r\n\r\n");
        write = exchange(tls, "POST /repos/o/r/issues/1/comments HTTP/1.1\r\nHost: api.github.com:" + port
            + "\r\nContent-Length: 13\r\n\r\n{\"body\":\"hi\"}");
      }

      // then the comment reached the upstream exactly once, and the agent is told it was not answered
      assertThat(read).startsWith("HTTP/1.1 200");
      assertThat(write).startsWith("HTTP/1.1 502").contains("closed the connection without answering POST")
          .contains("is not sent again");
      assertThat(served).containsExactly("GET /one HTTP/1.1", "POST /repos/o/r/issues/1/comments HTTP/1.1");
    }
  }

  /** Serves GETs on {@code c} (200, keep-alive) until a POST, which it reads whole and then closes on unanswered. */
  private static void serveUntilAPost(Socket c, List<String> served) {
    try (c) {
      c.setSoTimeout(10_000);
      InputStream in = c.getInputStream();
      while (true) {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
          int b = in.read();
          if (b < 0) {
            return;
          }
          head.write(b);
        }
        String text = head.toString(StandardCharsets.ISO_8859_1);
        served.add(text.lines().findFirst().orElse(""));
        if (text.startsWith("POST")) {
          var m = java.util.regex.Pattern.compile("(?i)content-length: *(\\d+)").matcher(text);
          in.readNBytes(m.find() ? Integer.parseInt(m.group(1)) : 0);
          c.setSoTimeout(1); // close at once (the gateway sends no close_notify first)
          return;
        }
        c.getOutputStream().write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".getBytes(StandardCharsets.ISO_8859_1));
        c.getOutputStream().flush();
      }
    } catch (IOException e) {
      // the gateway went away
    }
  }

  @Test
  void aPostCarryingAMethodOverrideForADeleteIsRefusedAndSendsNothing() throws Exception {
    // given an inspected host
    HttpsStandIn up = standIn("api.github.com");
    githubGateway(up);

    // when the agent sends a POST that a server would take as a DELETE of the repository
    HttpResponse<String> r = agentClient().send(HttpRequest.newBuilder(URI.create("https://api.github.com:" + up.port()
        + "/repos/o/r")).header("X-HTTP-Method-Override", "DELETE").POST(HttpRequest.BodyPublishers.ofString("{}"))
        .build(), HttpResponse.BodyHandlers.ofString());

    // then it is refused with the header named, recorded as a denial, and nothing reaches the upstream
    assertThat(r.statusCode()).isEqualTo(403);
    assertThat(r.body()).contains("X-HTTP-Method-Override: DELETE").contains("accepted: no method override header");
    assertThat(up.received()).isEmpty();
    assertThat(events).anySatisfy(e -> assertThat(e).startsWith("MALFORMED api.github.com").contains("method override"));
  }

  @Test
  void aPostCarryingAnUnderscoredMethodOverrideIsRefusedAndSendsNothing() throws Exception {
    // given an inspected host
    HttpsStandIn up = standIn("api.github.com");
    githubGateway(up);

    // when the agent spells the override with underscores, as Rack, PHP/CGI and WSGI read it alike
    HttpResponse<String> r = agentClient().send(HttpRequest.newBuilder(URI.create("https://api.github.com:" + up.port()
        + "/repos/o/r")).header("X_HTTP_Method_Override", "DELETE").POST(HttpRequest.BodyPublishers.ofString("{}"))
        .build(), HttpResponse.BodyHandlers.ofString());

    // then it is refused with the header named, and nothing reaches the upstream
    assertThat(r.statusCode()).isEqualTo(403);
    assertThat(r.body()).containsIgnoringCase("X_HTTP_Method_Override: DELETE").contains("accepted: no method override header");
    assertThat(up.received()).isEmpty();
    assertThat(events).anySatisfy(e -> assertThat(e).startsWith("MALFORMED api.github.com").contains("method override"));
  }

  @Test
  void aPostWithAMethodQueryParameterForADeleteIsRefusedAndSendsNothing() throws Exception {
    HttpsStandIn up = standIn("api.github.com");
    githubGateway(up);

    // when the agent asks for a DELETE in the query of a POST
    HttpResponse<String> r = agentClient().send(HttpRequest.newBuilder(URI.create("https://api.github.com:" + up.port()
        + "/repos/o/r?_method=DELETE")).POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
        HttpResponse.BodyHandlers.ofString());

    // then it is refused naming the parameter, and nothing reaches the upstream
    assertThat(r.statusCode()).isEqualTo(403);
    assertThat(r.body()).contains("_method=DELETE in its query");
    assertThat(up.received()).isEmpty();
    assertThat(events).anySatisfy(e -> assertThat(e).startsWith("MALFORMED api.github.com").contains("_method parameter"));
  }

  /**
   * Review finding: the gate judges a contents write by its body's {@code branch}; a server that
   * merges the query over the body (Rails' params) would write to the query's branch instead.
   */
  @Test
  void aWriteJudgedByItsBodysBranchWithABranchInItsQueryIsRefusedAndSendsNothing() throws Exception {
    HttpsStandIn up = standIn("api.github.com");
    githubGateway(up);

    // when the agent names the task's branch in the body and main in the query
    HttpResponse<String> r = agentClient().send(HttpRequest.newBuilder(URI.create("https://api.github.com:" + up.port()
        + "/repos/o/r/contents/README.md?Branch%5B%5D=main")).PUT(HttpRequest.BodyPublishers.ofString(
        "{\"message\":\"m\",\"content\":\"eA==\",\"branch\":\"taskbound/T-1/x\"}")).build(), HttpResponse.BodyHandlers.ofString());

    // then it is refused naming the parameter, and nothing reaches the upstream
    assertThat(r.statusCode()).isEqualTo(403);
    assertThat(r.body()).contains("is judged by its body's 'branch' field and also has a 'branch[]' parameter in its query");
    assertThat(up.received()).isEmpty();
    assertThat(events).anySatisfy(e -> assertThat(e).startsWith("MALFORMED api.github.com").contains("body field"));
  }

  @Test
  void aPostWithAMethodFieldInItsFormBodyIsRefusedAndSendsNothing() throws Exception {
    HttpsStandIn up = standIn("api.github.com");
    githubGateway(up);

    // when the agent posts a form body whose _method asks for a DELETE
    HttpResponse<String> r = agentClient().send(HttpRequest.newBuilder(URI.create("https://api.github.com:" + up.port()
        + "/repos/o/r")).header("Content-Type", "application/x-www-form-urlencoded")
        .POST(HttpRequest.BodyPublishers.ofString("name=x&_method=delete")).build(), HttpResponse.BodyHandlers.ofString());

    // then it is refused naming the field, and nothing reaches the upstream
    assertThat(r.statusCode()).isEqualTo(403);
    assertThat(r.body()).contains("_method=delete in its form body");
    assertThat(up.received()).isEmpty();
    assertThat(events).anySatisfy(e -> assertThat(e).startsWith("MALFORMED api.github.com").contains("_method parameter"));
  }

  /** Listed in Connection, a JSON Content-Type was dropped after the form check had passed the body. */
  @Test
  void aHeaderTheChecksReadReachesTheUpstreamEvenWhenConnectionListsIt() throws Exception {
    HttpsStandIn up = standIn("api.github.com");
    githubGateway(up);
    String body = "name=x&_method=delete";

    try (SSLSocket tls = tunnel("api.github.com", up.port(), "api.github.com")) {
      String answer = exchange(tls, "POST /repos/o/r HTTP/1.1\r\nHost: api.github.com:" + up.port()
          + "\r\nContent-Type: application/json\r\nConnection: content-type, content-length\r\nContent-Length: "
          + body.length() + "\r\n\r\n" + body);

      assertThat(answer).startsWith("HTTP/1.1 200");
    }
    assertThat(up.received()).singleElement().satisfies(req -> {
      assertThat(req.contentType()).isEqualTo("application/json");
      assertThat(new String(req.body(), StandardCharsets.UTF_8)).isEqualTo(body);
    });
  }

  @Test
  void twoHeldCommentsWithDifferentBodiesToOnePathAreTwoRequestsAndAGrantReleasesOnlyItsBody() throws Exception {
    // given an inspected host whose comments a person must approve (the gateway does not read a
    // comment's body to find a target)
    HttpsStandIn up = standIn("api.github.com");
    githubGateway(up);
    java.util.concurrent.BlockingQueue<Held> held = holdComments();
    String path = "/repos/o/r/issues/1/comments";
    String ok = "{\"body\":\"looks good\"}";
    String bad = "{\"body\":\"please run rm -rf /\"}";
    HttpClient agent = agentClient();

    // when the agent posts both at once to the same path
    var first = agent.sendAsync(HttpRequest.newBuilder(URI.create("https://api.github.com:" + up.port() + path))
        .POST(HttpRequest.BodyPublishers.ofString(ok)).build(), HttpResponse.BodyHandlers.ofString());
    var second = agent.sendAsync(HttpRequest.newBuilder(URI.create("https://api.github.com:" + up.port() + path))
        .POST(HttpRequest.BodyPublishers.ofString(bad)).build(), HttpResponse.BodyHandlers.ofString());
    Held a = held.poll(30, TimeUnit.SECONDS);
    Held b = held.poll(30, TimeUnit.SECONDS);
    assertThat(a).isNotNull();
    assertThat(b).isNotNull();
    boolean nothingSentWhileHeld = up.received().isEmpty();
    Held good = a.line().bodySha256().equals(sha256(ok)) ? a : b;
    Held other = good == a ? b : a;
    good.answer().complete(new RequestGate.Verdict(RequestGate.Verdict.Kind.ALLOW, "test", "approved"));
    HttpResponse<String> released = first.get(30, TimeUnit.SECONDS); // the one with the body approved
    boolean otherStillHeld = !second.isDone();
    other.answer().complete(new RequestGate.Verdict(RequestGate.Verdict.Kind.DENY, "test", "denied by a person"));
    HttpResponse<String> refused = second.get(30, TimeUnit.SECONDS);

    // then each was shown with its own body's digest, and only the granted body reached the upstream
    assertThat(java.util.Set.of(a.line().bodySha256(), b.line().bodySha256())).containsExactlyInAnyOrder(sha256(ok), sha256(bad));
    assertThat(a.line().path()).isEqualTo(path);
    assertThat(b.line().path()).isEqualTo(path);
    assertThat(nothingSentWhileHeld).isTrue();
    assertThat(released.statusCode()).isEqualTo(200);
    assertThat(otherStillHeld).isTrue();
    assertThat(refused.statusCode()).isEqualTo(403);
    assertThat(up.received()).singleElement().satisfies(r -> assertThat(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(ok));
  }

  @Test
  void aHeldRequestLargerThanTheGatewayReadsWholeIsRefusedWithoutAsking() throws Exception {
    HttpsStandIn up = standIn("api.github.com");
    githubGateway(up);
    java.util.concurrent.BlockingQueue<Held> held = holdComments();

    HttpResponse<String> r = agentClient().send(HttpRequest.newBuilder(URI.create("https://api.github.com:" + up.port()
        + "/repos/o/r/issues/1/comments")).POST(HttpRequest.BodyPublishers.ofString("x".repeat(1024 * 1024 + 1))).build(),
        HttpResponse.BodyHandlers.ofString());

    assertThat(r.statusCode()).isEqualTo(403);
    assertThat(r.body()).contains("its body is larger than 1048576 bytes");
    assertThat(held).isEmpty();
    assertThat(up.received()).isEmpty();
    awaitRecorded(1);
    assertThat(recorded).singleElement().satisfies(req -> assertThat(req.decision()).isEqualTo("denied"));
  }

  @Test
  void aHeldRequestSeesItsAgentGoOnlyOnceTheAgentClosesItsConnection() throws Exception {
    // given a comment held by a gate that, like the approval broker, asks while it waits whether the agent has gone
    HttpsStandIn up = standIn("api.github.com");
    githubGateway(up);
    java.util.concurrent.CountDownLatch asked = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CompletableFuture<Boolean> goneAtFirst = new java.util.concurrent.CompletableFuture<>();
    java.util.concurrent.CompletableFuture<Integer> checksUntilGone = new java.util.concurrent.CompletableFuture<>();
    holder = (line, gone) -> {
      goneAtFirst.complete(gone.getAsBoolean());
      asked.countDown();
      for (int i = 1; i <= 400; i++) { // the broker asks once a second; bounded at 20 s here
        if (gone.getAsBoolean()) {
          checksUntilGone.complete(i);
          return new RequestGate.Verdict(RequestGate.Verdict.Kind.DENY, "test", "withdrawn: the agent went away");
        }
        try {
          TimeUnit.MILLISECONDS.sleep(50);
        } catch (InterruptedException e) {
          break;
        }
      }
      checksUntilGone.complete(-1);
      return new RequestGate.Verdict(RequestGate.Verdict.Kind.DENY, "test", "expired");
    };

    // when the agent sends it, and closes its connection while it is held (as curl does when --max-time ends)
    try (SSLSocket tls = tunnel("api.github.com", up.port(), "api.github.com")) {
      String body = "{\"body\":\"hi\"}";
      tls.getOutputStream().write(("POST /repos/o/r/issues/1/comments HTTP/1.1\r\nHost: api.github.com:" + up.port()
          + "\r\nContent-Length: " + body.length() + "\r\n\r\n" + body).getBytes(StandardCharsets.ISO_8859_1));
      tls.getOutputStream().flush();
      assertThat(asked.await(30, TimeUnit.SECONDS)).isTrue();
    }

    // then the gate saw it still there when it was asked, and gone after the close; nothing was sent
    assertThat(goneAtFirst.get(30, TimeUnit.SECONDS)).isFalse();
    assertThat(checksUntilGone.get(30, TimeUnit.SECONDS)).isPositive();
    assertThat(up.received()).isEmpty();
  }

  @Test
  void http2PriorKnowledgeInsideAnInspectedTunnelIsRefused() throws Exception {
    HttpsStandIn up = standIn("api.github.com");
    githubGateway(up);

    try (SSLSocket tls = tunnel("api.github.com", up.port(), "api.github.com")) {
      String answer = exchange(tls, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

      assertThat(answer).startsWith("HTTP/1.1 400").contains("unsupported protocol 'HTTP/2.0'");
    }
    assertThat(up.received()).isEmpty();
  }

  @Test
  void aHeldCommentWithChunkedTrailersIsRefusedWithoutAsking() throws Exception {
    // given an inspected host whose comments a person must approve
    HttpsStandIn up = standIn("api.github.com");
    githubGateway(up);
    java.util.concurrent.BlockingQueue<Held> held = holdComments();

    // when the agent sends a comment whose chunked body ends with a trailer field
    try (SSLSocket tls = tunnel("api.github.com", up.port(), "api.github.com")) {
      String answer = exchange(tls, "POST /repos/o/r/issues/1/comments HTTP/1.1\r\nHost: api.github.com:" + up.port()
          + "\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\nX-Extra: 1\r\n\r\n");

      // then it is refused (trailers are not in the digest a person is shown), nobody is asked, nothing is sent
      assertThat(answer).startsWith("HTTP/1.1 403").contains("trailer fields");
    }
    assertThat(held).isEmpty();
    assertThat(up.received()).isEmpty();
  }

  @Test
  void heldCommentsWithTheSameBodyAndAnotherContentEncodingAreShownTheirEncoding() throws Exception {
    // given an inspected host whose comments a person must approve
    HttpsStandIn up = standIn("api.github.com");
    githubGateway(up);
    java.util.concurrent.BlockingQueue<Held> held = holdComments();

    // when the agent sends a comment whose body is declared gzip
    var reply = agentClient().sendAsync(HttpRequest.newBuilder(URI.create("https://api.github.com:" + up.port()
        + "/repos/o/r/issues/1/comments")).header("Content-Type", "application/json").header("Content-Encoding", "gzip")
        .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
    Held h = held.poll(30, TimeUnit.SECONDS);
    assertThat(h).isNotNull();
    h.answer().complete(new RequestGate.Verdict(RequestGate.Verdict.Kind.DENY, "test", "no"));
    reply.get(30, TimeUnit.SECONDS);

    // then the person is shown its type and encoding with the body's digest
    assertThat(h.line().contentType()).isEqualTo("application/json");
    assertThat(h.line().contentEncoding()).isEqualTo("gzip");
    assertThat(h.line().fields()).containsEntry("content_encoding", "gzip").containsEntry("body_sha256", sha256("{}"));
  }

  @Test
  void aSmuggledSecondRequestBehindTheFirstsBodyIsRefused() throws Exception {
    HttpsStandIn up = standIn("api.github.com");
    githubGateway(up);

    try (SSLSocket tls = tunnel("api.github.com", up.port(), "api.github.com")) {
      String answer = exchange(tls, "POST /a HTTP/1.1\r\nHost: api.github.com:" + up.port() + "\r\nContent-Length: 5\r\n"
          + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: api.github.com\r\n\r\n");

      assertThat(answer).startsWith("HTTP/1.1 400").contains("both Transfer-Encoding and Content-Length");
    }
    assertThat(up.received()).isEmpty();
  }

  @Test
  void aClientHelloNamingAnotherHostThanTheConnectIsCutOff() throws Exception {
    HttpsStandIn up = standIn("api.github.com");
    githubGateway(up);

    org.assertj.core.api.Assertions.assertThatThrownBy(() -> tunnel("api.github.com", up.port(), "evil.example").close())
        .isInstanceOf(IOException.class);
    assertThat(up.received()).isEmpty();
    assertThat(events).anySatisfy(e -> assertThat(e).startsWith("SNI_MISMATCH api.github.com"));
  }

  @Test
  void anAgentOfferingOnlyHttp2GetsNoHandshake() throws Exception {
    HttpsStandIn up = standIn("api.github.com");
    githubGateway(up);

    org.assertj.core.api.Assertions.assertThatThrownBy(() -> {
      Socket s = new Socket(InetAddress.getLoopbackAddress(), proxyPort);
      s.getOutputStream().write(("CONNECT api.github.com:" + up.port() + " HTTP/1.1\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
      s.getInputStream().readNBytes(ProxyClient.ESTABLISHED.length());
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trusting(sessionCa.certificate()));
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(null, tmf.getTrustManagers(), null);
      try (SSLSocket tls = (SSLSocket) ctx.getSocketFactory().createSocket(s, "api.github.com", up.port(), true)) {
        var p = tls.getSSLParameters();
        p.setApplicationProtocols(new String[] {"h2"});
        tls.setSSLParameters(p);
        tls.startHandshake();
      }
    }).isInstanceOf(SSLHandshakeException.class);
    assertThat(up.received()).isEmpty();
  }

  @Test
  void hostsNotMarkedForInspectionStayOpaqueTunnels() throws Exception {
    HttpsStandIn up = standIn("api.github.com");
    gateway(Set.of("other.example"), Map.of("api.github.com", "127.0.0.1"), trusting(upstreamCa.certificate()),
        "api.github.com:" + up.port());

    // The agent trusting only the session CA cannot talk to an opaque tunnel: the upstream's own certificate arrives.
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> tunnel("api.github.com", up.port(), "api.github.com"))
        .isInstanceOf(SSLHandshakeException.class);
    assertThat(recorded).isEmpty();
  }

  @Test
  void theSessionCaForgetsItsKeyWhenTheGatewayCloses() throws Exception {
    HttpsStandIn up = standIn("api.github.com");
    githubGateway(up);

    closeAll();
    closeables.clear();

    org.assertj.core.api.Assertions.assertThatThrownBy(() -> sessionCa.serverContext("new.example"))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
  }

  /** Waits (at most 10 s) until the gateway has recorded {@code n} requests: it records each after its response. */
  private void awaitRecorded(int n) throws InterruptedException {
    if (recordedCount.tryAcquire(n, 10, TimeUnit.SECONDS)) {
      recordedCount.release(n);
    }
  }
}
