package dev.taskbound.core.egress;

import dev.taskbound.core.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * One CONNECT tunnel to a host marked for inspection, served on a worker thread once the gateway has
 * allowed it and checked its ClientHello: terminates the agent's TLS with the session CA's leaf for
 * the CONNECT host (ALPN: http/1.1 only), reads one request at a time, refuses anything another
 * reader could take differently (a Host other than the CONNECT target, ambiguous framing, a
 * pipelined request, HTTP/2), maps it to gate actions, injects credentials, and only then dials the
 * checked address and opens TLS to the upstream with full verification. A refused request reaches
 * no upstream.
 */
final class InspectedConnection implements Runnable {
  /** Hop-by-hop headers (RFC 9110 7.6.1) and Expect, which the gateway answers itself. */
  private static final Set<String> NOT_FORWARDED = Set.of("connection", "proxy-connection", "keep-alive",
      "proxy-authorization", "proxy-authenticate", "te", "trailer", "upgrade", "http2-settings", "expect");
  /** The most of a git-receive-pack body read before the ref updates must have been seen. */
  private static final int MAX_COMMANDS_BYTES = 1024 * 1024;
  private static final int COPY_BYTES = 64 * 1024;
  /** The methods RFC 9110 9.2.1 calls safe: the only ones sent again after a kept connection failed. */
  private static final Set<String> SAFE_METHODS = Set.of("GET", "HEAD", "OPTIONS");
  /**
   * Headers the gateway's checks read (framing, Host, the body's type and coding): sent on even when
   * the agent's Connection header lists them, so the upstream reads the request the checks judged
   * (a JSON Content-Type dropped after the form check had passed it made a form of its body).
   */
  private static final Set<String> JUDGED = Set.of("content-length", "transfer-encoding", "host", "content-type",
      "content-encoding");
  /** Methods whose body every server reads: after a body on any other, the upstream connection is closed. */
  private static final Set<String> BODY_READ = Set.of("POST", "PUT", "PATCH");
  /** Methods whose body has no defined meaning (RFC 9110 9.3.1, 9.3.2, 9.3.7): a server may leave it unread. */
  private static final Set<String> BODY_IGNORABLE = Set.of("GET", "HEAD", "OPTIONS");
  private static final com.fasterxml.jackson.databind.ObjectMapper JSON = Json.MAPPER;

  private final Gateway.Context ctx;
  private final Inspection inspection;
  private final SocketChannel client;
  private final ByteBuffer early;
  private final EgressDecision decision;
  private final Runnable done;
  private final RequestActions actions;
  private EngineStream tls;
  private SSLSocket upstream;
  private InputStream upIn;
  private OutputStream upOut;

  InspectedConnection(Gateway.Context ctx, Inspection inspection, RequestActions actions, SocketChannel client,
      ByteBuffer early, EgressDecision decision, Runnable done) {
    this.ctx = ctx;
    this.inspection = inspection;
    this.actions = actions;
    this.client = client;
    this.early = early;
    this.decision = decision;
    this.done = done;
  }

  @Override
  public void run() {
    try {
      if (ClientHello.parse(early.duplicate()) instanceof ClientHello.Hello hello && !hello.offersHttp11()) {
        EngineStream.refuseHandshake(client, EngineStream.NO_APPLICATION_PROTOCOL); // ALPN offers only h2
        return;
      }
      AgentTls agentTls = inspection.ca().agentTls(decision.host());
      SSLEngine engine = agentTls.newEngine();
      try {
        tls = new EngineStream(client, engine, early, ctx.options().idleTimeout(), agentTls.isNative());
      } catch (IOException | RuntimeException e) {
        AgentTls.release(engine);
        throw e;
      }
      tls.handshake();
      while (serveOne()) {
        // one request at a time, until either side closes
      }
    } catch (IOException | RuntimeException e) {
      // the agent or the upstream went away, or the gateway is closing
    } finally {
      closeUpstream(true);
      if (tls != null) {
        tls.close();
      } else {
        Relay.closeQuietly(client);
      }
      done.run();
    }
  }

  // --- one request -------------------------------------------------------------------------------

  /** Serves one request; false when the connection is over. */
  private boolean serveOne() throws IOException {
    ByteBuffer in = ByteBuffer.allocate(ctx.options().maxHeaderBytes());
    RequestHead head;
    try {
      head = readHead(in);
      if (head == null) {
        return false;
      }
      return forward(head);
    } catch (ProxyRequestException e) {
      refuse(e);
      return false;
    }
  }

  private RequestHead readHead(ByteBuffer in) throws IOException, ProxyRequestException {
    int scanned = 0;
    while (true) {
      RequestHead found = RequestHead.find(in, scanned);
      if (found != null) {
        return found;
      }
      scanned = in.position();
      if (!in.hasRemaining()) {
        throw new ProxyRequestException(431, "the request head is larger than " + in.capacity() + " bytes");
      }
      if (tls.read(in) < 0) {
        if (in.position() == 0) {
          return null;
        }
        throw new ProxyRequestException(400, "the connection ended before the end of the request head");
      }
    }
  }

  private boolean forward(RequestHead head) throws IOException, ProxyRequestException {
    if (!head.target().startsWith("/")) {
      throw new ProxyRequestException(400, "request target '" + RequestHead.printable(head.target())
          + "' inside an inspected tunnel; accepted: origin form (/path)", GatewayEvents.MALFORMED);
    }
    checkHost(head);
    MethodOverride.check(head);
    long length = PlainRequest.bodyLength(head);
    refuseEchoAndIgnorableBodies(head, length);
    // Bytes after the body in the same read are a pipelined request: refused, one at a time.
    ChunkedBody chunked = PlainRequest.checkEarlyBody(head, length);
    boolean isChunked = length == Long.MAX_VALUE;
    String rawPath = head.target().indexOf('?') < 0 ? head.target() : head.target().substring(0, head.target().indexOf('?'));
    RequestActions.Match match;
    try {
      match = actions.match(decision.host(), head.method(), head.target());
    } catch (IllegalArgumentException e) {
      // a spelling the table may not see as the server does: refused rather than guessed (fail closed)
      throw new ProxyRequestException(403, "request '" + RequestHead.printable(head.method()) + " " + RequestHead.printable(rawPath)
          + "' has " + e.getMessage() + "; accepted: an upper-case method, a target without # or \\, a path without //, . or .. segments,"
          + " with well-formed % escapes, no %2F that changes what the request is, and no ; (raw or %3B) in a"
          + " write or on a GitHub host (a read elsewhere may carry path parameters)",
          GatewayEvents.MALFORMED);
    }
    ByteArrayOutputStream prefix = new ByteArrayOutputStream();
    ByteBuffer rest = head.rest();
    byte[] early = new byte[rest.remaining()];
    rest.get(early);
    prefix.write(early);
    List<RequestGate.RequestAction> named = new ArrayList<>();
    boolean continued = false;
    ReceivePack.Commands commands = null;
    if (match.needsReceivePack()) {
      commands = readCommands(prefix, isChunked, length, chunked);
      for (ReceivePack.Update u : commands.updates()) {
        named.add(new RequestGate.RequestAction(u.delete() ? "git.ref.delete" : "git.push", u.ref()));
      }
      if (named.isEmpty()) {
        // git's probe before a large push (a lone flush-pkt): it updates nothing
        named.add(new RequestGate.RequestAction(RequestActions.UNNAMED, ""));
      }
    } else if (match.bodyField().isPresent() || match.needsGraphql()) {
      ShadowedBodyField.check(head, match.bodyField().orElse("query"));
      if (head.values("Expect").stream().anyMatch(v -> v.equalsIgnoreCase("100-continue"))) {
        tls.write("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1)); // the body is read first
        continued = true;
      }
      String target = match.needsGraphql() ? graphqlKind(readJson(prefix, isChunked, length, chunked))
          : jsonField(readJson(prefix, isChunked, length, chunked), match.bodyField().get());
      named.add(new RequestGate.RequestAction(match.action(), target));
    } else {
      named.add(new RequestGate.RequestAction(match.action(), match.pathTarget()));
    }
    String query = head.target().indexOf('?') < 0 ? "" : head.target().substring(head.target().indexOf('?') + 1);
    // A request a person must approve is read whole first: the approval names its body's digest, so
    // two requests with different bodies are two approvals, and the bytes digested are the bytes sent.
    boolean held = named.stream().anyMatch(inspection.gate()::holds);
    if (held) {
      if (head.values("Expect").stream().anyMatch(v -> v.equalsIgnoreCase("100-continue")) && !continued) {
        tls.write("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        continued = true;
      }
      if (!readWhole(prefix, isChunked, length, chunked)) {
        RequestGate.Verdict tooLarge = new RequestGate.Verdict(RequestGate.Verdict.Kind.DENY, "gate.approval",
            "it needs approval, and its body is larger than " + MAX_HELD_BODY_BYTES + " bytes, the most the gateway reads"
            + " whole to show a person its digest; send a smaller body, or have a rule allow the action");
        ctx.counters().denied.incrementAndGet();
        record(head, match, named, tooLarge, 0);
        respond(403, "taskbound: " + head.method() + " " + decision.host() + match.template() + " (" + named.get(0)
            + ") is refused: " + tooLarge.reason() + "\n");
        return false;
      }
    }
    // A body a server may read as a form may carry _method: read whole (as a held body is) and checked.
    if ((isChunked || length > 0) && MethodOverride.mayBeForm(head)) {
      if (head.values("Expect").stream().anyMatch(v -> v.equalsIgnoreCase("100-continue")) && !continued) {
        tls.write("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        continued = true;
      }
      if (!readWhole(prefix, isChunked, length, chunked)) {
        throw new ProxyRequestException(403, "request '" + RequestHead.printable(head.method()) + "' has a form body (or"
            + " one without Content-Type) larger than " + MAX_HELD_BODY_BYTES + " bytes, the most the gateway reads to"
            + " look for a " + MethodOverride.PARAMETER + " field; accepted: a smaller form body, or a Content-Type that is"
            + " not a form", GatewayEvents.MALFORMED, "a form body too large to look for a method override");
      }
      byte[] raw = prefix.toByteArray();
      MethodOverride.checkForm(head, isChunked ? Dechunk.prefix(raw) : raw);
    }
    if (held && isChunked && Dechunk.hasTrailers(prefix.toByteArray())) {
      // trailers are not in the body's digest: a request a person approves carries none
      throw new ProxyRequestException(403, "request '" + RequestHead.printable(head.method()) + "' needs approval and"
          + " its chunked body has trailer fields, which the approval does not show; accepted: a held request without"
          + " trailers", GatewayEvents.MALFORMED, "trailer fields on a request held for approval");
    }
    RequestGate.RequestLine line = new RequestGate.RequestLine(head.method(), decision.host(), rawPath, match.template(),
        query.isEmpty() ? "" : sha256(query.getBytes(StandardCharsets.ISO_8859_1)),
        held || commands == null && (match.bodyField().isPresent() || match.needsGraphql())
            ? bodyDigest(prefix, isChunked, length, chunked) : "",
        dev.taskbound.core.SafeText.line(String.join(", ", head.values("Content-Type"))),
        dev.taskbound.core.SafeText.line(String.join(", ", head.values("Content-Encoding"))));
    List<RequestGate.Verdict> verdicts = new ArrayList<>();
    for (RequestGate.RequestAction a : named) {
      // nothing more is expected from the agent while it waits: its close withdraws the request
      verdicts.add(inspection.gate().decide(a, line, tls::clientGone));
    }
    RequestGate.Verdict verdict = strictest(verdicts);
    if (!verdict.allowed()) {
      ctx.counters().denied.incrementAndGet();
      record(head, match, named, verdict, 0);
      if (commands != null && !commands.updates().isEmpty() && ReceivePackReport.wanted(commands.capabilities())) {
        refusePush(commands, named, verdicts, prefix.size(), isChunked, length, chunked);
        return false;
      }
      String what = verdict.kind() == RequestGate.Verdict.Kind.APPROVE
          ? "needs approval, and this session takes none (it fails closed): " : "is denied: ";
      respond(403, "taskbound: " + head.method() + " " + decision.host() + match.template() + " (" + named.get(0)
          + (named.size() > 1 ? " and " + (named.size() - 1) + " more" : "") + ") " + what + verdict.reason() + "\n");
      return false;
    }
    List<RequestHead.Header> headers = credentials(head);
    boolean expectContinue = head.values("Expect").stream().anyMatch(v -> v.equalsIgnoreCase("100-continue"));
    // A safe method (RFC 9110 9.2.1) with its whole body in hand may go on a kept connection and be
    // sent again on a fresh one if the kept one turns out closed. Any other method goes on a connection
    // that has served nothing yet and is never sent again: the upstream may have received it before
    // closing (RFC 9110 9.2.2), and a push, publish or comment must not happen twice.
    boolean replayable = SAFE_METHODS.contains(head.method()) && !isChunked && prefix.size() == length;
    if (!replayable && upstreamServed) {
      closeUpstream(true);
    }
    if (!connectUpstream(replayable)) {
      return false;
    }
    if (expectContinue && !match.needsReceivePack() && !continued) {
      tls.write("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
    }
    boolean clientCloses = head.connectionTokens().contains("close") || head.version().equals("HTTP/1.0");
    // An HTTP/1.1 upstream connection outlives the agent's close: kept for the next connection (UpstreamPool).
    boolean http11 = head.version().equals("HTTP/1.1");
    byte[] forwarded = forwardedHead(head, headers, clientCloses && !http11);
    upstreamReusable = false;
    if (replayable && upstreamServed) {
      if (!sentOnKeptConnection(forwarded, prefix)) {
        closeUpstream(false); // the upstream closed it meanwhile: once more on a fresh connection
        if (!connectUpstream(false)) {
          return false;
        }
        upOut.write(forwarded);
        upOut.write(prefix.toByteArray());
        upOut.flush();
      }
    } else {
      upOut.write(forwarded);
      upOut.write(prefix.toByteArray());
      long sent = prefix.size();
      if (isChunked) {
        streamChunked(chunked);
      } else {
        copy(tls.input(), upOut, length - sent);
      }
      upOut.flush();
    }
    ctx.counters().allowed.incrementAndGet();
    int status;
    try {
      status = relayResponse(head);
    } catch (IOException | ProxyRequestException | RuntimeException e) {
      // it went out: recorded whatever became of its answer (the agent may reset the connection to hide it)
      record(head, match, named, verdict, 0);
      throw e;
    }
    if (status == 0) {
      ctx.counters().upstreamFailures.incrementAndGet();
      try {
        respond(502, "taskbound: the upstream " + ProxyConnection.hostPort(decision) + " closed the connection without"
            + " answering " + head.method() + " " + match.template() + (replayable ? "" : "; it was sent once and is"
            + " not sent again (a request that is not safe is never repeated)") + "\n");
      } catch (IOException gone) {
        // the agent is gone too; the request is still recorded below
      }
    }
    upstreamServed = true;
    upstreamReusable = http11 && status >= 200 && !lastResponseCloses;
    if (length != 0 && !BODY_READ.contains(head.method())) {
      // A server may have left this body unread and taken it for a next request: the connection
      // carries nothing more (the agent's next request, injected token and all, would be its body).
      upstreamReusable = false;
      closeUpstream(false);
    }
    record(head, match, named, verdict, status);
    return status > 0 && !clientCloses && !lastResponseCloses;
  }

  /**
   * Sends a request whose body is all in {@code prefix} on an upstream connection that served a
   * response before, and waits for the first byte of the answer; false (nothing relayed) when the
   * connection turns out closed.
   */
  private boolean sentOnKeptConnection(byte[] forwarded, ByteArrayOutputStream prefix) {
    try {
      upOut.write(forwarded);
      upOut.write(prefix.toByteArray());
      upOut.flush();
      upIn.mark(1);
      if (upIn.read() < 0) {
        return false;
      }
      upIn.reset();
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** Whether the upstream connection served a response before the current request (kept, or earlier on this one). */
  private boolean upstreamServed;
  /** Whether the upstream connection ended its last response cleanly and may serve another agent connection. */
  private boolean upstreamReusable;
  private boolean lastResponseCloses;

  /**
   * Refuses TRACE, whose answer echoes the request, the credentials the gateway injects included
   * (RFC 9110 9.3.8), and a body on a method whose body a server may ignore (GET, HEAD, OPTIONS):
   * such a server reads the body as a next request on the same connection, one the gate never saw,
   * and a kept connection would then hand it the agent's next request, injected token and all.
   */
  private static void refuseEchoAndIgnorableBodies(RequestHead head, long length) throws ProxyRequestException {
    if (head.method().equals("TRACE")) {
      throw new ProxyRequestException(405, "TRACE is refused on an inspected host: its answer echoes the request, with"
          + " the credentials the gateway adds; accepted: any other method", GatewayEvents.CREDENTIAL_MISUSE,
          "TRACE on an inspected host");
    }
    if (length != 0 && BODY_IGNORABLE.contains(head.method())) {
      throw new ProxyRequestException(400, "a " + head.method() + " request with a body is refused on an inspected host:"
          + " a server may ignore it and read it as another request; accepted: " + head.method() + " without a body",
          GatewayEvents.SMUGGLING);
    }
  }

  /** Exactly one Host, naming the CONNECT target's host (and port, when one is given). */
  private void checkHost(RequestHead head) throws ProxyRequestException {
    List<String> hosts = head.values("Host");
    boolean ok = hosts.size() == 1;
    if (ok) {
      String value = hosts.get(0).strip();
      // Without a port, the Host names https' default port (RFC 9110 7.2).
      String authority = value.matches(".*:[0-9]+") && (!value.startsWith("[") || value.contains("]:")) ? value : value + ":443";
      try {
        ProxyTarget t = ProxyTarget.parse("CONNECT", authority);
        ok = RuleSet.canonicalHost(t.host()).equals(decision.host()) && t.port() == decision.port();
      } catch (ProxyRequestException | EgressRuleException e) {
        ok = false;
      }
    }
    if (!ok) {
      throw new ProxyRequestException(400, "the Host header " + (hosts.isEmpty() ? "is missing" : hosts.size() > 1
          ? "appears " + hosts.size() + " times" : "'" + RequestHead.printable(hosts.get(0)) + "' does not name " + ProxyConnection.hostPort(decision))
          + "; accepted: one Host naming the CONNECT target", GatewayEvents.HOST_MISMATCH);
    }
  }

  /**
   * Reads the body until its ref-update commands are complete; what was read stays in {@code prefix}.
   * A body of one flush-pkt (git's probe before a large push) has no commands.
   */
  /**
   * The digest of the body read whole (de-chunked) to find the target; {@code "unread"} when it was
   * larger than the gateway reads (its target is then {@code ""}).
   */
  private static String bodyDigest(ByteArrayOutputStream prefix, boolean isChunked, long length, ChunkedBody chunked) {
    boolean whole = isChunked ? chunked == null || chunked.complete() : prefix.size() == length; // null: whole with the head
    if (!whole) {
      return "unread";
    }
    byte[] raw = prefix.toByteArray();
    return sha256(isChunked ? Dechunk.prefix(raw) : raw);
  }

  private static String sha256(byte[] bytes) {
    try {
      return "sha256:" + java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }

  private ReceivePack.Commands readCommands(ByteArrayOutputStream prefix, boolean isChunked, long length,
      ChunkedBody chunked) throws IOException, ProxyRequestException {
    byte[] buf = new byte[8192];
    while (true) {
      byte[] raw = prefix.toByteArray();
      if (!isChunked && length == 4 && raw.length == 4 && new String(raw, StandardCharsets.ISO_8859_1).equals("0000")) {
        return new ReceivePack.Commands(List.of(), Set.of());
      }
      byte[] body = isChunked ? Dechunk.prefix(raw) : raw;
      Optional<ReceivePack.Commands> commands = ReceivePack.parseCommands(body, body.length);
      if (commands.isPresent()) {
        return commands.get();
      }
      if (raw.length >= MAX_COMMANDS_BYTES || !isChunked && raw.length >= length) {
        throw new ProxyRequestException(400, "the git-receive-pack request's ref updates do not end within "
            + Math.min(MAX_COMMANDS_BYTES, length) + " bytes");
      }
      int max = isChunked ? buf.length : (int) Math.min(buf.length, length - raw.length);
      int n = tls.input().read(buf, 0, max);
      if (n < 0) {
        throw new ProxyRequestException(400, "the connection ended inside the git-receive-pack request");
      }
      if (isChunked && chunked != null) {
        chunked.check(ByteBuffer.wrap(buf, 0, n));
      }
      prefix.write(buf, 0, n);
    }
  }

  /**
   * Reads a JSON body of at most {@link #MAX_HELD_BODY_BYTES} whole (what was read stays in {@code prefix})
   * and returns its top-level string {@code field}: the model a model API call names. A larger body,
   * or one without the field, names no target ({@code ""}); the request is still decided and relayed.
   */
  /**
   * {@code query} when the GraphQL body is one document with no mutation or subscription in it, else
   * {@code mutation} (a batch, no JSON, a body too large to read, or any {@code mutation} word: fail closed).
   */
  static String graphqlKind(com.fasterxml.jackson.databind.JsonNode body) {
    com.fasterxml.jackson.databind.JsonNode q = body == null ? null : body.path("query");
    if (q == null || !q.isTextual()) {
      return "mutation";
    }
    String text = q.asText();
    return text.contains("mutation") || text.contains("subscription") ? "mutation" : "query";
  }

  private static String jsonField(com.fasterxml.jackson.databind.JsonNode body, String field) {
    if (body == null) {
      return "";
    }
    com.fasterxml.jackson.databind.JsonNode value = body.path(field);
    String text = value.isTextual() ? dev.taskbound.core.SafeText.line(value.asText()) : "";
    return text.length() > 128 ? text.substring(0, 128) : text;
  }

  /** The JSON body (read into {@code prefix}, which is forwarded as is), or null when it is none or too large. */
  private com.fasterxml.jackson.databind.JsonNode readJson(ByteArrayOutputStream prefix, boolean isChunked, long length,
      ChunkedBody chunked) throws IOException, ProxyRequestException {
    if (!readWhole(prefix, isChunked, length, chunked)) {
      return null;
    }
    byte[] raw = prefix.toByteArray();
    byte[] body = isChunked ? Dechunk.prefix(raw) : raw;
    try {
      return JSON.readTree(body);
    } catch (IOException e) {
      return null; // not JSON: the upstream will say so; nothing names a target
    }
  }

  /** The most of a body read whole: to find a target in it (a model API request), or for a request held for a person. */
  static final int MAX_HELD_BODY_BYTES = 1024 * 1024;

  /**
   * Reads the rest of the body into {@code prefix}; false (having read no more than the limit) when it
   * is larger than {@link #MAX_HELD_BODY_BYTES}.
   */
  private boolean readWhole(ByteArrayOutputStream prefix, boolean isChunked, long length, ChunkedBody chunked)
      throws IOException, ProxyRequestException {
    if (!isChunked && length > MAX_HELD_BODY_BYTES) {
      return false;
    }
    byte[] buf = new byte[8192];
    while (isChunked ? chunked != null && !chunked.complete() : prefix.size() < length) {
      if (prefix.size() >= MAX_HELD_BODY_BYTES) {
        return false;
      }
      int max = isChunked ? buf.length : (int) Math.min(buf.length, length - prefix.size());
      int n = tls.input().read(buf, 0, max);
      if (n < 0) {
        throw new ProxyRequestException(400, "the connection ended inside the request body");
      }
      if (isChunked) {
        chunked.check(ByteBuffer.wrap(buf, 0, n));
      }
      prefix.write(buf, 0, n);
    }
    return true;
  }

  /** The strictest of the verdicts ({@code deny} over {@code approve} over {@code allow}). */
  private static RequestGate.Verdict strictest(List<RequestGate.Verdict> verdicts) {
    RequestGate.Verdict worst = null;
    for (RequestGate.Verdict v : verdicts) {
      if (worst == null || rank(v) > rank(worst)) {
        worst = v;
      }
    }
    return worst;
  }

  private static int rank(RequestGate.Verdict v) {
    return switch (v.kind()) {
      case ALLOW -> 0;
      case APPROVE -> 1;
      case DENY -> 2;
    };
  }

  /** The most of a refused push's pack read (and dropped) so that git reads the report, not a reset. */
  private static final long MAX_DRAINED_BYTES = 256L * 1024 * 1024;

  /**
   * Answers a refused push the way git-receive-pack would (a report-status with {@code ng} and the
   * rule for every ref; none was updated), after reading and dropping the rest of its body: the
   * pack never goes upstream.
   */
  private void refusePush(ReceivePack.Commands commands, List<RequestGate.RequestAction> named,
      List<RequestGate.Verdict> verdicts, long read, boolean isChunked, long length, ChunkedBody chunked)
      throws IOException, ProxyRequestException {
    List<ReceivePackReport.Refused> refs = new ArrayList<>();
    List<String> message = new ArrayList<>();
    for (int i = 0; i < named.size(); i++) {
      RequestGate.Verdict v = verdicts.get(i);
      String ref = commands.updates().get(i).ref();
      if (v.allowed()) {
        refs.add(new ReceivePackReport.Refused(ref, "taskbound: not pushed, another ref of this push was refused"));
        continue;
      }
      String what = v.kind() == RequestGate.Verdict.Kind.APPROVE ? " was not approved by " : " denied by ";
      refs.add(new ReceivePackReport.Refused(ref, "taskbound: " + named.get(i).name() + what + v.rule()));
      message.add("taskbound: " + named.get(i) + ": " + v.reason());
    }
    drain(read, isChunked, length, chunked);
    byte[] body = ReceivePackReport.body(commands.capabilities(), refs, message);
    String head = "HTTP/1.1 200 OK\r\n"
        + "Content-Type: application/x-git-receive-pack-result\r\n"
        + "Cache-Control: no-cache\r\n"
        + "Content-Length: " + body.length + "\r\n"
        + "X-Taskbound-Decision: denied\r\n"
        + "Connection: close\r\n\r\n";
    byte[] h = head.getBytes(StandardCharsets.ISO_8859_1);
    tls.write(ByteBuffer.allocate(h.length + body.length).put(h).put(body).flip());
    tls.closeAfterAnswer();
  }

  /** Reads and drops the rest of the request body (up to {@link #MAX_DRAINED_BYTES}). */
  private void drain(long read, boolean isChunked, long length, ChunkedBody chunked) throws IOException, ProxyRequestException {
    byte[] buf = new byte[COPY_BYTES];
    long dropped = 0;
    while (dropped < MAX_DRAINED_BYTES && (isChunked ? chunked != null && !chunked.complete() : read + dropped < length)) {
      int max = isChunked ? buf.length : (int) Math.min(buf.length, length - read - dropped);
      int n = tls.input().read(buf, 0, max);
      if (n < 0) {
        return;
      }
      if (isChunked) {
        chunked.check(ByteBuffer.wrap(buf, 0, n));
      }
      dropped += n;
    }
  }

  // --- credentials -------------------------------------------------------------------------------

  /**
   * The headers to send upstream: placeholders bound to this host replaced by the real value in
   * {@code Authorization} and the binding's header. Refused: a placeholder bound elsewhere or in
   * another header or the target, a real credential value anywhere, or (on a host the gateway holds a
   * credential for) a credential header without a placeholder: the gateway injected none of those.
   */
  private List<RequestHead.Header> credentials(RequestHead head) throws ProxyRequestException {
    InjectedCredentials creds = inspection.credentials();
    String host = decision.host();
    if (creds.placeholderIn(head.target()).isPresent() || creds.realValueIn(head.target()).isPresent()) {
      throw misuse("a credential (or its placeholder) in the request target; placeholders are replaced only in "
          + String.join(", ", creds.headersFor(host)));
    }
    Set<String> credentialHeaders = creds.headersFor(host);
    List<RequestHead.Header> out = new ArrayList<>();
    for (RequestHead.Header h : head.headers()) {
      String name = h.name().toLowerCase(Locale.ROOT);
      String value = h.value();
      String decoded = basicDecoded(value);
      String seen = decoded == null ? value : value + "\n" + decoded;
      if (creds.realValueIn(seen).isPresent()) {
        throw misuse("a real credential in header " + h.name() + " that the gateway did not inject");
      }
      Optional<InjectedCredentials.Binding> b = creds.placeholderIn(seen);
      if (b.isPresent()) {
        InjectedCredentials.Binding binding = b.get();
        if (!binding.hosts().contains(host)) {
          throw misuse("the placeholder of a credential for " + String.join(", ", binding.hosts())
              + " sent to " + host);
        }
        if (!name.equals("authorization") && !name.equals(binding.header())) {
          throw misuse("a placeholder in header " + h.name() + "; accepted: "
              + String.join(", ", credentialHeaders));
        }
        String real = binding.real().reveal();
        String replaced = decoded == null
            ? value.replace(binding.placeholder(), real)
            : value.substring(0, 6) + Base64.getEncoder().encodeToString(
                decoded.replace(binding.placeholder(), real).getBytes(StandardCharsets.UTF_8));
        out.add(new RequestHead.Header(h.name(), replaced));
        continue;
      }
      if (credentialHeaders.contains(name) && creds.hasBindingFor(host)) {
        throw misuse("header " + h.name() + " carries a credential the gateway did not inject; the session's"
            + " credential for " + host + " is injected from its placeholder");
      }
      out.add(h);
    }
    return out;
  }

  private static String basicDecoded(String value) {
    if (value.length() < 7 || !value.regionMatches(true, 0, "Basic ", 0, 6)) {
      return null;
    }
    try {
      return new String(Base64.getDecoder().decode(value.substring(6).strip()), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private ProxyRequestException misuse(String why) {
    return new ProxyRequestException(403, why + "; refused", GatewayEvents.CREDENTIAL_MISUSE);
  }

  private byte[] forwardedHead(RequestHead head, List<RequestHead.Header> headers, boolean close) {
    var dropped = head.connectionTokens();
    StringBuilder sb = new StringBuilder();
    sb.append(head.method()).append(' ').append(head.target()).append(' ').append(head.version()).append("\r\n");
    for (RequestHead.Header h : headers) {
      String name = h.name().toLowerCase(Locale.ROOT);
      if (NOT_FORWARDED.contains(name) || dropped.contains(name) && !JUDGED.contains(name)) {
        continue;
      }
      sb.append(h.name()).append(": ").append(h.value()).append("\r\n");
    }
    if (close) {
      sb.append("Connection: close\r\n");
    }
    sb.append("\r\n");
    return sb.toString().getBytes(StandardCharsets.ISO_8859_1);
  }

  // --- upstream ----------------------------------------------------------------------------------

  /**
   * Dials the checked address and opens verified TLS once, or (when {@code mayTakeKept}) takes a
   * connection to the same host and port that the gateway kept; on failure tells the agent why.
   */
  private boolean connectUpstream(boolean mayTakeKept) throws IOException {
    if (upstream != null && !upstream.isClosed()) {
      return true;
    }
    String host = decision.host();
    if (mayTakeKept) {
      Optional<UpstreamPool.Idle> kept = ctx.upstreams().take(host, decision.port());
      if (kept.isPresent()) {
        upstream = kept.get().socket();
        upIn = kept.get().in();
        upOut = kept.get().out();
        upstreamServed = true;
        return true;
      }
    }
    upstreamServed = false;
    Dialer dialer = ctx.dialer();
    Dialer.Attempts attempts;
    try {
      List<InetAddress> addresses = dialer.knownAddresses(host).isPresent()
          ? dialer.knownAddresses(host).get() : dialer.lookUp(host);
      attempts = dialer.attempts(decision, addresses);
    } catch (DialException e) {
      ctx.counters().upstreamFailures.incrementAndGet();
      respond(502, "taskbound: egress to " + ProxyConnection.hostPort(decision) + " allowed, but " + e.getMessage() + "\n");
      return false;
    }
    Socket socket = null;
    while (socket == null) {
      Optional<InetSocketAddress> next = attempts.next();
      if (next.isEmpty()) {
        DialException e = attempts.failure();
        ctx.counters().upstreamFailures.incrementAndGet();
        respond(e.kind() == DialException.Kind.REFUSED ? 403 : 502,
            "taskbound: egress to " + ProxyConnection.hostPort(decision) + ": " + e.getMessage() + "\n");
        return false;
      }
      Socket s = new ReadAheadSocket();
      try {
        s.setTcpNoDelay(true);
        s.connect(next.get(), (int) dialer.connectTimeout().toMillis());
        socket = s;
      } catch (IOException e) {
        s.close();
        attempts.failed(e);
      }
    }
    try {
      SSLSocket ssl = (SSLSocket) upstreamContext().getSocketFactory().createSocket(socket, host, decision.port(), true);
      SSLParameters p = ssl.getSSLParameters();
      p.setEndpointIdentificationAlgorithm("HTTPS"); // the hostname check a browser makes
      p.setProtocols(new String[] {"TLSv1.3", "TLSv1.2"});
      p.setApplicationProtocols(new String[] {"http/1.1"});
      if (IpLiteral.tryParse(host.contains(":") ? "[" + host + "]" : host) == null) {
        p.setServerNames(List.of(new SNIHostName(host)));
      }
      ssl.setSSLParameters(p);
      ssl.setSoTimeout((int) ctx.options().idleTimeout().toMillis());
      ssl.startHandshake();
      upstream = ssl;
      upIn = new java.io.BufferedInputStream(ssl.getInputStream(), COPY_BYTES);
      upOut = new java.io.BufferedOutputStream(ssl.getOutputStream(), COPY_BYTES);
      return true;
    } catch (SSLException e) {
      socket.close();
      ctx.counters().upstreamFailures.incrementAndGet();
      String why = tlsFailure(e);
      ProxyConnection.event(ctx, GatewayEvents.UPSTREAM_TLS, host, decision.port(),
          "the upstream's TLS failed verification (" + why + "); nothing was sent");
      respond(502, "taskbound: the upstream " + ProxyConnection.hostPort(decision) + " failed TLS verification ("
          + why + "); nothing was sent\n");
      return false;
    } catch (IOException e) {
      socket.close();
      throw e;
    }
  }

  /** What was wrong with the upstream's TLS, in words. */
  private static String tlsFailure(SSLException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof java.security.cert.CertificateExpiredException) {
        return "its certificate has expired";
      }
      if (t instanceof java.security.cert.CertificateNotYetValidException) {
        return "its certificate is not yet valid";
      }
      if (t instanceof java.security.cert.CertPathValidatorException v
          && v.getReason() == java.security.cert.CertPathValidatorException.BasicReason.EXPIRED) {
        return "its certificate has expired";
      }
      if (t instanceof java.security.cert.CertificateException c && String.valueOf(c.getMessage()).startsWith("No subject alternative")) {
        return "its certificate does not name the host";
      }
      if (t instanceof java.security.cert.CertPathBuilderException) {
        return "its certificate is not signed by a CA the gateway trusts";
      }
    }
    return dev.taskbound.core.SafeText.line(String.valueOf(e.getMessage()));
  }

  private SSLContext upstreamContext() throws IOException {
    return inspection.upstreamContext();
  }

  /** Gives a cleanly ended upstream connection to the pool ({@code keep}), else closes it. */
  private void closeUpstream(boolean keep) {
    if (upstream != null && keep && upstreamReusable && !upstream.isClosed()) {
      ctx.upstreams().give(decision.host(), decision.port(),
          new UpstreamPool.Idle(upstream, upIn, upOut, System.currentTimeMillis()));
      upstream = null;
      return;
    }
    if (upstream != null) {
      try {
        upstream.close();
      } catch (IOException e) {
        // closing anyway
      }
      upstream = null;
    }
  }

  /** Relays the upstream's response (1xx heads first) to the agent; returns its status, 0 if none came. */
  private int relayResponse(RequestHead request) throws IOException, ProxyRequestException {
    while (true) {
      byte[] head = readResponseHead();
      if (head == null) {
        return 0;
      }
      ResponseHead r = ResponseHead.parse(head, head.length - 4);
      tls.write(head);
      if (r.status() == 101) {
        lastResponseCloses = true;
        return r.status();
      }
      if (r.status() < 200) {
        continue;
      }
      lastResponseCloses = r.closes();
      if (request.method().equals("HEAD") || r.status() == 204 || r.status() == 304) {
        return r.status();
      }
      if (r.chunked()) {
        ChunkedBody body = new ChunkedBody();
        byte[] buf = new byte[COPY_BYTES];
        while (!body.complete()) {
          int n = upIn.read(buf, 0, body.complete() ? 0 : buf.length);
          if (n < 0) {
            lastResponseCloses = true;
            return r.status();
          }
          body.check(ByteBuffer.wrap(buf, 0, n));
          tls.write(ByteBuffer.wrap(buf, 0, n));
        }
        return r.status();
      }
      long length = r.contentLength();
      if (length >= 0) {
        copy(upIn, tls.output(), length);
        return r.status();
      }
      copy(upIn, tls.output(), Long.MAX_VALUE); // until the upstream closes
      lastResponseCloses = true;
      return r.status();
    }
  }

  private byte[] readResponseHead() throws IOException, ProxyRequestException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int state = 0;
    while (true) {
      int c = upIn.read();
      if (c < 0) {
        if (out.size() == 0) {
          return null;
        }
        throw new ProxyRequestException(502, "the upstream closed inside its response head");
      }
      out.write(c);
      state = (c == '\r' && (state == 0 || state == 2)) ? state + 1 : (c == '\n' && (state == 1 || state == 3)) ? state + 1 : 0;
      if (state == 4) {
        return out.toByteArray();
      }
      if (out.size() > 64 * 1024) {
        throw new ProxyRequestException(502, "the upstream's response head is larger than 64 KiB");
      }
    }
  }

  /** Streams the rest of a chunked request body upstream, checked as it goes. */
  private void streamChunked(ChunkedBody chunked) throws IOException, ProxyRequestException {
    if (chunked == null) {
      return; // it all came with the head
    }
    byte[] buf = new byte[COPY_BYTES];
    while (!chunked.complete()) {
      int n = tls.input().read(buf, 0, buf.length);
      if (n < 0) {
        throw new ProxyRequestException(400, "the connection ended inside a chunked body", GatewayEvents.SMUGGLING);
      }
      chunked.check(ByteBuffer.wrap(buf, 0, n));
      upOut.write(buf, 0, n);
    }
  }

  private static void copy(InputStream from, OutputStream to, long count) throws IOException {
    byte[] buf = new byte[COPY_BYTES];
    long left = count;
    while (left > 0) {
      int n = from.read(buf, 0, (int) Math.min(buf.length, left));
      if (n < 0) {
        if (count == Long.MAX_VALUE) {
          to.flush();
          return;
        }
        throw new IOException("the stream ended " + left + " bytes early");
      }
      to.write(buf, 0, n);
      left -= n;
    }
    to.flush();
  }

  // --- answers and evidence ----------------------------------------------------------------------

  private void refuse(ProxyRequestException e) {
    ctx.counters().malformed.incrementAndGet();
    GatewayEvents.Kind kind = e.event() != null ? e.event() : GatewayEvents.MALFORMED;
    // The message may quote the target (which may hold a credential): the evidence gets the kind's own words.
    ProxyConnection.event(ctx, kind, decision.host(), decision.port(), e.evidence() == null ? e.getMessage() : e.evidence());
    try {
      respond(e.status(), "taskbound: " + e.getMessage() + "\n");
    } catch (IOException | RuntimeException gone) {
      // the agent is gone
    }
  }

  private void respond(int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    String head = "HTTP/1.1 " + status + " " + ProxyConnection.reasonPhrase(status) + "\r\n"
        + "Content-Type: text/plain; charset=utf-8\r\n"
        + "Content-Length: " + bytes.length + "\r\n"
        + (status == 403 ? "X-Taskbound-Decision: denied\r\n" : "")
        + "Connection: close\r\n\r\n";
    byte[] h = head.getBytes(StandardCharsets.ISO_8859_1);
    tls.write(ByteBuffer.allocate(h.length + bytes.length).put(h).put(bytes).flip());
    // What the agent still sends is dropped, so that closing does not reset the connection before
    // the agent has read the answer.
    tls.closeAfterAnswer();
  }

  private void record(RequestHead head, RequestActions.Match match, List<RequestGate.RequestAction> named,
      RequestGate.Verdict verdict, int status) {
    String decided = switch (verdict.kind()) {
      case ALLOW -> "allowed";
      case DENY -> "denied";
      case APPROVE -> "approval_required";
    };
    try {
      inspection.gate().onRequest(new RequestGate.InspectedRequest(head.method(), decision.host(), match.template(),
          named, decided, verdict.rule(), status));
    } catch (RuntimeException e) {
      // Nothing is dropped: an unrecorded request stops the gateway, which closes every connection.
      ctx.fail().accept(new IOException("an inspected request to " + decision.host() + " could not be recorded: " + e, e));
      throw e;
    }
  }
}
