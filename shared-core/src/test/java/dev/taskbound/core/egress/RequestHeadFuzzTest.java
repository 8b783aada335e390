package dev.taskbound.core.egress;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tag;

/**
 * Fuzzing the gateway's request-head parser (issue 18): whatever bytes a client sends, and however
 * they are cut into reads, {@link RequestHead#find} gives a head that keeps every promise the
 * gateway relies on, or the documented {@link ProxyRequestException}; never another exception.
 */
@Tag("fuzz")
class RequestHeadFuzzTest {
  /** Past findings, kept as regression inputs: each was accepted before issue 18 and must be refused. */
  private static final List<String> CORPUS = List.of(
      "PUT http://api.test/ HTTP/1.1\r\nTransfer-Encoding: \u000bchunked\r\n\r\n",
      "PUT http://api.test/ HTTP/1.1\r\nTransfer-Encoding: chunked\u000c\r\n\r\n",
      "PUT http://api.test/ HTTP/1.1\r\nTransfer-Encoding: \u001cchunked\r\n\r\n",
      "GET http://api.test/a\u0000b HTTP/1.1\r\n\r\n",
      "GET http://api.test/\u0001 HTTP/1.1\r\n\r\n",
      "GET http://api.test/\u00ff HTTP/1.1\r\n\r\n",
      "GET http://api.test/ HTTP/1.1\r\nX-A: \u001b[2J\r\n\r\n",
      "PUT http://api.test/ HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n");

  @Example
  void pastFindingsAreRefused() {
    for (String input : CORPUS) {
      Outcome o = outcome(bytes(input));

      assertThat(o.refusal).as(printable(input)).isNotNull();
    }
  }

  @Property
  void anyBytesGiveAHeadThatKeepsItsPromisesOrTheDocumentedRefusal(@ForAll("heads") byte[] input) {
    Outcome o = outcome(input);

    if (o.head != null) {
      assertKeepsItsPromises(o.head);
    } else if (o.refusal != null) {
      assertThat(o.refusal.status()).isIn(400);
      assertThat(o.refusal.getMessage()).isNotBlank().doesNotContain("\r", "\n");
    }
  }

  @Property
  void aHeadCutIntoReadsAnywhereIsReadAsWhenItArrivesWhole(@ForAll("heads") byte[] input, @ForAll("cuts") List<Integer> cuts) {
    Outcome whole = outcome(input);

    Outcome dribbled = dribble(input, cuts);

    assertThat(dribbled.describe()).isEqualTo(whole.describe());
    if (whole.head != null) { // what came after the head so far: a part of what came with it whole
      byte[] all = array(whole.head.rest());
      byte[] some = array(dribbled.head.rest());
      assertThat(some.length).isLessThanOrEqualTo(all.length);
      assertThat(java.util.Arrays.copyOf(all, some.length)).isEqualTo(some);
    }
  }

  /** The parse, plus what the gateway asks of a parsed head next: its body framing. */
  private record Outcome(RequestHead head, ProxyRequestException refusal, long bodyLength) {
    String describe() {
      if (refusal != null) {
        return "refused " + refusal.status() + ": " + refusal.getMessage();
      }
      if (head == null) {
        return "incomplete";
      }
      return head.method() + " " + head.target() + " " + head.version() + " " + head.headers() + " body " + bodyLength;
    }
  }

  private static Outcome outcome(byte[] input) {
    ByteBuffer buf = ByteBuffer.allocate(input.length).put(input);
    return parse(buf, 0);
  }

  private static Outcome parse(ByteBuffer buf, int scanned) {
    try {
      RequestHead head = RequestHead.find(buf, scanned);
      if (head == null) {
        return new Outcome(null, null, 0);
      }
      long body = head.method().equals("CONNECT") ? 0 : PlainRequest.bodyLength(head);
      return new Outcome(head, null, body);
    } catch (ProxyRequestException e) {
      return new Outcome(null, e, 0);
    }
  }

  /** Feeds the bytes as the gateway reads them: a piece at a time, each search starting where the last one stopped. */
  private static Outcome dribble(byte[] input, List<Integer> cuts) {
    ByteBuffer buf = ByteBuffer.allocate(input.length);
    int from = 0;
    int scanned = 0;
    List<Integer> ends = new ArrayList<>();
    cuts.stream().map(c -> Math.floorMod(c, input.length + 1)).sorted().forEach(ends::add);
    ends.add(input.length);
    Outcome o = new Outcome(null, null, 0);
    for (int end : ends) {
      if (end <= from) {
        continue;
      }
      buf.put(input, from, end - from);
      from = end;
      o = parse(buf, scanned);
      if (o.head != null || o.refusal != null) {
        return o;
      }
      scanned = buf.position();
    }
    return o;
  }

  private static void assertKeepsItsPromises(RequestHead head) {
    assertThat(head.method()).matches("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
    assertThat(head.version()).isIn("HTTP/1.1", "HTTP/1.0");
    assertThat(head.target()).isNotEmpty().matches("[\\x21-\\x7e]+");
    for (RequestHead.Header h : head.headers()) {
      assertThat(h.name()).matches("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
      assertThat(h.value()).as(h.name()).doesNotMatch("(?s).*[\\x00-\\x08\\x0a-\\x1f\\x7f].*")
          .doesNotStartWith(" ").doesNotStartWith("\t").doesNotEndWith(" ").doesNotEndWith("\t");
    }
    List<String> te = head.values("Transfer-Encoding");
    if (!te.isEmpty() && !head.method().equals("CONNECT")) {
      assertThat(te).singleElement().satisfies(v -> assertThat(v).isEqualToIgnoringCase("chunked"));
      assertThat(head.values("Content-Length")).isEmpty();
    }
  }

  // --- generators ------------------------------------------------------------------------------

  @Provide
  Arbitrary<byte[]> heads() {
    return Arbitraries.oneOf(mutated(realistic()), realistic().map(RequestHeadFuzzTest::bytes), anyBytes());
  }

  @Provide
  Arbitrary<List<Integer>> cuts() {
    return Arbitraries.integers().between(0, 100_000).list().ofMaxSize(12);
  }

  /** Bytes with a head's punctuation and every control character over-represented. */
  private static Arbitrary<byte[]> anyBytes() {
    Arbitrary<Byte> b = Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(6, Arbitraries.bytes()),
        net.jqwik.api.Tuple.of(4, Arbitraries.of(INTERESTING)));
    return b.array(byte[].class).ofMaxSize(300).map(a -> {
      // most random inputs never end their head: half of them get an end
      return a.length % 2 == 0 ? concat(a, bytes("\r\n\r\n")) : a;
    });
  }

  private static final Byte[] INTERESTING = {
    0, 9, 10, 11, 12, 13, 27, 31, 32, 127, (byte) 0x80, (byte) 0xff, ':', ',', ';', '/', '"', '\\', '0', 'a'};

  private static Arbitrary<String> realistic() {
    Arbitrary<String> method = Arbitraries.of("GET", "PUT", "POST", "CONNECT", "HEAD", "G@T");
    Arbitrary<String> target = Arbitraries.of("http://api.test/", "http://api.test:80/a?b=c", "api.test:443", "/", "*",
        "http://[::1]:8080/", "http://api.test/%00");
    Arbitrary<String> version = Arbitraries.of("HTTP/1.1", "HTTP/1.0", "HTTP/2", "http/1.1");
    Arbitrary<String> header = Arbitraries.of(
        "Host: api.test", "Transfer-Encoding: chunked", "Transfer-Encoding: Chunked ", "Transfer-Encoding: gzip, chunked",
        "Content-Length: 5", "Content-Length: 05", "Content-Length: -1", "Content-Length: 99999999999999999999",
        "Connection: close, Content-Length", "X-Empty:", "X-Tab:\ta\tb", "Expect: 100-continue", "X: \u00e9");
    Arbitrary<List<String>> headers = header.list().ofMaxSize(5);
    return Combinators.combine(method, target, version, headers).as((m, t, v, hs) -> {
      StringBuilder sb = new StringBuilder(m).append(' ').append(t).append(' ').append(v).append("\r\n");
      hs.forEach(h -> sb.append(h).append("\r\n"));
      return sb.append("\r\n").append("0\r\n\r\n").toString();
    });
  }

  /** A realistic head with a few random edits: a byte inserted, replaced or deleted. */
  private static Arbitrary<byte[]> mutated(Arbitrary<String> base) {
    Arbitrary<Byte> b = Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(3, Arbitraries.bytes()),
        net.jqwik.api.Tuple.of(7, Arbitraries.of(INTERESTING)));
    Arbitrary<List<int[]>> edits = Combinators.combine(Arbitraries.integers().between(0, 2),
        Arbitraries.integers().between(0, 1000), b).as((kind, at, v) -> new int[] {kind, at, v}).list().ofMinSize(1).ofMaxSize(4);
    return Combinators.combine(base, edits).as((s, es) -> {
      List<Byte> out = new ArrayList<>();
      for (byte x : bytes(s)) {
        out.add(x);
      }
      for (int[] e : es) {
        int at = Math.floorMod(e[1], out.size() + 1);
        switch (e[0]) {
          case 0 -> out.add(at, (byte) e[2]);
          case 1 -> {
            if (at < out.size()) {
              out.set(at, (byte) e[2]);
            }
          }
          default -> {
            if (at < out.size()) {
              out.remove(at);
            }
          }
        }
      }
      byte[] a = new byte[out.size()];
      for (int i = 0; i < a.length; i++) {
        a[i] = out.get(i);
      }
      return a;
    });
  }

  private static byte[] array(ByteBuffer b) {
    byte[] out = new byte[b.remaining()];
    b.duplicate().get(out);
    return out;
  }

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = new byte[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  private static String printable(String s) {
    return RequestHead.printable(s);
  }
}
