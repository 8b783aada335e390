package dev.taskbound.core.egress;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 18 item 6: what the gateway's plain-HTTP path forwards, through a real gateway to a real
 * upstream on loopback that records every byte it receives. Malformed framing is refused with 400
 * and an event, and nothing reaches the upstream; valid chunked bodies pass unchanged however they
 * are cut into reads.
 */
@Tag("issue-18")
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PlainHttpFramingTest {
  record Event(GatewayEvents.Kind type, String host, int port, String detail) {}

  private static final String OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

  @TempDir Path dir;
  private final List<Event> events = new CopyOnWriteArrayList<>();
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private RecordingUpstream upstream;
  private Gateway gateway;
  private int port;

  @BeforeEach
  void start() throws IOException {
    upstream = new RecordingUpstream();
    closeables.add(upstream);
    port = upstream.port();
    RuleSet rules = RuleSet.of(List.of(EgressRule.parse("api.test:" + port)), List.of());
    gateway = Gateway.start(new GatewayConfig(dir.resolve("gw.sock"), rules, Map.of("api.test", "127.0.0.1"),
        (d, m, a) -> {}, GatewayOptions.DEFAULTS.withEvents((t, h, p, d) -> events.add(new Event(t, h, p, d)))));
    closeables.add(gateway);
  }

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable c : closeables) {
      c.close();
    }
  }

  /**
   * One upstream connection as it arrived: every byte, in order. It answers {@link #OK} once it
   * holds {@code answerAt} bytes, then reads on until the gateway closes.
   */
  static final class Received {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private boolean ended;

    synchronized void add(byte[] b, int n) {
      bytes.write(b, 0, n);
      notifyAll();
    }

    synchronized void end() {
      ended = true;
      notifyAll();
    }

    synchronized int size() {
      return bytes.size();
    }

    /** Waits (at most 10 s) until at least {@code n} bytes are in, or the connection ended. */
    synchronized String awaitBytes(int n) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (bytes.size() < n && !ended && System.nanoTime() < deadline) {
        wait(100);
      }
      return bytes.toString(StandardCharsets.ISO_8859_1);
    }

    /** Waits (at most 10 s) until the gateway closed the connection; returns everything received. */
    synchronized String awaitEnd() throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (!ended && System.nanoTime() < deadline) {
        wait(100);
      }
      assertThat(ended).as("the upstream connection ended").isTrue();
      return bytes.toString(StandardCharsets.ISO_8859_1);
    }
  }

  /** A loopback upstream that records every connection. */
  static final class RecordingUpstream implements AutoCloseable {
    final BlockingQueue<Received> connections = new LinkedBlockingQueue<>();
    final AtomicInteger accepted = new AtomicInteger();
    volatile int answerAt = Integer.MAX_VALUE;
    /** Completed when the upstream may answer (at once unless a test holds it back). */
    volatile CompletableFuture<Void> answerWhen = CompletableFuture.completedFuture(null);
    private final LoopbackServer server;

    RecordingUpstream() throws IOException {
      server = new LoopbackServer(s -> {
        accepted.incrementAndGet();
        Received r = new Received();
        connections.add(r);
        InputStream in = s.getInputStream();
        byte[] buf = new byte[8192];
        boolean answered = false;
        try {
          for (int n = in.read(buf); n > 0; n = in.read(buf)) {
            r.add(buf, n);
            if (!answered && r.size() >= answerAt) {
              try {
                answerWhen.get(10, TimeUnit.SECONDS);
              } catch (InterruptedException | ExecutionException | TimeoutException e) {
                throw new IOException(e);
              }
              s.getOutputStream().write(OK.getBytes(StandardCharsets.ISO_8859_1));
              s.shutdownOutput();
              answered = true;
            }
          }
        } finally {
          r.end();
        }
      });
    }

    int port() {
      return server.port();
    }

    Received next() throws InterruptedException {
      Received r = connections.poll(10, TimeUnit.SECONDS);
      assertThat(r).as("an upstream connection").isNotNull();
      return r;
    }

    @Override
    public void close() throws IOException {
      server.close();
    }
  }

  private String requestLine(String method) {
    return method + " http://api.test:" + port + "/up HTTP/1.1\r\n";
  }

  /** What the upstream receives for a chunked PUT the gateway forwards. */
  private String forwardedChunkedHead() {
    return "PUT /up HTTP/1.1\r\nHost: api.test:" + port + "\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
  }

  private String exchange(String request) throws IOException {
    try (ProxyClient c = new ProxyClient(gateway.socketPath())) {
      return c.send(request).readAll();
    }
  }

  private String chunkedPut(String body) {
    return requestLine("PUT") + "Transfer-Encoding: chunked\r\n\r\n" + body;
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', quoteCharacter = '~', value = {
    // the reproductions of issue 18 item 6
    "chunk size -1 | ~PUT~ | Transfer-Encoding: chunked\\r\\n\\r\\n-1\\r\\nx\\r\\n0\\r\\n\\r\\n"
        + " | egress.denied.smuggling | malformed chunked body at byte 0: '-' where a chunk size begins; accepted: hex digits (no sign, prefix or space)",
    "chunk size of 20 digits | PUT | Transfer-Encoding: chunked\\r\\n\\r\\n00000000000000000005\\r\\nhello\\r\\n0\\r\\n\\r\\n"
        + " | egress.denied.smuggling | malformed chunked body at byte 16: a chunk size of more than 16 hex digits",
    "chunk size ZZ | PUT | Transfer-Encoding: chunked\\r\\n\\r\\nZZ\\r\\nhello\\r\\n0\\r\\n\\r\\n"
        + " | egress.denied.smuggling | malformed chunked body at byte 0: 'Z' where a chunk size begins; accepted: hex digits (no sign, prefix or space)",
    "chunk data without its CRLF | PUT | Transfer-Encoding: chunked\\r\\n\\r\\n5\\r\\nhello0\\r\\n\\r\\n"
        + " | egress.denied.smuggling | malformed chunked body at byte 8: '0' after 5 bytes of chunk data; accepted: CRLF (the chunk size says how long the data is)",
    "a chunk-size line without its LF | PUT | Transfer-Encoding: chunked\\r\\n\\r\\n5\\rhello\\r\\n0\\r\\n\\r\\n"
        + " | egress.denied.smuggling | malformed chunked body at byte 2: 'h' after CR in a chunk-size line; accepted: CRLF",
    "the final CRLF without its LF | PUT | Transfer-Encoding: chunked\\r\\n\\r\\n0\\r\\n\\r\\r\\n"
        + " | egress.denied.smuggling | malformed chunked body at byte 4: byte 0x0d after the final CR; accepted: CRLF",
    "a request after the last chunk | PUT | Transfer-Encoding: chunked\\r\\n\\r\\n5\\r\\nhello\\r\\n0\\r\\n\\r\\nGET /smuggled HTTP/1.1\\r\\nHost: api.test\\r\\n\\r\\n"
        + " | egress.denied.smuggling | malformed chunked body at byte 15: bytes after the end of the chunked body; the gateway relays one request per connection",
    "Transfer-Encoding: VT chunked | PUT | Transfer-Encoding: \\x0bchunked\\r\\n\\r\\n0\\r\\n\\r\\n"
        + " | egress.denied.malformed | control character 0x0b at position 19 of header line 1 'Transfer-Encoding: ?chunked'; accepted: none (tab only inside header values)",
    "NUL in the request target | ~GET http://api.test:PORT/a\\x00b HTTP/1.1~ | \\r\\n"
        + " | egress.denied.malformed | control character 0x00 at position P+2 of the request line 'GET http://api.test:PORT/a?b HTTP/1.1'; accepted: none (tab only inside header values)",
    "SOH in the request target | ~GET http://api.test:PORT/\\x01 HTTP/1.1~ | \\r\\n"
        + " | egress.denied.malformed | control character 0x01 at position P+1 of the request line 'GET http://api.test:PORT/? HTTP/1.1'; accepted: none (tab only inside header values)",
    "DEL in the request target | ~GET http://api.test:PORT/\\x7f HTTP/1.1~ | \\r\\n"
        + " | egress.denied.malformed | control character 0x7f at position P+1 of the request line 'GET http://api.test:PORT/? HTTP/1.1'; accepted: none (tab only inside header values)",
    "a tab in the request target | ~GET http://api.test:PORT/a\\tb HTTP/1.1~ | \\r\\n"
        + " | egress.denied.malformed | control character 0x09 at position P+2 of the request line 'GET http://api.test:PORT/a?b HTTP/1.1'; accepted: none (tab only inside header values)",
    "a raw non-ASCII byte in the request target | ~GET http://api.test:PORT/\\xff HTTP/1.1~ | \\r\\n"
        + " | egress.denied.malformed | byte 0xff at position T+1 of the request target 'http://api.test:PORT/?'; accepted: printable ASCII (percent-encode the rest)",
    "NUL in a header value | GET | X-A: a\\x00b\\r\\n\\r\\n"
        + " | egress.denied.malformed | control character 0x00 at position 6 of header line 1 'X-A: a?b'; accepted: none (tab only inside header values)",
    "ESC in a header value | GET | X-A: \\x1b[31m\\r\\n\\r\\n"
        + " | egress.denied.malformed | control character 0x1b at position 5 of header line 1 'X-A: ?[31m'; accepted: none (tab only inside header values)",
    // one Transfer-Encoding, exactly chunked
    "a folded Transfer-Encoding | PUT | Transfer-Encoding:\\r\\n chunked\\r\\n\\r\\n0\\r\\n\\r\\n"
        + " | egress.denied.malformed | folded header lines are not accepted",
    "a space before the colon | PUT | Transfer-Encoding : chunked\\r\\n\\r\\n0\\r\\n\\r\\n"
        + " | egress.denied.malformed | malformed header line 'Transfer-Encoding : chunked'; expected 'Name: value'",
    "a Transfer-Encoding list | PUT | Transfer-Encoding: gzip, chunked\\r\\n\\r\\n0\\r\\n\\r\\n"
        + " | egress.denied.smuggling | unsupported Transfer-Encoding 'gzip, chunked'; accepted: chunked",
    "chunked twice in one header | PUT | Transfer-Encoding: chunked, chunked\\r\\n\\r\\n0\\r\\n\\r\\n"
        + " | egress.denied.smuggling | unsupported Transfer-Encoding 'chunked, chunked'; accepted: chunked",
    "two Transfer-Encoding headers | PUT | Transfer-Encoding: chunked\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n0\\r\\n\\r\\n"
        + " | egress.denied.smuggling | unsupported Transfer-Encoding 'chunked, chunked'; accepted: chunked",
    "Transfer_Encoding with an underscore | PUT | Transfer_Encoding: chunked\\r\\nContent-Length: 5\\r\\n\\r\\nhello"
        + " | egress.denied.smuggling | header name 'Transfer_Encoding' reads as 'transfer-encoding' to servers that map '_' to '-'; accepted: the name with '-'",
    "Content_Length with an underscore | PUT | Content_Length: 5\\r\\n\\r\\nhello"
        + " | egress.denied.smuggling | header name 'Content_Length' reads as 'content-length' to servers that map '_' to '-'; accepted: the name with '-'",
    "Transfer-Encoding identity | PUT | Transfer-Encoding: identity\\r\\n\\r\\n"
        + " | egress.denied.smuggling | unsupported Transfer-Encoding 'identity'; accepted: chunked",
    "Transfer-Encoding and Content-Length | PUT | Content-Length: 5\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n0\\r\\n\\r\\n"
        + " | egress.denied.smuggling | both Transfer-Encoding and Content-Length are present",
    "Content-Length twice, differing | PUT | Content-Length: 5\\r\\nContent-Length: 6\\r\\n\\r\\nhello"
        + " | egress.denied.smuggling | invalid Content-Length '5, 6'; accepted: one decimal number of at most 18 digits",
    "a signed Content-Length | PUT | Content-Length: +5\\r\\n\\r\\nhello"
        + " | egress.denied.smuggling | invalid Content-Length '+5'; accepted: one decimal number of at most 18 digits",
    "a request after a Content-Length body | PUT | Content-Length: 5\\r\\n\\r\\nhelloGET /smuggled HTTP/1.1\\r\\n\\r\\n"
        + " | egress.denied.smuggling | 26 bytes after the body of 5 bytes (Content-Length); the gateway relays one request per connection",
    "chunked in HTTP/1.0 | ~PUT http://api.test:PORT/up HTTP/1.0~ | Transfer-Encoding: chunked\\r\\n\\r\\n0\\r\\n\\r\\n"
        + " | egress.denied.smuggling | Transfer-Encoding in an HTTP/1.0 request; accepted: Content-Length",
    // the rest of the chunked grammar
    "a bare LF after a chunk size | PUT | Transfer-Encoding: chunked\\r\\n\\r\\n5\\nhello\\r\\n0\\r\\n\\r\\n"
        + " | egress.denied.smuggling | malformed chunked body at byte 1: byte 0x0a after a chunk size or extension; accepted: ';' and an extension, or CRLF",
    "a 0x prefix | PUT | Transfer-Encoding: chunked\\r\\n\\r\\n0x5\\r\\nhello\\r\\n0\\r\\n\\r\\n"
        + " | egress.denied.smuggling | malformed chunked body at byte 1: 'x' after a chunk size or extension; accepted: ';' and an extension, or CRLF",
    "an extension with a bare CR in a quoted value | PUT | Transfer-Encoding: chunked\\r\\n\\r\\n5;a=\"\\r\"\\r\\nhello\\r\\n0\\r\\n\\r\\n"
        + " | egress.denied.smuggling | malformed chunked body at byte 5: byte 0x0d in a quoted chunk extension value",
    "Content-Length in the trailers | PUT | Transfer-Encoding: chunked\\r\\n\\r\\n0\\r\\nContent-Length: 44\\r\\n\\r\\n"
        + " | egress.denied.smuggling | malformed chunked body at byte 17: the trailer field 'Content-Length' frames, routes or describes the message; it is not accepted in trailers",
    "a folded trailer | PUT | Transfer-Encoding: chunked\\r\\n\\r\\n0\\r\\nX: a\\r\\n b\\r\\n\\r\\n"
        + " | egress.denied.smuggling | malformed chunked body at byte 9: byte 0x20 where a trailer field or the final CRLF begins; accepted: 'Name: value' lines (no folding), then CRLF",
  })
  void malformedFramingIsRefusedWith400AndNothingReachesTheUpstream(String name, String line, String rest, String event,
      String reason) throws Exception {
    String first = line.contains(" ") ? line.replace("PORT", String.valueOf(port)) + "\r\n" : requestLine(line);
    String request = ChunkedBodyTest.unescape(first + rest);
    String why = positions(reason.replace("PORT", String.valueOf(port)));

    String response = exchange(request);

    assertThat(response).startsWith("HTTP/1.1 400 Bad Request\r\n").endsWith("\r\n\r\ntaskbound: bad proxy request: " + why + "\n");
    // Framing is refused once the target is known, and counted against it; a malformed head names none.
    GatewayEvents.Kind kind = kindOf(event);
    boolean named = kind == GatewayEvents.Kind.SMUGGLING;
    assertThat(events).containsExactly(new Event(kind, named ? "api.test" : "", named ? port : 0, recorded(why)));
    assertThat(gateway.stats().malformed()).isEqualTo(1);
    assertThat(upstream.accepted).as("connections the upstream accepted").hasValue(0);
  }

  /** The event names a refused request line, target or header line by position, without quoting it. */
  private static String recorded(String reason) {
    if (reason.startsWith("control character") || reason.startsWith("byte 0x")) {
      return reason.replaceFirst(" '.*'; accepted", "; accepted");
    }
    return reason.replaceFirst("^malformed header line '.*';", "malformed header line 1;");
  }

  @Test
  void aRefusedHeaderLineNeverReachesTheEvidence() throws Exception {
    String response = exchange(requestLine("GET") + "Authorization: Bearer s3cret\u0001\r\n\r\n");

    assertThat(response).startsWith("HTTP/1.1 400 Bad Request\r\n");
    assertThat(events).containsExactly(new Event(GatewayEvents.MALFORMED, "", 0,
        "control character 0x01 at position 28 of header line 1; accepted: none (tab only inside header values)"));
    assertThat(upstream.accepted).hasValue(0);
  }

  /**
   * Positions after the port differ with its length: {@code P+n} counts from the end of
   * {@code GET http://api.test:PORT} in the request line, {@code T+n} from the end of
   * {@code http://api.test:PORT} in the target.
   */
  private String positions(String reason) {
    int target = "http://api.test:".length() + String.valueOf(port).length();
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("([PT])\\+(\\d+)").matcher(reason);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      int base = m.group(1).equals("P") ? "GET ".length() + target : target;
      m.appendReplacement(out, String.valueOf(base + Integer.parseInt(m.group(2))));
    }
    return m.appendTail(out).toString();
  }

  /** Valid bodies: extensions, trailers, upper- and lower-case hex, leading zeros, several chunks. */
  private static final List<String> VALID_BODIES = List.of(
      "0\r\n\r\n",
      "5\r\nhello\r\n0\r\n\r\n",
      "5;name=value;flag;q=\"a \\\" b\"\r\nhello\r\n0;end\r\n\r\n",
      "1A\r\nabcdefghijklmnopqrstuvwxyz\r\n00a\r\n0123456789\r\n000\r\nX-Checksum: sha256:abc\r\nX-Tab:\ta\tb\r\n\r\n");

  @ParameterizedTest(name = "body {index}")
  @ValueSource(ints = {0, 1, 2, 3})
  void aValidChunkedBodyPassesUnchangedWhereverItIsCutIntoReads(int which) throws Exception {
    String body = VALID_BODIES.get(which);
    String forwarded = forwardedChunkedHead() + body;
    upstream.answerAt = forwarded.length();

    for (int cut = 0; cut <= body.length(); cut++) {
      String response;
      Received got;
      try (ProxyClient c = new ProxyClient(gateway.socketPath())) {
        c.send(chunkedPut(body.substring(0, cut)));
        got = upstream.next();
        // the second part is sent only once the first has gone through, so it is another read
        assertThat(got.awaitBytes(forwardedChunkedHead().length() + cut))
            .isEqualTo(forwarded.substring(0, forwardedChunkedHead().length() + cut));
        c.send(body.substring(cut));
        response = c.readAll();
      }

      assertThat(response).as("cut at %d", cut).isEqualTo(OK);
      assertThat(got.awaitEnd()).as("cut at %d", cut).isEqualTo(forwarded);
    }
    assertThat(events).isEmpty();
    assertThat(gateway.stats().malformed()).isZero();
  }

  @Test
  void transferEncodingIsReadCaseInsensitivelyAndWithoutItsSpaces() throws Exception {
    upstream.answerAt = 1;

    String response = exchange(requestLine("PUT") + "Transfer-Encoding: \t Chunked \t\r\n\r\n0\r\n\r\n");

    assertThat(response).isEqualTo(OK);
    assertThat(upstream.next().awaitEnd()).isEqualTo(
        "PUT /up HTTP/1.1\r\nHost: api.test:" + port + "\r\nTransfer-Encoding: Chunked\r\nConnection: close\r\n\r\n0\r\n\r\n");
  }

  @Test
  void aMalformedChunkInALaterReadClosesBothSidesAfterWhatWasCheckedAndIsRecorded() throws Exception {
    String firstPart = "5\r\nhello\r\n";
    Received got;
    String response;
    try (ProxyClient c = new ProxyClient(gateway.socketPath())) {
      c.send(chunkedPut(firstPart));
      got = upstream.next();
      got.awaitBytes(forwardedChunkedHead().length() + firstPart.length());

      c.send("ZZ\r\nhello\r\n0\r\n\r\n");
      response = c.readAll();
    }

    assertThat(response).isEmpty();
    assertThat(got.awaitEnd()).isEqualTo(forwardedChunkedHead() + firstPart);
    assertThat(events).containsExactly(new Event(GatewayEvents.SMUGGLING, "api.test", port,
        "malformed chunked body at byte 10: 'Z' where a chunk size begins; accepted: hex digits (no sign, prefix or space);"
            + " both connections closed"));
    assertThat(gateway.stats().malformed()).isEqualTo(1);
  }

  @Test
  void aBodyTheClientEndsBeforeItsLastChunkClosesBothSidesAndIsRecorded() throws Exception {
    String firstPart = "5\r\nhello\r\n0\r\n";
    Received got;
    String response;
    try (ProxyClient c = new ProxyClient(gateway.socketPath())) {
      c.send(chunkedPut(firstPart));
      got = upstream.next();
      got.awaitBytes(forwardedChunkedHead().length() + firstPart.length());

      c.shutdownOutput();
      response = c.readAll();
    }

    assertThat(response).isEmpty();
    assertThat(got.awaitEnd()).isEqualTo(forwardedChunkedHead() + firstPart);
    assertThat(events).containsExactly(new Event(GatewayEvents.SMUGGLING, "api.test", port,
        "the client ended the chunked body at byte 13, before its last chunk and final CRLF; both connections closed"));
  }

  @Test
  void aRequestSentAfterTheLastChunkInALaterReadIsNeverRead() throws Exception {
    String body = "5\r\nhello\r\n0\r\n\r\n";
    upstream.answerAt = forwardedChunkedHead().length() + body.length();
    upstream.answerWhen = new CompletableFuture<>();
    Received got;
    String response;
    try (ProxyClient c = new ProxyClient(gateway.socketPath())) {
      c.send(chunkedPut(body.substring(0, 3)));
      got = upstream.next();
      got.awaitBytes(forwardedChunkedHead().length() + 3);
      c.send(body.substring(3));
      got.awaitBytes(upstream.answerAt);

      c.send("GET /smuggled HTTP/1.1\r\nHost: api.test\r\n\r\n");
      upstream.answerWhen.complete(null); // the upstream answers and closes; the gateway then closes both sides
      // The answer is read by length: the gateway closes with the unread request still queued, which
      // a Unix socket reports to the client as a reset once the answer has been read.
      response = c.read(OK.length());
    }

    assertThat(response).isEqualTo(OK);
    assertThat(got.awaitEnd()).isEqualTo(forwardedChunkedHead() + body);
    assertThat(events).isEmpty();
  }

  @Test
  void aLargeBodyInManyReadsPassesUnchanged() throws Exception {
    StringBuilder body = new StringBuilder();
    for (int i = 1; i <= 200; i++) {
      char[] data = new char[i * 37 % 5000 + 1];
      Arrays.fill(data, (char) ('a' + i % 26));
      body.append(Integer.toHexString(data.length)).append(i % 3 == 0 ? ";i=" + i : "").append("\r\n").append(data).append("\r\n");
    }
    body.append("0\r\n\r\n");
    String forwarded = forwardedChunkedHead() + body;
    upstream.answerAt = forwarded.length();

    String response = exchange(chunkedPut(body.toString()));

    assertThat(response).isEqualTo(OK);
    assertThat(upstream.next().awaitEnd()).isEqualTo(forwarded);
    assertThat(events.stream().map(Event::type).collect(Collectors.toList())).isEmpty();
  }

  /** The gateway event kind the table names by its evidence type's last part ({@code egress.denied.smuggling}). */
  private static GatewayEvents.Kind kindOf(String evidenceType) {
    String last = evidenceType.substring(evidenceType.lastIndexOf('.') + 1);
    return GatewayEvents.Kind.valueOf(last.toUpperCase(java.util.Locale.ROOT));
  }
}
