package dev.taskbound.core.egress;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.RejectedExecutionException;

/**
 * Serves one client connection of the {@link Gateway} on a relay thread, without blocking: reads
 * one request head, decides, dials the checked address, checks the ClientHello of a TLS tunnel,
 * then relays the pair on the same thread ({@link Relay.Loop}), which owns both channels from then
 * on. Only a name that must be looked up leaves the thread, for the lookup alone (the gateway's
 * pool), and comes back for the dial. One request per connection; the connection is closed
 * afterwards. Every method runs on the relay thread.
 */
final class ProxyConnection implements Relay.Handler {
  /** The most bytes read while waiting for a whole ClientHello: its limit plus record headers. */
  private static final int CLIENT_HELLO_BUFFER = ClientHello.MAX_BYTES + 8192;
  /** Most request heads and ClientHellos fit; the buffer grows up to its limit when one does not. */
  private static final int FIRST_BUFFER = 4096;

  private enum Phase { HEAD, RESOLVING, CONNECTING, CLIENT_HELLO, RESPONDING, RELAYED, OVER }

  private final SocketChannel client;
  private final Gateway.Context ctx;
  private final Relay.Loop loop;
  private final Runnable done;
  private Phase phase = Phase.HEAD;
  /** Bumped on every phase change, so that a timer set for an earlier phase does nothing. */
  private int timerEpoch;
  private SelectionKey clientKey;
  /** The request head as it arrives, then the ClientHello; then a response being written. */
  private ByteBuffer in;
  private int scanned;
  /** How many ClientHello bytes must be in before parsing again can tell more. */
  private int helloNeeds;
  private RequestHead head;
  private ProxyTarget target;
  private EgressDecision decision;
  private long bodyLength;
  /** A chunked body still to be checked as it streams upstream; {@code null} for any other body. */
  private ChunkedBody chunked;
  private Dialer.Attempts attempts;
  private InetSocketAddress dialling;
  private SocketChannel upstream;
  private SelectionKey upstreamKey;
  private ByteBuffer response;
  /** The CONNECT host is marked for inspection: after the ClientHello, a worker serves it. */
  private boolean inspecting;

  /** @param done run exactly once when the connection is over (the gateway frees its slot) */
  ProxyConnection(SocketChannel client, Gateway.Context ctx, Relay.Loop loop, Runnable done) {
    this.client = client;
    this.ctx = ctx;
    this.loop = loop;
    this.done = done;
    this.in = ByteBuffer.allocate(Math.min(FIRST_BUFFER, ctx.options().maxHeaderBytes()));
  }

  /** Registers the client and reads what it already sent. */
  void start() {
    try {
      clientKey = loop.register(client, SelectionKey.OP_READ, this);
    } catch (IOException | RuntimeException e) {
      finish();
      return;
    }
    after(ctx.options().headerTimeout(), this::headTimedOut);
    step(this::readHead);
  }

  /** Only one of the connection's keys has interest at a time, so the phase says which one fired. */
  @Override
  public void ready(SelectionKey key) {
    switch (phase) {
      case HEAD -> step(this::readHead);
      case CONNECTING -> step(this::finishConnect);
      case CLIENT_HELLO -> step(this::readClientHello);
      case RESPONDING -> flushResponse();
      default -> { }
    }
  }

  @Override
  public void abandon() {
    finish();
  }

  private interface Step {
    void run() throws IOException, ProxyRequestException;
  }

  /** Runs a step; a bad request is answered, and anything else that fails ends the connection. */
  private void step(Step step) {
    try {
      step.run();
    } catch (ProxyRequestException e) {
      refuse(e);
    } catch (IOException | RuntimeException e) {
      // The client or upstream went away, or the gateway is closing: nothing to tell.
      finish();
    }
  }

  private void enter(Phase next) {
    phase = next;
    timerEpoch++;
    if (next == Phase.RELAYED || next == Phase.OVER) {
      // Timers of earlier phases still refer to this object until they are due (seconds at most):
      // let the buffers and the request go now, so that a busy gateway does not keep them too.
      in = null;
      head = null;
      target = null;
      attempts = null;
      response = null;
      clientKey = null;
      upstreamKey = null;
    }
  }

  /** Runs {@code action} after {@code delay} if the connection is still in the phase it is in now. */
  private void after(Duration delay, Runnable action) {
    int epoch = timerEpoch;
    loop.schedule(delay, () -> {
      if (epoch == timerEpoch && phase != Phase.OVER) {
        action.run();
      }
    });
  }

  // --- the request head ------------------------------------------------------------------------

  private void readHead() throws IOException, ProxyRequestException {
    while (true) {
      RequestHead found = RequestHead.find(in, scanned);
      if (found != null) {
        decide(found);
        return;
      }
      scanned = in.position();
      if (!in.hasRemaining()) {
        int max = ctx.options().maxHeaderBytes();
        if (in.capacity() >= max) {
          throw new ProxyRequestException(431, "the request head is larger than " + max + " bytes");
        }
        in = grow(in, max);
      }
      int n = client.read(in);
      if (n == 0) {
        return; // the rest comes with the next readiness
      }
      if (n < 0) {
        if (in.position() == 0) {
          finish(); // closed before sending a byte
          return;
        }
        throw new ProxyRequestException(400, "the connection ended before the end of the request head");
      }
    }
  }

  private void headTimedOut() {
    if (phase == Phase.HEAD) {
      refuse(new ProxyRequestException(
          408, "the request head did not arrive within " + ctx.options().headerTimeout().toMillis() + " ms"));
    }
  }

  private static ByteBuffer grow(ByteBuffer buf, int max) {
    return ByteBuffer.allocate((int) Math.min(max, 2L * buf.capacity())).put(buf.flip());
  }

  // --- deciding and dialling -------------------------------------------------------------------

  private void decide(RequestHead found) throws IOException, ProxyRequestException {
    head = found;
    enter(Phase.RESOLVING);
    clientKey.interestOps(0);
    target = ProxyTarget.parse(head.method(), head.target());
    boolean connect = isConnect();
    bodyLength = connect ? 0 : PlainRequest.bodyLength(head);
    if (!connect) {
      // What came with the head is checked before anything is dialled: a request whose bad
      // framing is already here is refused whole, and nothing reaches the upstream.
      chunked = PlainRequest.checkEarlyBody(head, bodyLength);
      if (chunked == null && bodyLength == Long.MAX_VALUE) {
        bodyLength = head.rest().remaining(); // the whole chunked body came with the head
      }
    }
    try {
      decision = ctx.rules().decide(target.host(), target.port());
    } catch (EgressRuleException e) {
      throw new ProxyRequestException(400, e.getMessage());
    }
    if (!connect) {
      PlainRequest.checkHost(head, decision);
    }
    if (!decision.allowed()) {
      ctx.counters().denied.incrementAndGet();
      if (recorded(() -> ctx.listener().onDecision(decision, head.method(), Optional.empty()))) {
        respond(403, denialText(decision, decision.reason()), true);
      }
      return;
    }
    if (!connect) {
      // Issue 15: a plain request is never inspected, so nothing is injected into it; a placeholder
      // (or a real value) in it would leave in clear for a host it does not belong to.
      Optional<String> where = ctx.inspection().credentials().foundIn(head);
      if (where.isPresent()) {
        throw new ProxyRequestException(403, "a credential of this session (or its placeholder) in " + where.get() + " of a plain"
            + " http request to " + decision.host() + "; placeholders are replaced only on https to the hosts they"
            + " belong to, which the gateway inspects", GatewayEvents.CREDENTIAL_MISUSE);
      }
    }
    if (connect && ctx.inspection().inspects(decision.host())) {
      inspectAfterHello();
      return;
    }
    Optional<List<InetAddress>> known = ctx.dialer().knownAddresses(decision.host());
    if (known.isPresent()) {
      dial(known.get());
      return;
    }
    lookUpElsewhere();
  }

  /**
   * A lookup may block: it runs on the gateway's pool, and the dial comes back to this thread.
   * Whatever the resolver does, an answer comes back; one that takes longer than the header
   * timeout ends the connection with 502.
   */
  private void lookUpElsewhere() throws IOException {
    String host = decision.host();
    Duration limit = ctx.options().headerTimeout();
    after(limit, () -> step(() -> dialFailed(new DialException(
        DialException.Kind.UNRESOLVED, "the name " + host + " was not resolved within " + limit.toMillis() + " ms", null))));
    try {
      ctx.pool().execute(() -> {
        List<InetAddress> found = null;
        DialException failed;
        try {
          found = ctx.dialer().lookUp(host);
          failed = null;
        } catch (DialException e) {
          failed = e;
        } catch (RuntimeException e) { // a resolver's own bug must not leave the client waiting
          failed = new DialException(DialException.Kind.UNRESOLVED, "the name " + host + " could not be resolved (" + e + ")", e);
        }
        List<InetAddress> addresses = found;
        DialException failure = failed;
        loop.execute(() -> {
          if (phase == Phase.RESOLVING) {
            step(() -> {
              if (failure != null) {
                dialFailed(failure);
              } else {
                dial(addresses);
              }
            });
          }
        });
      });
    } catch (RejectedExecutionException e) {
      ctx.counters().upstreamFailures.incrementAndGet();
      respond(503, "taskbound: the gateway is busy; try again\n", false);
    }
  }

  private void dial(List<InetAddress> addresses) throws IOException {
    attempts = ctx.dialer().attempts(decision, addresses);
    dialNext();
  }

  private void dialNext() throws IOException {
    Optional<InetSocketAddress> next = attempts.next();
    if (next.isEmpty()) {
      dialFailed(attempts.failure());
      return;
    }
    dialling = next.get();
    enter(Phase.CONNECTING);
    boolean connected;
    try {
      upstream = SocketChannel.open();
      ctx.open().add(upstream);
      // Tunnels relay handshakes of small records: Nagle with delayed ACKs would add ~40 ms each.
      upstream.setOption(java.net.StandardSocketOptions.TCP_NODELAY, true);
      upstream.configureBlocking(false);
      connected = upstream.connect(dialling);
      if (!connected) {
        upstreamKey = loop.register(upstream, SelectionKey.OP_CONNECT, this);
      }
    } catch (IOException | RuntimeException e) { // out of descriptors, an address family the JVM lacks, ...
      connectFailed(e instanceof IOException io ? io : new IOException(e.toString(), e));
      return;
    }
    if (connected) {
      connected();
      return;
    }
    Duration timeout = ctx.dialer().connectTimeout();
    after(timeout, () -> step(() -> connectFailed(new IOException("timed out after " + timeout.toMillis() + " ms"))));
  }

  private void finishConnect() throws IOException {
    boolean connected;
    try {
      connected = upstream.finishConnect();
    } catch (IOException e) {
      connectFailed(e);
      return;
    }
    if (connected) {
      upstreamKey.interestOps(0); // a connected socket is always writable: OP_CONNECT would spin
      connected();
    }
  }

  /** That address did not take the connection: on to the next one. */
  private void connectFailed(IOException e) throws IOException {
    attempts.failed(e);
    dropUpstream();
    dialNext();
  }

  private void dropUpstream() {
    if (upstream != null) {
      ctx.open().remove(upstream);
      closeQuietly(upstream);
      upstream = null;
      upstreamKey = null;
    }
  }

  private void dialFailed(DialException e) throws IOException {
    Optional<AddressRefusal> refused = attempts == null ? Optional.empty() : attempts.refusal();
    if (refused.isPresent()) {
      // The rule allowed it, the address guard did not (for some address, even if the others were
      // only unreachable): a denial, with the class of the address, so the evidence shows the try.
      ctx.counters().denied.incrementAndGet();
      String why = e.kind() == DialException.Kind.REFUSED ? e.getMessage()
          : refused.get().reason() + "; the other addresses: " + e.getMessage();
      if (recorded(() -> ctx.listener().onAddressRefused(decision, head.method(), refused.get()))) {
        respond(403, denialText(decision, why), true);
      }
      return;
    }
    if (recorded(() -> ctx.listener().onDecision(decision, head.method(), Optional.empty()))) {
      ctx.counters().upstreamFailures.incrementAndGet();
      respond(502, "taskbound: egress to " + hostPort(decision) + " allowed, but " + e.getMessage() + "\n", false);
    }
  }

  private void connected() throws IOException {
    if (!recorded(() -> ctx.listener().onDecision(decision, head.method(), Optional.of(dialling.getAddress())))) {
      return;
    }
    ctx.counters().allowed.incrementAndGet();
    if (!isConnect()) {
      // The rewritten head, then the request body up; the response down, until the upstream closes
      // (we sent Connection: close).
      byte[] forwarded = PlainRequest.forwardedHead(head, target).getBytes(StandardCharsets.ISO_8859_1);
      ByteBuffer rest = head.rest();
      ByteBuffer first = ByteBuffer.allocate(forwarded.length + rest.remaining()).put(forwarded).put(rest).flip();
      long limit = bodyLength > Long.MAX_VALUE - forwarded.length ? Long.MAX_VALUE : forwarded.length + bodyLength;
      handOff(new Relay.Options(first, limit, false, ctx.options().idleTimeout()), chunked);
      return;
    }
    writeAll(ByteBuffer.wrap("HTTP/1.1 200 Connection Established\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1)));
    if (!ctx.options().tlsPorts().contains(decision.port())) {
      handOff(new Relay.Options(head.rest(), Long.MAX_VALUE, true, ctx.options().idleTimeout()));
      return;
    }
    ByteBuffer early = head.rest();
    in = ByteBuffer.allocate(Math.max(FIRST_BUFFER, early.remaining())).put(early);
    enter(Phase.CLIENT_HELLO);
    clientKey.interestOps(SelectionKey.OP_READ);
    after(ctx.options().headerTimeout(), () -> refuseTunnel(
        notTls("no ClientHello within " + ctx.options().headerTimeout().toMillis() + " ms")));
    readClientHello();
  }

  // --- the ClientHello of a TLS tunnel ---------------------------------------------------------

  /**
   * A host marked for inspection: nothing is dialled yet. The tunnel is answered, its ClientHello
   * checked as for any tunnel, and then the connection goes to an {@link InspectedConnection} on a
   * worker thread, which dials only for a request the gate allows.
   */
  private void inspectAfterHello() throws IOException {
    if (!recorded(() -> ctx.listener().onDecision(decision, head.method(), Optional.empty()))) {
      return;
    }
    inspecting = true;
    writeAll(ByteBuffer.wrap("HTTP/1.1 200 Connection Established\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1)));
    ByteBuffer early = head.rest();
    in = ByteBuffer.allocate(Math.max(FIRST_BUFFER, early.remaining())).put(early);
    enter(Phase.CLIENT_HELLO);
    clientKey.interestOps(SelectionKey.OP_READ);
    after(ctx.options().headerTimeout(), () -> refuseTunnel(
        notTls("no ClientHello within " + ctx.options().headerTimeout().toMillis() + " ms")));
    readClientHello();
  }

  /** From here a worker thread owns the client: this loop lets go of it. */
  private void handToInspection(ByteBuffer hello) {
    SelectionKey key = clientKey;
    EgressDecision decided = decision;
    enter(Phase.RELAYED);
    loop.forget(this);
    if (key != null) {
      key.cancel();
    }
    try {
      ctx.pool().execute(new InspectedConnection(ctx, ctx.inspection(), ctx.actions(), client, hello, decided, done));
    } catch (java.util.concurrent.RejectedExecutionException e) {
      closeQuietly(client);
      done.run();
    }
  }

  /**
   * Reads the client's first bytes after {@code 200} until a whole TLS ClientHello is in, and checks
   * its SNI against the CONNECT host. Names need an equal SNI; IP-literal targets need none (SNI
   * never carries an address). On a mismatch nothing has reached the upstream: the tunnel is closed.
   */
  private void readClientHello() throws IOException {
    ClientHello.Result r;
    while (true) {
      // Parsed again only once the bytes it asked for are in: a client that sends its hello a
      // byte at a time costs one parse per TLS record, not one per read.
      if (in.position() >= helloNeeds) {
        r = ClientHello.parse(in.duplicate().flip());
        if (!(r instanceof ClientHello.NeedMore more)) {
          break;
        }
        helloNeeds = more.until();
      }
      if (!in.hasRemaining()) {
        if (in.capacity() >= CLIENT_HELLO_BUFFER) {
          r = new ClientHello.NotTls("the ClientHello does not end within " + CLIENT_HELLO_BUFFER + " bytes");
          break;
        }
        in = grow(in, CLIENT_HELLO_BUFFER);
      }
      int n = client.read(in);
      if (n == 0) {
        return;
      }
      if (n < 0) {
        r = new ClientHello.NotTls("the client closed before a whole ClientHello");
        break;
      }
    }
    Optional<String> refusal = sniRefusal(r);
    if (refusal.isPresent()) {
      refuseTunnel(refusal.get());
      return;
    }
    if (inspecting) {
      handToInspection(in.flip());
      return;
    }
    handOff(new Relay.Options(in.flip(), Long.MAX_VALUE, true, ctx.options().idleTimeout()));
  }

  private Optional<String> sniRefusal(ClientHello.Result r) {
    String host = decision.host();
    boolean ipTarget = IpLiteral.tryParse(host.contains(":") ? "[" + host + "]" : host) != null;
    if (r instanceof ClientHello.NotTls n) {
      return Optional.of(notTls(n.why()));
    }
    Optional<String> sni = ((ClientHello.Hello) r).serverName();
    if (sni.isEmpty() && !ipTarget) {
      return Optional.of("the TLS ClientHello has no SNI, but CONNECT named " + host);
    } else if (sni.isPresent() && ipTarget) {
      return Optional.of("the TLS ClientHello names '" + RequestHead.printable(sni.get()) + "', but CONNECT named the address " + host);
    } else if (sni.isPresent() && !sniMatches(sni.get(), host)) {
      return Optional.of("SNI '" + RequestHead.printable(sni.get()) + "' differs from CONNECT host " + host);
    }
    return Optional.empty();
  }

  private void refuseTunnel(String why) {
    ctx.counters().denied.incrementAndGet();
    event(ctx, GatewayEvents.SNI_MISMATCH, decision.host(), decision.port(), why + "; tunnel closed");
    finish();
  }

  private String notTls(String why) {
    return "port " + decision.port() + " carries TLS, but " + why;
  }

  // --- the end of the handshake ----------------------------------------------------------------

  /** From here on the relay owns both channels; it frees the slot when the pair ends. */
  private void handOff(Relay.Options options) {
    handOff(options, null);
  }

  /**
   * As {@link #handOff(Relay.Options)}, with the rest of a chunked body checked as it streams
   * ({@code null} for none). A fault found there closes both connections: the head and the checked
   * bytes before the fault have gone upstream, so the upstream sees a body cut short (never a whole
   * request built on bad framing), and the client gets no answer of ours.
   */
  private void handOff(Relay.Options options, ChunkedBody body) {
    enter(Phase.RELAYED);
    loop.forget(this);
    SocketChannel up = upstream;
    InetSocketAddress address = dialling;
    EgressDecision decided = decision;
    loop.relay(client, up, options, body, end -> {
      if (body != null && body.failure() != null) {
        ctx.counters().malformed.incrementAndGet();
        event(ctx, GatewayEvents.SMUGGLING, decided.host(), decided.port(), body.failure() + "; both connections closed");
      }
      if (end == Relay.End.IDLE) {
        event(ctx, GatewayEvents.IDLE_TIMEOUT, "", 0, "no data for " + ctx.options().idleTimeout().toMillis()
            + " ms on a connection to " + address.getAddress().getHostAddress() + "; closed");
      }
      ctx.open().remove(up);
      done.run();
    });
  }

  private void refuse(ProxyRequestException e) {
    ctx.counters().malformed.incrementAndGet();
    // The host, once the request named one (framing is checked before the rules decide), so that
    // the evidence counts the refusal against it.
    String host = decision != null ? decision.host() : target != null ? target.host() : "";
    int port = decision != null ? decision.port() : target != null ? target.port() : 0;
    if (e.event() != null) { // a framing or syntax refusal names its own event
      event(ctx, e.event(), host, port, e.evidence());
    } else if (e.status() == 431) {
      event(ctx, GatewayEvents.HEADER_TOO_LARGE, host, port, e.getMessage());
    } else if (e.status() == 408) {
      event(ctx, GatewayEvents.HEADER_TIMEOUT, host, port, e.getMessage());
    } else if (e.getMessage().startsWith("both Transfer-Encoding")) {
      event(ctx, GatewayEvents.SMUGGLING, host, port, e.getMessage());
    } else if (e.getMessage().startsWith("the Host header")) {
      event(ctx, GatewayEvents.HOST_MISMATCH, host, port, e.getMessage());
    } else {
      // Nothing the gateway refuses goes unrecorded (an unparsable target, a rule-evaluation error).
      // The message may quote the target, which can carry a credential: the evidence gets the status.
      event(ctx, GatewayEvents.MALFORMED, host, port,
          "request refused with " + e.status() + " before any rule decided (its target or head is not accepted);"
              + " the client was told why");
    }
    try {
      respond(e.status(), "taskbound: bad proxy request: " + e.getMessage() + "\n", false);
    } catch (IOException | RuntimeException gone) {
      finish();
    }
  }

  /**
   * Answers and closes: writes the response (waiting for the client to take it, within the header
   * timeout), then drops what the client already sent, so that closing does not reset the
   * connection before the client has read the answer.
   */
  private void respond(int status, String body, boolean decisionHeader) throws IOException {
    dropUpstream();
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    String head =
        "HTTP/1.1 " + status + " " + reasonPhrase(status) + "\r\n"
            + "Content-Type: text/plain; charset=utf-8\r\n"
            + "Content-Length: " + bytes.length + "\r\n"
            + (decisionHeader ? "X-Taskbound-Decision: denied\r\n" : "")
            + "Connection: close\r\n\r\n";
    byte[] h = head.getBytes(StandardCharsets.ISO_8859_1);
    response = ByteBuffer.allocate(h.length + bytes.length).put(h).put(bytes).flip();
    enter(Phase.RESPONDING);
    after(ctx.options().headerTimeout(), this::finish);
    flushResponse();
  }

  private void flushResponse() {
    try {
      client.write(response);
      if (response.hasRemaining()) {
        clientKey.interestOps(SelectionKey.OP_WRITE);
        return;
      }
      client.shutdownOutput();
      ByteBuffer sink = ByteBuffer.allocate(8192);
      for (int i = 0; i < 64 && client.read(sink) > 0; i++) {
        sink.clear();
      }
    } catch (IOException | RuntimeException e) {
      // the client is gone
    }
    finish();
  }

  /** Writes a short answer at once: a fresh connection's send buffer takes it whole. */
  private void writeAll(ByteBuffer b) throws IOException {
    client.write(b);
    if (b.hasRemaining()) {
      throw new IOException("the client does not take a " + b.limit() + "-byte answer");
    }
  }

  /** Closes what this connection still owns and frees its slot; once. */
  private void finish() {
    if (phase == Phase.OVER || phase == Phase.RELAYED) {
      return;
    }
    enter(Phase.OVER);
    loop.forget(this);
    dropUpstream();
    closeQuietly(client);
    done.run();
  }

  private boolean isConnect() {
    return head.method().equals("CONNECT");
  }

  private static boolean sniMatches(String sni, String host) {
    try {
      return HostPattern.canonicalName(sni, sni).equals(host);
    } catch (EgressRuleException e) {
      return false;
    }
  }

  /**
   * Reports a decision to the listener. Nothing is dropped: if it cannot be recorded, the gateway
   * fails (closing this connection with every other) and this returns false.
   */
  private boolean recorded(Runnable report) {
    try {
      report.run();
      return true;
    } catch (RuntimeException e) {
      ctx.fail().accept(new IOException("an egress decision for " + hostPort(decision) + " could not be recorded: " + e, e));
      try {
        respond(500, "taskbound: the egress decision could not be recorded, so the request was not relayed"
            + " and the gateway stopped\n", false);
      } catch (IOException | RuntimeException gone) {
        finish();
      }
      return false;
    }
  }

  /**
   * Reports a non-decision event. Nothing is dropped: if it cannot be recorded, the gateway fails
   * closed (every connection is closed, and the session stops the agent).
   */
  static void event(Gateway.Context ctx, GatewayEvents.Kind kind, String host, int port, String detail) {
    try {
      ctx.options().events().onEvent(kind, host, port, detail);
    } catch (RuntimeException e) {
      ctx.fail().accept(new IOException("a gateway event (" + kind + ") could not be recorded: " + e, e));
    }
  }

  static String hostPort(EgressDecision d) {
    return (d.host().contains(":") ? "[" + d.host() + "]" : d.host()) + ":" + d.port();
  }

  /** The 403 body: the host, why, and the exact policy change that would allow it ({@link DenialHint}). */
  static String denialText(EgressDecision d, String reason) {
    String advice = DenialHint.advice(d);
    return "taskbound: egress to " + hostPort(d) + " denied (" + reason + "). "
        + Character.toUpperCase(advice.charAt(0)) + advice.substring(1)
        + (advice.contains("spec.egress.allow") ? " in your policy.\n" : ".\n");
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

  static void closeQuietly(SocketChannel ch) {
    Relay.closeQuietly(ch);
  }
}
