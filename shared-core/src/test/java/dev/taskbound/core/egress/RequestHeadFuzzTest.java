package dev.taskbound.core.egress;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskbound.core.testing.Fuzz;
import dev.taskbound.core.testing.Fuzz.Edit;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.quicktheories.api.Pair;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;
import org.quicktheories.generators.SourceDSL;

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

  static List<String> corpus() {
    return CORPUS;
  }

  @ParameterizedTest
  @MethodSource("corpus")
  void pastFindingsAreRefused(String input) {
    Outcome o = outcome(bytes(input));

    assertThat(o.refusal).as(printable(input)).isNotNull();
  }

  @Test
  void anyBytesGiveAHeadThatKeepsItsPromisesOrTheDocumentedRefusal() {
    Fuzz.qt().forAll(heads()).checkAssert(input -> {
      Outcome o = outcome(input);

      if (o.head != null) {
        assertKeepsItsPromises(o.head);
      } else if (o.refusal != null) {
        assertThat(o.refusal.status()).isIn(400);
        assertThat(o.refusal.getMessage()).isNotBlank().doesNotContain("\r", "\n");
      }
    });
  }

  @Test
  void aHeadCutIntoReadsAnywhereIsReadAsWhenItArrivesWhole() {
    Fuzz.qt().forAll(heads(), cuts()).checkAssert((input, cuts) -> {
      Outcome whole = outcome(input);

      Outcome dribbled = dribble(input, cuts);

      assertThat(dribbled.describe()).isEqualTo(whole.describe());
      if (whole.head != null) { // what came after the head so far: a part of what came with it whole
        byte[] all = array(whole.head.rest());
        byte[] some = array(dribbled.head.rest());
        assertThat(some.length).isLessThanOrEqualTo(all.length);
        assertThat(java.util.Arrays.copyOf(all, some.length)).isEqualTo(some);
      }
    });
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

  private static Gen<byte[]> heads() {
    return Generate.oneOf(mutated(realistic()), realistic().map(RequestHeadFuzzTest::bytes), anyBytes())
        .describedAs(Fuzz::printable);
  }

  private static Gen<List<Integer>> cuts() {
    return SourceDSL.lists().of(SourceDSL.integers().between(0, 100_000)).ofSizeBetween(0, 12);
  }

  /** Any byte, or (by weight) one of a head's punctuation and control characters. */
  private static Gen<Byte> headByte(int anyWeight, int interestingWeight) {
    return Generate.frequency(Pair.of(anyWeight, Fuzz.anyByte()), Pair.of(interestingWeight, Fuzz.oneOfValues(INTERESTING)));
  }

  /** Bytes with a head's punctuation and every control character over-represented. */
  private static Gen<byte[]> anyBytes() {
    return Fuzz.byteArrays(headByte(6, 4), 0, 300).map(a -> {
      // most random inputs never end their head: half of them get an end
      return a.length % 2 == 0 ? concat(a, bytes("\r\n\r\n")) : a;
    });
  }

  private static final Byte[] INTERESTING = {
    0, 9, 10, 11, 12, 13, 27, 31, 32, 127, (byte) 0x80, (byte) 0xff, ':', ',', ';', '/', '"', '\\', '0', 'a'};

  private static Gen<String> realistic() {
    Gen<String> method = Fuzz.oneOfValues("GET", "PUT", "POST", "CONNECT", "HEAD", "G@T");
    Gen<String> target = Fuzz.oneOfValues("http://api.test/", "http://api.test:80/a?b=c", "api.test:443", "/", "*",
        "http://[::1]:8080/", "http://api.test/%00");
    Gen<String> version = Fuzz.oneOfValues("HTTP/1.1", "HTTP/1.0", "HTTP/2", "http/1.1");
    Gen<String> header = Fuzz.oneOfValues(
        "Host: api.test", "Transfer-Encoding: chunked", "Transfer-Encoding: Chunked ", "Transfer-Encoding: gzip, chunked",
        "Content-Length: 5", "Content-Length: 05", "Content-Length: -1", "Content-Length: 99999999999999999999",
        "Connection: close, Content-Length", "X-Empty:", "X-Tab:\ta\tb", "Expect: 100-continue", "X: \u00e9");
    Gen<List<String>> headers = SourceDSL.lists().of(header).ofSizeBetween(0, 5);
    return method.zip(target, version, headers, (m, t, v, hs) -> {
      StringBuilder sb = new StringBuilder(m).append(' ').append(t).append(' ').append(v).append("\r\n");
      hs.forEach(h -> sb.append(h).append("\r\n"));
      return sb.append("\r\n").append("0\r\n\r\n").toString();
    });
  }

  /** A realistic head with a few random edits: a byte inserted, replaced or deleted. */
  private static Gen<byte[]> mutated(Gen<String> base) {
    Gen<Edit> edit = Generate.enumValues(Edit.Kind.class)
        .zip(SourceDSL.integers().between(0, 1000), headByte(3, 7), Edit::new);
    return base.map(RequestHeadFuzzTest::bytes).zip(SourceDSL.lists().of(edit).ofSizeBetween(1, 4), Fuzz::edit);
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
