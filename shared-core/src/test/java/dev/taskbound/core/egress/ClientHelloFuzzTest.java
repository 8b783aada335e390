package dev.taskbound.core.egress;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskbound.core.testing.Fuzz;
import dev.taskbound.core.testing.Fuzz.Edit;
import java.nio.ByteBuffer;
import java.util.Optional;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.quicktheories.api.Pair;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;
import org.quicktheories.generators.SourceDSL;

/**
 * Fuzzing the ClientHello reader (issue 18) with real JDK hellos, re-framed, cut short and
 * mutated, and with random bytes: every input gives a result (never an exception); a name it
 * reports is printable ASCII; a request for more asks for more than is there; a valid hello in 1 to
 * {@link ClientHello#MAX_RECORDS} records always reads the same.
 */
@Tag("fuzz")
class ClientHelloFuzzTest {
  private static final byte[] WITH_SNI = hello(Optional.of("api.example.com"));
  private static final byte[] WITHOUT_SNI = hello(Optional.empty());

  private static byte[] hello(Optional<String> sni) {
    try {
      ByteBuffer b = ClientHelloTest.clientHello(sni);
      byte[] out = new byte[b.remaining()];
      b.get(out);
      return out;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** Past findings and edge cases kept as regression inputs, with what each must give. */
  @Test
  void edgeCasesGiveTheirDocumentedResults() {
    assertThat(ClientHello.parse(ByteBuffer.wrap(new byte[0]))).isEqualTo(new ClientHello.NeedMore(5));
    assertThat(ClientHello.parse(ByteBuffer.wrap(new byte[] {22, 3, 1, 0, 0}))).isInstanceOf(ClientHello.NotTls.class);
    assertThat(ClientHello.parse(ByteBuffer.wrap(new byte[] {22, 3, 1, (byte) 0xff, (byte) 0xff})))
        .isEqualTo(new ClientHello.NotTls("invalid TLS record length 65535"));
    // a handshake message that claims 16 MiB
    assertThat(ClientHello.parse(ByteBuffer.wrap(new byte[] {22, 3, 1, 0, 4, 1, (byte) 0xff, (byte) 0xff, (byte) 0xff})))
        .isInstanceOf(ClientHello.NeedMore.class);
    assertThat(ClientHello.parse(ByteBuffer.wrap("GET / HTTP/1.1\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII))))
        .isEqualTo(new ClientHello.NotTls("not a TLS handshake record"));
  }

  /** Every case (1 to {@link ClientHello#MAX_RECORDS} records, with and without a name): few enough to try all. */
  @Test
  void aValidHelloInAnyNumberOfRecordsUpToTheLimitReadsTheSame() {
    for (int records = 1; records <= ClientHello.MAX_RECORDS; records++) {
      for (boolean withSni : new boolean[] {true, false}) {
        byte[] hello = withSni ? WITH_SNI : WITHOUT_SNI;

        ClientHello.Result r = ClientHello.parse(ByteBuffer.wrap(reframe(hello, records)));

        assertThat(r).as("%d records, %s", records, withSni ? "with SNI" : "without SNI")
            .isEqualTo(new ClientHello.Hello(withSni ? Optional.of("api.example.com") : Optional.empty()));
      }
    }
  }

  @Test
  void everyPrefixOfAValidHelloAsksForMoreThanItHasAndNoMoreThanTheWhole() {
    Fuzz.qt().forAll(SourceDSL.integers().between(1, 8), SourceDSL.integers().all()).checkAssert((records, at) -> {
      byte[] whole = reframe(WITH_SNI, records);
      int length = Math.floorMod(at, whole.length);

      ClientHello.Result r = ClientHello.parse(ByteBuffer.wrap(whole, 0, length).slice());

      assertThat(r).isInstanceOfSatisfying(ClientHello.NeedMore.class,
          more -> assertThat(more.until()).isGreaterThan(length).isLessThanOrEqualTo(whole.length));
    });
  }

  @Test
  void anyBytesGiveAResultThatKeepsItsPromises() {
    Fuzz.qt().forAll(hellos()).checkAssert(input -> {
      ClientHello.Result r = ClientHello.parse(ByteBuffer.wrap(input));

      if (r instanceof ClientHello.NeedMore more) {
        assertThat(more.until()).isGreaterThan(input.length);
      } else if (r instanceof ClientHello.Hello h) {
        h.serverName().ifPresent(n -> assertThat(n).matches("[\\x21-\\x7e]+"));
      } else {
        assertThat(((ClientHello.NotTls) r).why()).isNotBlank();
      }
    });
  }

  // --- generators ------------------------------------------------------------------------------

  private static Gen<byte[]> hellos() {
    Gen<byte[]> framed = Fuzz.oneOfValues(WITH_SNI, WITHOUT_SNI)
        .zip(SourceDSL.integers().between(1, 70), ClientHelloFuzzTest::reframe);
    Gen<byte[]> random = Fuzz.byteArrays(Fuzz.anyByte(), 0, 600).map(a -> a.length > 5 ? withRecordHeader(a) : a);
    return Generate.oneOf(mutated(framed), mutated(framed).map(a -> java.util.Arrays.copyOf(a, a.length / 2)), random)
        .describedAs(Fuzz::printable);
  }

  /** The same handshake bytes as {@code records} TLS records of near-equal size. */
  static byte[] reframe(byte[] single, int records) {
    int length = single.length - 5;
    ByteBuffer out = ByteBuffer.allocate(single.length + 5 * records);
    for (int i = 0, from = 0; i < records; i++) {
      int to = (int) ((long) length * (i + 1) / records);
      out.put(single, 0, 3).putShort((short) (to - from)).put(single, 5 + from, to - from);
      from = to;
    }
    return java.util.Arrays.copyOf(out.array(), out.position());
  }

  /** Random bytes behind a plausible record header, so that they get past the first check. */
  private static byte[] withRecordHeader(byte[] a) {
    a[0] = 22;
    a[1] = 3;
    a[3] = (byte) ((a.length - 5) >> 8);
    a[4] = (byte) (a.length - 5);
    if (a.length > 5) {
      a[5] = 1; // a ClientHello
    }
    return a;
  }

  /** A few random edits: a byte replaced (lengths and types most often, where parsers go wrong) or inserted. */
  private static Gen<byte[]> mutated(Gen<byte[]> base) {
    Gen<Edit.Kind> kind = Generate.frequency(Pair.of(1, Generate.constant(Edit.Kind.INSERT)),
        Pair.of(3, Generate.constant(Edit.Kind.REPLACE)));
    Gen<Byte> value = Generate.frequency(Pair.of(5, Fuzz.anyByte()), Pair.of(5, Fuzz.oneOfValues((byte) 0, (byte) 0xff, (byte) 1)));
    Gen<Edit> edit = kind.zip(SourceDSL.integers().between(0, 100_000), value, Edit::new);
    return base.zip(SourceDSL.lists().of(edit).ofSizeBetween(1, 4), Fuzz::edit);
  }
}
