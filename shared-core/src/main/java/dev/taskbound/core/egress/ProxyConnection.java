package dev.taskbound.core.egress;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Serves one client connection of the {@link Gateway}: reads one request head, decides, dials,
 * and relays. One request per connection; the connection is closed afterwards.
 */
final class ProxyConnection implements Runnable {
  /** Headers a proxy must not forward (RFC 9110 7.6.1), plus proxy credentials. */
  private static final Set<String> HOP_BY_HOP =
      Set.of("connection", "proxy-connection", "keep-alive", "proxy-authorization", "proxy-authenticate", "te", "trailer", "upgrade", "host");
  /** Never dropped on a client's say-so in {@code Connection}: they frame the body. */
  private static final Set<String> FRAMING = Set.of("content-length", "transfer-encoding");

  private final SocketChannel client;
  private final Gateway.Context ctx;

  ProxyConnection(SocketChannel client, Gateway.Context ctx) {
    this.client = client;
    this.ctx = ctx;
  }

  @Override
  public void run() {
    try {
      serve();
    } catch (ProxyRequestException e) {
      ctx.counters().malformed.incrementAndGet();
      respondQuietly(e.status(), "taskbound: bad proxy request: " + e.getMessage() + "\n", false);
      discardUnread();
    } catch (IOException | RuntimeException e) {
      // The client or upstream went away mid-relay, or the gateway is closing: nothing to tell.
    } finally {
      closeQuietly(client);
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
        tunnel(head.rest(), upstream);
      } else {
        write(upstream, forwardedHead(head, target));
        relay(head.rest(), upstream, bodyLength);
      }
    } finally {
      ctx.open().remove(upstream);
      closeQuietly(upstream);
    }
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

  /** Both directions until each ends, passing each end on as a half-close. */
  private void tunnel(ByteBuffer early, SocketChannel upstream) {
    Future<?> down = ctx.pool().submit(() -> Pipe.relayHalfClosing(ByteBuffer.allocate(0), upstream, client));
    Pipe.relayHalfClosing(early, client, upstream);
    await(down);
  }

  /** The request body up, the response down; done when the upstream closes (we sent Connection: close). */
  private void relay(ByteBuffer early, SocketChannel upstream, long bodyLength) throws IOException {
    Future<?> up =
        ctx.pool()
            .submit(
                () -> {
                  try {
                    Pipe.copy(early, client, upstream, bodyLength);
                  } catch (IOException e) {
                    closeQuietly(upstream);
                  }
                });
    try {
      Pipe.copy(ByteBuffer.allocate(0), upstream, client, Long.MAX_VALUE);
    } finally {
      closeQuietly(client);
      closeQuietly(upstream);
      await(up);
    }
  }

  private static void await(Future<?> f) {
    try {
      f.get();
    } catch (ExecutionException e) {
      // the task handles its own I/O errors
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
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
    Pipe.closeQuietly(ch);
  }
}
