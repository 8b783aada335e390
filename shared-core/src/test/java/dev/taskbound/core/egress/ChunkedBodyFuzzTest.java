package dev.taskbound.core.egress;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.Tag;
import net.jqwik.api.Tuple;

/**
 * Fuzzing the streaming check of chunked bodies (issue 18) against {@link ReferenceChunkedDecoder}:
 * valid bodies cut anywhere are accepted, and a body (valid, mutated or random) is accepted as whole
 * exactly when the reference decodes it; wherever it is cut, the outcome, the refusal's message
 * included, is the same.
 */
@Tag("fuzz")
class ChunkedBodyFuzzTest {
  /** Past findings, kept as regression inputs: each was forwarded before issue 18 and must be refused. */
  private static final List<String> CORPUS = List.of(
      "-1\r\nx\r\n0\r\n\r\n",
      "00000000000000000005\r\nhello\r\n0\r\n\r\n",
      "ZZ\r\nhello\r\n0\r\n\r\n",
      "5\r\nhello0\r\n\r\n",
      "5\r\nhello\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\n\r\n",
      "8000000000000000\r\n",
      "5;a=\"\r\n\"\r\nhello\r\n0\r\n\r\n");

  @Example
  void pastFindingsAreRefusedAsTheReferenceRefusesThem() {
    for (String input : CORPUS) {
      byte[] body = input.getBytes(StandardCharsets.ISO_8859_1);

      assertThat(outcome(body, List.of())).as(RequestHead.printable(input)).startsWith("refused");
      assertThat(ReferenceChunkedDecoder.decode(body)).isEmpty();
    }
  }

  @Property
  void validBodiesAreAcceptedWhereverTheyAreCut(@ForAll("validBodies") Tuple.Tuple2<byte[], byte[]> body,
      @ForAll("cuts") List<Integer> cuts) {
    byte[] encoded = body.get1();

    String outcome = outcome(encoded, cuts);

    assertThat(outcome).isEqualTo("complete");
    assertThat(ReferenceChunkedDecoder.decode(encoded)).hasValueSatisfying(d -> assertThat(d).isEqualTo(body.get2()));
  }

  @Property
  void everyProperPrefixOfAValidBodyIsIncompleteNeverRefused(@ForAll("validBodies") Tuple.Tuple2<byte[], byte[]> body,
      @ForAll int at) {
    byte[] encoded = body.get1();
    byte[] prefix = java.util.Arrays.copyOf(encoded, Math.floorMod(at, encoded.length));

    assertThat(outcome(prefix, List.of())).isEqualTo("incomplete");
  }

  @Property
  void aBodyIsAcceptedExactlyWhenTheReferenceDecodesItWhereverItIsCut(@ForAll("bodies") byte[] body,
      @ForAll("cuts") List<Integer> cuts) {
    String whole = outcome(body, List.of());
    Optional<byte[]> reference = ReferenceChunkedDecoder.decode(body);

    String cut = outcome(body, cuts);
    Statistics.label("outcome").collect(whole.startsWith("refused") ? "refused" : whole); // printed by bench/fuzz.sh

    assertThat(whole.equals("complete")).as("%s, reference %s", whole, reference.isPresent() ? "decodes" : "refuses")
        .isEqualTo(reference.isPresent());
    assertThat(cut).isEqualTo(whole);
  }

  /** "complete", "incomplete" or "refused: message", after feeding the body in pieces cut at {@code cuts}. */
  private static String outcome(byte[] body, List<Integer> cuts) {
    ChunkedBody checker = new ChunkedBody();
    List<Integer> ends = new ArrayList<>();
    cuts.stream().map(c -> Math.floorMod(c, body.length + 1)).sorted().forEach(ends::add);
    ends.add(body.length);
    int from = 0;
    try {
      for (int end : ends) {
        if (end > from) {
          checker.check(ByteBuffer.wrap(body, from, end - from));
          from = end;
        }
      }
    } catch (ProxyRequestException e) {
      assertThat(e.status()).isEqualTo(400);
      assertThat(e.event()).isEqualTo(GatewayEvents.SMUGGLING);
      assertThat(checker.failure()).isEqualTo(e.getMessage());
      return "refused: " + e.getMessage();
    }
    return checker.complete() ? "complete" : "incomplete";
  }

  // --- generators ------------------------------------------------------------------------------

  @Provide
  Arbitrary<List<Integer>> cuts() {
    return Arbitraries.integers().between(0, 1_000_000).list().ofMaxSize(16);
  }

  @Provide
  Arbitrary<byte[]> bodies() {
    return Arbitraries.oneOf(validBodies().map(Tuple.Tuple2::get1), mutated(validBodies().map(Tuple.Tuple2::get1)),
        randomFraming());
  }

  /** A valid chunked body (RFC 9112 7.1) with its decoded data. */
  @Provide
  Arbitrary<Tuple.Tuple2<byte[], byte[]>> validBodies() {
    Arbitrary<byte[]> data = Arbitraries.bytes().array(byte[].class).ofMinSize(1).ofMaxSize(40);
    Arbitrary<List<Tuple.Tuple3<byte[], String, String>>> chunks =
        Combinators.combine(data, sizeSpelling(), extensions()).as(Tuple::of).list().ofMaxSize(5);
    Arbitrary<List<String>> trailers = trailer().list().ofMaxSize(3);
    return Combinators.combine(chunks, Arbitraries.integers().between(1, 4), extensions(), trailers)
        .as((cs, zeros, lastExt, ts) -> {
          ByteArrayOutputStream encoded = new ByteArrayOutputStream();
          ByteArrayOutputStream decoded = new ByteArrayOutputStream();
          for (var c : cs) {
            String size = Integer.toHexString(c.get1().length);
            size = c.get2().replace("X", size).replace("U", size.toUpperCase(java.util.Locale.ROOT));
            encoded.writeBytes(ascii(size + c.get3() + "\r\n"));
            encoded.writeBytes(c.get1());
            encoded.writeBytes(ascii("\r\n"));
            decoded.writeBytes(c.get1());
          }
          encoded.writeBytes(ascii("0".repeat(zeros) + lastExt + "\r\n"));
          ts.forEach(t -> encoded.writeBytes(ascii(t + "\r\n")));
          encoded.writeBytes(ascii("\r\n"));
          return Tuple.of(encoded.toByteArray(), decoded.toByteArray());
        });
  }

  /** How a size is spelled: {@code X} lower-case hex, {@code U} upper-case, with leading zeros. */
  private static Arbitrary<String> sizeSpelling() {
    return Arbitraries.of("X", "U", "0X", "000U", "0000000000X");
  }

  private static Arbitrary<String> extensions() {
    Arbitrary<String> one = Arbitraries.of(";a", ";name=value", " ;a", ";\ta\t=\t\"q \\\" \u00e9\"", ";a=b ;c",
        ";x=\"\"", ";!#$%&'*+-.^_`|~=1");
    return one.list().ofMaxSize(3).map(l -> String.join("", l));
  }

  private static Arbitrary<String> trailer() {
    return Arbitraries.of("X-Checksum: abc", "X-Empty:", "X-Tab:\ta\tb ", "Server-Timing: total;dur=1", "X: \u00e9\u00ff");
  }

  /** Short strings over the framing's own alphabet: they reach deep into the grammar. */
  private static Arbitrary<byte[]> randomFraming() {
    Arbitrary<String> piece = Arbitraries.of("0", "5", "a", "F", "\r\n", "\r", "\n", ";", "=", "\"", "\\", " ", "\t",
        "x", ":", "hello", "\r\n\r\n", "\u0000", "\u000b", "\u00ff", "-", "X: y");
    return piece.list().ofMaxSize(30).map(l -> ascii(String.join("", l)));
  }

  /** A valid body with a few random edits: a byte inserted, replaced or deleted. */
  private static Arbitrary<byte[]> mutated(Arbitrary<byte[]> base) {
    Arbitrary<Byte> b = Arbitraries.frequencyOf(
        Tuple.of(3, Arbitraries.bytes()),
        Tuple.of(7, Arbitraries.of((byte) '\r', (byte) '\n', (byte) '0', (byte) '1', (byte) 'f', (byte) ';', (byte) '=',
            (byte) '"', (byte) ' ', (byte) '\t', (byte) ':', (byte) 0, (byte) 0x0b, (byte) 0x7f, (byte) 0xff)));
    Arbitrary<List<int[]>> edits = Combinators.combine(Arbitraries.integers().between(0, 2),
        Arbitraries.integers().between(0, 10_000), b).as((kind, at, v) -> new int[] {kind, at, v}).list().ofMinSize(1).ofMaxSize(3);
    return Combinators.combine(base, edits).as((body, es) -> {
      List<Byte> out = new ArrayList<>();
      for (byte x : body) {
        out.add(x);
      }
      for (int[] e : es) {
        int at = Math.floorMod(e[1], out.size() + 1);
        if (e[0] == 0) {
          out.add(at, (byte) e[2]);
        } else if (at < out.size() && e[0] == 1) {
          out.set(at, (byte) e[2]);
        } else if (at < out.size()) {
          out.remove(at);
        }
      }
      byte[] a = new byte[out.size()];
      for (int i = 0; i < a.length; i++) {
        a[i] = out.get(i);
      }
      return a;
    });
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }
}
