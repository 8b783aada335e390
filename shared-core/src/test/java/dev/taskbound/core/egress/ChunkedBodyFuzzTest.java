package dev.taskbound.core.egress;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskbound.core.testing.Fuzz;
import dev.taskbound.core.testing.Fuzz.Edit;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.quicktheories.api.Pair;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;
import org.quicktheories.generators.SourceDSL;

/**
 * Fuzzing the streaming check of chunked bodies (issue 18) against {@link ReferenceChunkedDecoder}:
 * valid bodies cut anywhere are accepted, and a body (valid, mutated or random) is accepted as whole
 * exactly when the reference decodes it; wherever it is cut, the outcome, the refusal's message
 * included, is the same. Properties run under QuickTheories ({@link Fuzz#qt()}); past findings are
 * regression cases run every time.
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

  static List<String> corpus() {
    return CORPUS;
  }

  @ParameterizedTest
  @MethodSource("corpus")
  void pastFindingsAreRefusedAsTheReferenceRefusesThem(String input) {
    byte[] body = input.getBytes(StandardCharsets.ISO_8859_1);

    assertThat(outcome(body, List.of())).as(RequestHead.printable(input)).startsWith("refused");
    assertThat(ReferenceChunkedDecoder.decode(body)).isEmpty();
  }

  @Test
  void validBodiesAreAcceptedWhereverTheyAreCut() {
    Fuzz.qt().forAll(validBodies(), cuts()).checkAssert((body, cuts) -> {
      String outcome = outcome(body.encoded(), cuts);

      assertThat(outcome).isEqualTo("complete");
      assertThat(ReferenceChunkedDecoder.decode(body.encoded()))
          .hasValueSatisfying(d -> assertThat(d).isEqualTo(body.decoded()));
    });
  }

  @Test
  void everyProperPrefixOfAValidBodyIsIncompleteNeverRefused() {
    Fuzz.qt().forAll(validBodies(), SourceDSL.integers().all()).checkAssert((body, at) -> {
      byte[] encoded = body.encoded();
      byte[] prefix = java.util.Arrays.copyOf(encoded, Math.floorMod(at, encoded.length));

      assertThat(outcome(prefix, List.of())).isEqualTo("incomplete");
    });
  }

  @Test
  void aBodyIsAcceptedExactlyWhenTheReferenceDecodesItWhereverItIsCut() {
    Map<String, Integer> outcomes = new TreeMap<>();
    Fuzz.qt().forAll(bodies(), cuts()).checkAssert((body, cuts) -> {
      String whole = outcome(body, List.of());
      Optional<byte[]> reference = ReferenceChunkedDecoder.decode(body);

      String cut = outcome(body, cuts);
      outcomes.merge(whole.startsWith("refused") ? "refused" : whole, 1, Integer::sum);

      assertThat(whole.equals("complete")).as("%s, reference %s", whole, reference.isPresent() ? "decodes" : "refuses")
          .isEqualTo(reference.isPresent());
      assertThat(cut).isEqualTo(whole);
    });
    Fuzz.report("outcomes " + outcomes);
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

  private static Gen<List<Integer>> cuts() {
    return SourceDSL.lists().of(SourceDSL.integers().between(0, 1_000_000)).ofSizeBetween(0, 16);
  }

  private static Gen<byte[]> bodies() {
    Gen<byte[]> valid = validBodies().map(ValidBody::encoded);
    return Generate.oneOf(valid, mutated(valid), randomFraming()).describedAs(Fuzz::printable);
  }

  /** A valid chunked body (RFC 9112 7.1) and its decoded data. */
  private record ValidBody(byte[] encoded, byte[] decoded) {
    @Override
    public String toString() {
      return Fuzz.printable(encoded);
    }
  }

  /** One chunk: its data, how its size is spelled, its extensions. */
  private record Chunk(byte[] data, String spelling, String extensions) {}

  private static Gen<ValidBody> validBodies() {
    Gen<byte[]> data = Fuzz.byteArrays(Fuzz.anyByte(), 1, 40);
    Gen<List<Chunk>> chunks = SourceDSL.lists().of(data.zip(sizeSpelling(), extensions(), Chunk::new)).ofSizeBetween(0, 5);
    Gen<List<String>> trailers = SourceDSL.lists().of(trailer()).ofSizeBetween(0, 3);
    return chunks.zip(SourceDSL.integers().between(1, 4), extensions(), trailers, (cs, zeros, lastExt, ts) -> {
      ByteArrayOutputStream encoded = new ByteArrayOutputStream();
      ByteArrayOutputStream decoded = new ByteArrayOutputStream();
      for (Chunk c : cs) {
        String size = Integer.toHexString(c.data().length);
        size = c.spelling().replace("X", size).replace("U", size.toUpperCase(Locale.ROOT));
        encoded.writeBytes(ascii(size + c.extensions() + "\r\n"));
        encoded.writeBytes(c.data());
        encoded.writeBytes(ascii("\r\n"));
        decoded.writeBytes(c.data());
      }
      encoded.writeBytes(ascii("0".repeat(zeros) + lastExt + "\r\n"));
      ts.forEach(t -> encoded.writeBytes(ascii(t + "\r\n")));
      encoded.writeBytes(ascii("\r\n"));
      return new ValidBody(encoded.toByteArray(), decoded.toByteArray());
    });
  }

  /** How a size is spelled: {@code X} lower-case hex, {@code U} upper-case, with leading zeros. */
  private static Gen<String> sizeSpelling() {
    return Fuzz.oneOfValues("X", "U", "0X", "000U", "0000000000X");
  }

  private static Gen<String> extensions() {
    Gen<String> one = Fuzz.oneOfValues(";a", ";name=value", " ;a", ";\ta\t=\t\"q \\\" \u00e9\"", ";a=b ;c",
        ";x=\"\"", ";!#$%&'*+-.^_`|~=1");
    return SourceDSL.lists().of(one).ofSizeBetween(0, 3).map(l -> String.join("", l));
  }

  private static Gen<String> trailer() {
    return Fuzz.oneOfValues("X-Checksum: abc", "X-Empty:", "X-Tab:\ta\tb ", "Server-Timing: total;dur=1", "X: \u00e9\u00ff");
  }

  /** Short strings over the framing's own alphabet: they reach deep into the grammar. */
  private static Gen<byte[]> randomFraming() {
    Gen<String> piece = Fuzz.oneOfValues("0", "5", "a", "F", "\r\n", "\r", "\n", ";", "=", "\"", "\\", " ", "\t",
        "x", ":", "hello", "\r\n\r\n", "\u0000", "\u000b", "\u00ff", "-", "X: y");
    return SourceDSL.lists().of(piece).ofSizeBetween(0, 30).map(l -> ascii(String.join("", l)));
  }

  /** A valid body with a few random edits: a byte inserted, replaced or deleted. */
  private static Gen<byte[]> mutated(Gen<byte[]> base) {
    Gen<Byte> b = Generate.frequency(
        Pair.of(3, Fuzz.anyByte()),
        Pair.of(7, Fuzz.oneOfValues((byte) '\r', (byte) '\n', (byte) '0', (byte) '1', (byte) 'f', (byte) ';', (byte) '=',
            (byte) '"', (byte) ' ', (byte) '\t', (byte) ':', (byte) 0, (byte) 0x0b, (byte) 0x7f, (byte) 0xff)));
    Gen<Edit> edit = Generate.enumValues(Edit.Kind.class).zip(SourceDSL.integers().between(0, 10_000), b, Edit::new);
    return base.zip(SourceDSL.lists().of(edit).ofSizeBetween(1, 3), Fuzz::edit);
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }
}
