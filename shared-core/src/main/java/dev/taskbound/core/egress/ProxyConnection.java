package dev.taskbound.core.egress;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Serves one client connection of the {@link Gateway}: reads one request head, decides and dials
 * on a gateway thread, then hands the client and upstream channels to the gateway's {@link Relay},
 * which owns them from then on. One request per connection; the connection is closed afterwards.
 */
final class ProxyConnection implements Runnable {
  /** Headers a proxy must not forward (RFC 9110 7.6.1), plus proxy credentials. */
  private static final Set<String> HOP_BY_HOP =
      Set.of("connection", "proxy-connection", "keep-alive", "proxy-authorization", "proxy-authenticate", "te", "trailer", "upgrade", "http2-settings", "host");
  /** Never dropped on a client's say-so in {@code Connection}: they frame the body. */
  private static final Set<String> FRAMING = Set.of("content-length", "transfer-encoding");

  /** The most bytes read while waiting for a whole ClientHello: its limit plus record headers. */
  private static final int CLIENT_HELLO_BUFFER = ClientHello.MAX_BYTES + 8192;

  private final SocketChannel client;
  private final Gateway.Context ctx;
  private final Runnable done;
  /** Set once the relay owns both channels and will call {@link #done}. */
  private boolean relayed;

  /** @param done run exactly once when the connection is over (the gateway frees its slot) */
  ProxyConnection(SocketChannel client, Gateway.Context ctx, Runnable done) {
    this.client = client;
    this.ctx = ctx;
    this.done = done;
  }

  @Override
  public void run() {
    try {
      serve();
    } catch (ProxyRequestException e) {
      ctx.counters().malformed.incrementAndGet();
      if (e.status() == 431) {
        event(ctx, GatewayEvents.HEADER_TOO_LARGE, "", 0, e.getMessage());
      } else if (e.status() == 408) {
        event(ctx, GatewayEvents.HEADER_TIMEOUT, "", 0, e.getMessage());
      } else if (e.getMessage().startsWith("both Transfer-Encoding")) {
        event(ctx, GatewayEvents.SMUGGLING, "", 0, e.getMessage());
      } else if (e.getMessage().startsWith("the Host header")) {
        event(ctx, GatewayEvents.HOST_MISMATCH, "", 0, e.getMessage());
      }
      respondQuietly(e.status(), "taskbound: bad proxy request: " + e.getMessage() + "\n", false);
      discardUnread();
    } catch (IOException | RuntimeException e) {
      // The client or upstream went away, or the gateway is closing: nothing to tell.
    } finally {
      if (!relayed) {
        closeQuietly(client);
        done.run();
      }
    }
  }

  private void serve() throws IOException, ProxyRequestException {
    RequestHead head = readHead().orElse(null);
    if (head == null) {
      return;
    }
    ProxyTarget target = ProxyTarget.parse(head.method(), head.target());
    boolean connect = head.method().equals("CONNECT");
    long bodyLength = connect ? 0 : bodyLength(head);
    EgressDecision decision;
    try {
      decision = ctx.rules().decide(target.host(), target.port());
    } catch (EgressRuleException e) {
      throw new ProxyRequestException(400, e.getMessage());
    }
    if (!connect) {
      checkHost(head, decision);
    }
    if (!decision.allowed()) {
      ctx.counters().denied.incrementAndGet();
      ctx.listener().onDecision(decision, head.method(), Optional.empty());
      respond(403, denialText(decision, decision.reason()), true);
      return;
    }
    Dialer.Dialed up;
    try {
      up = ctx.dialer().dial(decision);
    } catch (DialException e) {
      ctx.listener().onDecision(decision, head.method(), Optional.empty());
      if (e.kind() == DialException.Kind.REFUSED) {
        ctx.counters().denied.incrementAndGet();
        respond(403, denialText(decision, e.getMessage()), true);
      } else {
        ctx.counters().upstreamFailures.incrementAndGet();
        respond(502, "taskbound: egress to " + hostPort(decision) + " allowed, but " + e.getMessage() + "\n", false);
      }
      return;
    }
    SocketChannel upstream = up.channel();
    ctx.open().add(upstream);
    try {
      try {
        ctx.listener().onDecision(decision, head.method(), Optional.<InetAddress>of(up.address()));
      } catch (RuntimeException e) {
        respond(500, "taskbound: the egress decision could not be recorded, so the request was not relayed\n", false);
        return;
      }
      ctx.counters().allowed.incrementAndGet();
      if (connect) {
        write(client, "HTTP/1.1 200 Connection Established\r\n\r\n");
        ByteBuffer early = head.rest();
        if (ctx.options().tlsPorts().contains(decision.port())) {
          early = checkedClientHello(early, decision);
          if (early == null) {
            return;
          }
        }
        // Sent from this thread, so the origin starts its handshake while the relay takes over.
        while (early.hasRemaining()) {
          upstream.write(early);
        }
        handOff(upstream, up.address(), new Relay.Options(ByteBuffer.allocate(0), Long.MAX_VALUE, true, ctx.options().idleTimeout()));
      } else {
        write(upstream, forwardedHead(head, target));
        // The request body up, the response down; over when the upstream closes (we sent Connection: close).
        handOff(upstream, up.address(), new Relay.Options(head.rest(), bodyLength, false, ctx.options().idleTimeout()));
      }
    } finally {
      if (!relayed) {
        ctx.open().remove(upstream);
        closeQuietly(upstream);
      }
    }
  }

  /** From here on the relay owns both channels; it frees the slot when the pair ends. */
  private void handOff(SocketChannel upstream, InetAddress address, Relay.Options options) {
    relayed = true;
    ctx.relay().relay(client, upstream, options, end -> {
      if (end == Relay.End.IDLE) {
        event(ctx, GatewayEvents.IDLE_TIMEOUT, "", 0, "no data for " + ctx.options().idleTimeout().toMillis()
            + " ms on a connection to " + address.getHostAddress() + "; closed");
      }
      ctx.open().remove(upstream);
      done.run();
    });
  }

  private Optional<RequestHead> readHead() throws IOException, ProxyRequestException {
    AtomicBoolean timedOut = new AtomicBoolean();
    ScheduledFuture<?> watchdog =
        ctx.scheduler()
            .schedule(
                () -> {
                  timedOut.set(true);
                  try {
                    client.shutdownInput(); // wakes the blocked read with end-of-stream
                  } catch (IOException e) {
                    closeQuietly(client);
                  }
                },
                ctx.options().headerTimeout().toMillis(),
                TimeUnit.MILLISECONDS);
    try {
      Optional<RequestHead> head = RequestHead.read(client, ctx.options().maxHeaderBytes());
      if (timedOut.get()) {
        throw timeout();
      }
      return head;
    } catch (ProxyRequestException | IOException e) {
      if (timedOut.get()) {
        throw timeout();
      }
      throw e;
    } finally {
      watchdog.cancel(false);
    }
  }

  private ProxyRequestException timeout() {
    return new ProxyRequestException(
        408, "the request head did not arrive within " + ctx.options().headerTimeout().toMillis() + " ms");
  }

  /** The number of body bytes to relay for a non-CONNECT request; {@code Long.MAX_VALUE} for chunked. */
  private static long bodyLength(RequestHead head) throws ProxyRequestException {
    var te = head.values("Transfer-Encoding");
    var cl = head.values("Content-Length");
    if (!te.isEmpty() && !cl.isEmpty()) {
      throw new ProxyRequestException(400, "both Transfer-Encoding and Content-Length are present");
    }
    if (!te.isEmpty()) {
      if (te.size() != 1 || !te.get(0).equalsIgnoreCase("chunked")) {
        throw new ProxyRequestException(400, "unsupported Transfer-Encoding '" + RequestHead.printable(String.join(", ", te)) + "'; accepted: chunked");
      }
      return Long.MAX_VALUE;
    }
    if (cl.isEmpty()) {
      return 0;
    }
    String first = cl.get(0);
    for (String v : cl) {
      if (!v.equals(first) || v.isEmpty() || v.length() > 18 || !v.chars().allMatch(c -> c >= '0' && c <= '9')) {
        throw new ProxyRequestException(400, "invalid Content-Length '" + RequestHead.printable(String.join(", ", cl)) + "'");
      }
    }
    return Long.parseLong(first);
  }

  private static String forwardedHead(RequestHead head, ProxyTarget target) {
    var dropped = head.connectionTokens();
    StringBuilder sb = new StringBuilder();
    sb.append(head.method()).append(' ').append(target.originForm()).append(' ').append(head.version()).append("\r\n");
    sb.append("Host: ").append(target.authority()).append("\r\n");
    for (RequestHead.Header h : head.headers()) {
      String name = h.name().toLowerCase(Locale.ROOT);
      if (HOP_BY_HOP.contains(name) || dropped.contains(name) && !FRAMING.contains(name)) {
        continue;
      }
      sb.append(h.name()).append(": ").append(h.value()).append("\r\n");
    }
    sb.append("Connection: close\r\n\r\n");
    return sb.toString();
  }

  /**
   * Reads the client's first bytes after {@code 200} until a whole TLS ClientHello is in, and checks
   * its SNI against the CONNECT host. Names need an equal SNI; IP-literal targets need none (SNI
   * never carries an address). On a mismatch nothing has reached the upstream: the tunnel is closed.
   *
   * @return the bytes read (to send upstream first), or {@code null} when the tunnel was refused
   */
  private ByteBuffer checkedClientHello(ByteBuffer early, EgressDecision decision) throws IOException {
    // Most ClientHellos are under 2 KiB: start small and grow up to the limit only when needed.
    ByteBuffer buf = ByteBuffer.allocate(Math.max(4096, early.remaining()));
    buf.put(early.duplicate());
    AtomicBoolean timedOut = new AtomicBoolean();
    ScheduledFuture<?> watchdog = ctx.scheduler().schedule(() -> {
      timedOut.set(true);
      closeQuietly(client);
    }, ctx.options().headerTimeout().toMillis(), TimeUnit.MILLISECONDS);
    ClientHello.Result r;
    try {
      while ((r = ClientHello.parse(buf.duplicate().flip())) instanceof ClientHello.NeedMore) {
        if (!buf.hasRemaining() && buf.capacity() < CLIENT_HELLO_BUFFER) {
          buf = ByteBuffer.allocate(Math.min(CLIENT_HELLO_BUFFER, 2 * buf.capacity())).put(buf.flip());
        }
        if (!buf.hasRemaining() || client.read(buf) < 0) {
          r = new ClientHello.NotTls(timedOut.get() ? "no ClientHello within " + ctx.options().headerTimeout().toMillis() + " ms" : "the client closed before a whole ClientHello");
          break;
        }
      }
    } catch (IOException e) {
      r = new ClientHello.NotTls(timedOut.get() ? "no ClientHello within " + ctx.options().headerTimeout().toMillis() + " ms" : "the client failed before a whole ClientHello");
    } finally {
      watchdog.cancel(false);
    }
    String host = decision.host();
    boolean ipTarget = IpLiteral.tryParse(host.contains(":") ? "[" + host + "]" : host) != null;
    String refusal = null;
    if (r instanceof ClientHello.NotTls n) {
      refusal = "port " + decision.port() + " carries TLS, but " + n.why();
    } else if (r instanceof ClientHello.Hello hello) {
      Optional<String> sni = hello.serverName();
      if (sni.isEmpty() && !ipTarget) {
        refusal = "the TLS ClientHello has no SNI, but CONNECT named " + host;
      } else if (sni.isPresent() && ipTarget) {
        refusal = "the TLS ClientHello names '" + RequestHead.printable(sni.get()) + "', but CONNECT named the address " + host;
      } else if (sni.isPresent() && !sniMatches(sni.get(), host)) {
        refusal = "SNI '" + RequestHead.printable(sni.get()) + "' differs from CONNECT host " + host;
      }
    }
    if (refusal == null) {
      return buf.flip();
    }
    ctx.counters().denied.incrementAndGet();
    event(ctx, GatewayEvents.SNI_MISMATCH, host, decision.port(), refusal + "; tunnel closed");
    return null;
  }

  private static boolean sniMatches(String sni, String host) {
    try {
      return HostPattern.canonicalName(sni, sni).equals(host);
    } catch (EgressRuleException e) {
      return false;
    }
  }

  /**
   * Absolute-form requests: every {@code Host} header must name the request target (same canonical
   * host and port), so an origin that routes by {@code Host} cannot be sent somewhere the rules
   * did not decide.
   */
  private static void checkHost(RequestHead head, EgressDecision decision) throws ProxyRequestException {
    var hosts = head.values("Host");
    if (hosts.size() > 1) {
      throw new ProxyRequestException(400, "the Host header appears " + hosts.size() + " times; accepted: one");
    }
    if (hosts.isEmpty()) {
      return;
    }
    String value = hosts.get(0).strip();
    boolean ok;
    try {
      ProxyTarget t = ProxyTarget.parse("GET", "http://" + value + "/");
      ok = RuleSet.canonicalHost(t.host()).equals(decision.host()) && t.port() == decision.port();
    } catch (ProxyRequestException | EgressRuleException e) {
      ok = false;
    }
    if (!ok) {
      throw new ProxyRequestException(400, "the Host header '" + RequestHead.printable(value)
          + "' does not match the request target " + hostPort(decision) + "; accepted: the target's host[:port]");
    }
  }

  /** Reports a non-decision event; a failing listener is ignored (events are best-effort). */
  static void event(Gateway.Context ctx, String type, String host, int port, String detail) {
    try {
      ctx.options().events().onEvent(type, host, port, detail);
    } catch (RuntimeException e) {
      // events must not break the gateway
    }
  }

  static String hostPort(EgressDecision d) {
    return (d.host().contains(":") ? "[" + d.host() + "]" : d.host()) + ":" + d.port();
  }

  /** The 403 body: the host, why, and the exact policy change that would allow it. */
  static String denialText(EgressDecision d, String reason) {
    String base = "taskbound: egress to " + hostPort(d) + " denied (" + reason + ").";
    if (d.rule().isPresent() && !d.allowed()) {
      return base
          + " Deny rules beat allow rules: to allow it, remove \""
          + d.rule().get()
          + "\" from spec.egress.deny and add \""
          + d.ruleToAdd()
          + "\" to spec.egress.allow in your policy.\n";
    }
    if (d.allowed()) {
      return base + " The address was refused after name resolution; see docs/egress.md.\n";
    }
    return base + " To allow it, add \"" + d.ruleToAdd() + "\" to spec.egress.allow in your policy.\n";
  }

  private void respond(int status, String body, boolean decisionHeader) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    String head =
        "HTTP/1.1 " + status + " " + reasonPhrase(status) + "\r\n"
            + "Content-Type: text/plain; charset=utf-8\r\n"
            + "Content-Length: " + bytes.length + "\r\n"
            + (decisionHeader ? "X-Taskbound-Decision: denied\r\n" : "")
            + "Connection: close\r\n\r\n";
    write(client, head);
    ByteBuffer b = ByteBuffer.wrap(bytes);
    while (b.hasRemaining()) {
      client.write(b);
    }
  }

  /**
   * Reads and drops what the client already sent, so that closing does not reset the connection
   * before the client has read our error response. Non-blocking, so a client cannot hold us here.
   */
  private void discardUnread() {
    try {
      client.shutdownOutput();
      client.configureBlocking(false);
      ByteBuffer sink = ByteBuffer.allocate(8192);
      for (int i = 0; i < 64 && client.read(sink) > 0; i++) {
        sink.clear();
      }
    } catch (IOException | RuntimeException e) {
      // the client is gone
    }
  }

  private void respondQuietly(int status, String body, boolean decisionHeader) {
    try {
      respond(status, body, decisionHeader);
    } catch (IOException | RuntimeException e) {
      // the client is gone
    }
  }

  static String reasonPhrase(int status) {
    switch (status) {
      case 400: return "Bad Request";
      case 403: return "Forbidden";
      case 408: return "Request Timeout";
      case 431: return "Request Header Fields Too Large";
      case 500: return "Internal Server Error";
      case 502: return "Bad Gateway";
      case 503: return "Service Unavailable";
      default: return "Error";
    }
  }

  private static void write(SocketChannel ch, String s) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(s.getBytes(StandardCharsets.ISO_8859_1));
    while (b.hasRemaining()) {
      ch.write(b);
    }
  }

  static void closeQuietly(SocketChannel ch) {
    Relay.closeQuietly(ch);
  }
}
