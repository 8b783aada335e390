package dev.taskbound.core.egress;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
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
import net.jqwik.api.Tag;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;

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
  @Example
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

  @Property
  void aValidHelloInAnyNumberOfRecordsUpToTheLimitReadsTheSame(@ForAll @IntRange(min = 1, max = ClientHello.MAX_RECORDS) int records,
      @ForAll boolean withSni) {
    byte[] hello = withSni ? WITH_SNI : WITHOUT_SNI;

    ClientHello.Result r = ClientHello.parse(ByteBuffer.wrap(reframe(hello, records)));

    assertThat(r).isEqualTo(new ClientHello.Hello(withSni ? Optional.of("api.example.com") : Optional.empty()));
  }

  @Property
  void everyPrefixOfAValidHelloAsksForMoreThanItHasAndNoMoreThanTheWhole(@ForAll @IntRange(min = 1, max = 8) int records,
      @ForAll int at) {
    byte[] whole = reframe(WITH_SNI, records);
    int length = Math.floorMod(at, whole.length);

    ClientHello.Result r = ClientHello.parse(ByteBuffer.wrap(whole, 0, length).slice());

    assertThat(r).isInstanceOfSatisfying(ClientHello.NeedMore.class,
        more -> assertThat(more.until()).isGreaterThan(length).isLessThanOrEqualTo(whole.length));
  }

  @Property
  void anyBytesGiveAResultThatKeepsItsPromises(@ForAll("hellos") byte[] input) {
    ClientHello.Result r = ClientHello.parse(ByteBuffer.wrap(input));

    if (r instanceof ClientHello.NeedMore more) {
      assertThat(more.until()).isGreaterThan(input.length);
    } else if (r instanceof ClientHello.Hello h) {
      h.serverName().ifPresent(n -> assertThat(n).matches("[\\x21-\\x7e]+"));
    } else {
      assertThat(((ClientHello.NotTls) r).why()).isNotBlank();
    }
  }

  // --- generators ------------------------------------------------------------------------------

  @Provide
  Arbitrary<byte[]> hellos() {
    Arbitrary<byte[]> framed = Combinators.combine(Arbitraries.of(WITH_SNI, WITHOUT_SNI), Arbitraries.integers().between(1, 70))
        .as(ClientHelloFuzzTest::reframe);
    Arbitrary<byte[]> random = Arbitraries.bytes().array(byte[].class).ofMaxSize(600)
        .map(a -> a.length > 5 ? withRecordHeader(a) : a);
    return Arbitraries.oneOf(mutated(framed), mutated(framed).map(a -> java.util.Arrays.copyOf(a, a.length / 2)), random);
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
  private static Arbitrary<byte[]> mutated(Arbitrary<byte[]> base) {
    Arbitrary<List<Tuple.Tuple3<Integer, Integer, Byte>>> edits = Combinators.combine(
        Arbitraries.integers().between(0, 3), Arbitraries.integers().between(0, 100_000),
        Arbitraries.frequencyOf(Tuple.of(5, Arbitraries.bytes()), Tuple.of(5, Arbitraries.of((byte) 0, (byte) 0xff, (byte) 1))))
        .as(Tuple::of).list().ofMinSize(1).ofMaxSize(4);
    return Combinators.combine(base, edits).as((hello, es) -> {
      List<Byte> out = new ArrayList<>();
      for (byte x : hello) {
        out.add(x);
      }
      for (var e : es) {
        int at = Math.floorMod(e.get2(), out.size());
        if (e.get1() == 0) {
          out.add(at, e.get3());
        } else {
          out.set(at, e.get3());
        }
      }
      byte[] a = new byte[out.size()];
      for (int i = 0; i < a.length; i++) {
        a[i] = out.get(i);
      }
      return a;
    });
  }
}
