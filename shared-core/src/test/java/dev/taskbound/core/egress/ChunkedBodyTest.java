package dev.taskbound.core.egress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Issue 18 item 6: the streaming check of a chunked request body, on its own. */
@Tag("issue-18")
class ChunkedBodyTest {
  private static ByteBuffer bytes(String s) {
    return ByteBuffer.wrap(s.getBytes(StandardCharsets.ISO_8859_1));
  }

  /** Unescapes the table's {@code \r}, {@code \n}, {@code \t} and {@code \xNN}. */
  static String unescape(String s) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c != '\\' || i + 1 == s.length()) {
        out.append(c);
        continue;
      }
      char n = s.charAt(++i);
      switch (n) {
        case 'r' -> out.append('\r');
        case 'n' -> out.append('\n');
        case 't' -> out.append('\t');
        case 'x' -> {
          out.append((char) Integer.parseInt(s.substring(i + 1, i + 3), 16));
          i += 2;
        }
        default -> out.append('\\').append(n);
      }
    }
    return out.toString();
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {
    "0\\r\\n\\r\\n",
    "5\\r\\nhello\\r\\n0\\r\\n\\r\\n",
    "A\\r\\n0123456789\\r\\n1\\r\\n!\\r\\n000\\r\\n\\r\\n",
    "5;name\\r\\nhello\\r\\n0\\r\\n\\r\\n",
    "5 ; a = b ;c=\"q \\\" ;x\"\\r\\nhello\\r\\n0;last\\r\\n\\r\\n",
    "5\\t;\\ta\\t=\\tb\\r\\nhello\\r\\n0\\r\\n\\r\\n",
    "5\\r\\nhello\\r\\n0\\r\\nX-Checksum: abc\\r\\nX-Empty:\\r\\nX-Tab: a\\tb\\xe9\\r\\n\\r\\n",
    "0000000000000010\\r\\n0123456789abcdef\\r\\n0\\r\\n\\r\\n",
  })
  void acceptsValidBodiesWhereverTheyAreCut(String escaped) throws Exception {
    byte[] body = unescape(escaped).getBytes(StandardCharsets.ISO_8859_1);

    for (int cut = 0; cut <= body.length; cut++) {
      ChunkedBody checker = new ChunkedBody();
      checker.check(ByteBuffer.wrap(body, 0, cut));
      boolean completeEarly = checker.complete();
      checker.check(ByteBuffer.wrap(body, cut, body.length - cut));

      assertThat(completeEarly).as("complete after %d of %d bytes", cut, body.length).isEqualTo(cut == body.length);
      assertThat(checker.complete()).as("complete when cut at %d", cut).isTrue();
    }
  }

  @Test
  void acceptsABodyFedOneByteAtATime() throws Exception {
    byte[] body = unescape("3;x=\"1\"\\r\\nabc\\r\\n0\\r\\nA: b\\r\\n\\r\\n").getBytes(StandardCharsets.ISO_8859_1);
    ChunkedBody checker = new ChunkedBody();

    for (int i = 0; i < body.length; i++) {
      assertThat(checker.complete()).isFalse();
      checker.check(ByteBuffer.wrap(body, i, 1));
    }

    assertThat(checker.complete()).isTrue();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', quoteCharacter = '~', value = {
    "-1\\r\\nx\\r\\n0\\r\\n\\r\\n | malformed chunked body at byte 0: '-' where a chunk size begins; accepted: hex digits (no sign, prefix or space)",
    "+5\\r\\nhello\\r\\n0\\r\\n\\r\\n | malformed chunked body at byte 0: '+' where a chunk size begins; accepted: hex digits (no sign, prefix or space)",
    "ZZ\\r\\nhello\\r\\n0\\r\\n\\r\\n | malformed chunked body at byte 0: 'Z' where a chunk size begins; accepted: hex digits (no sign, prefix or space)",
    "5Z\\r\\nhello\\r\\n0\\r\\n\\r\\n | malformed chunked body at byte 1: 'Z' after a chunk size or extension; accepted: ';' and an extension, or CRLF",
    "0x5\\r\\nhello\\r\\n0\\r\\n\\r\\n | malformed chunked body at byte 1: 'x' after a chunk size or extension; accepted: ';' and an extension, or CRLF",
    "~ 5\\r\\nhello\\r\\n0\\r\\n\\r\\n~ | malformed chunked body at byte 0: byte 0x20 where a chunk size begins; accepted: hex digits (no sign, prefix or space)",
    "5 \\r\\nhello\\r\\n0\\r\\n\\r\\n | malformed chunked body at byte 2: byte 0x0d after spaces in a chunk-size line; accepted: ';' and an extension",
    "00000000000000000005\\r\\nhello\\r\\n0\\r\\n\\r\\n | malformed chunked body at byte 16: a chunk size of more than 16 hex digits",
    "FFFFFFFFFFFFFFFFFFFF\\r\\n | malformed chunked body at byte 15: a chunk size larger than 9223372036854775807 bytes",
    "\\r\\nhello\\r\\n0\\r\\n\\r\\n | malformed chunked body at byte 0: byte 0x0d where a chunk size begins; accepted: hex digits (no sign, prefix or space)",
    "5\\nhello\\r\\n0\\r\\n\\r\\n | malformed chunked body at byte 1: byte 0x0a after a chunk size or extension; accepted: ';' and an extension, or CRLF",
    "5\\rhello\\r\\n0\\r\\n\\r\\n | malformed chunked body at byte 2: 'h' after CR in a chunk-size line; accepted: CRLF",
    "5\\r\\nhello0\\r\\n\\r\\n | malformed chunked body at byte 8: '0' after 5 bytes of chunk data; accepted: CRLF (the chunk size says how long the data is)",
    "5\\r\\nhelloXX\\r\\n0\\r\\n\\r\\n | malformed chunked body at byte 8: 'X' after 5 bytes of chunk data; accepted: CRLF (the chunk size says how long the data is)",
    "5\\r\\nhello\\n0\\r\\n\\r\\n | malformed chunked body at byte 8: byte 0x0a after 5 bytes of chunk data; accepted: CRLF (the chunk size says how long the data is)",
    "5\\r\\nhello\\r0\\r\\n\\r\\n | malformed chunked body at byte 9: '0' after CR at the end of chunk data; accepted: CRLF",
    "5;\\r\\nhello\\r\\n0\\r\\n\\r\\n | malformed chunked body at byte 2: byte 0x0d where a chunk extension name begins; accepted: a token",
    "5;a=\\r\\nhello\\r\\n0\\r\\n\\r\\n | malformed chunked body at byte 4: byte 0x0d where a chunk extension value begins; accepted: a token or a quoted string",
    "5;a=\"x\\x00\"\\r\\nhello\\r\\n0\\r\\n\\r\\n | malformed chunked body at byte 6: byte 0x00 in a quoted chunk extension value",
    "5;a=\"x\\r\\nhello\\r\\n0\\r\\n\\r\\n | malformed chunked body at byte 6: byte 0x0d in a quoted chunk extension value",
    "5;a b\\r\\nhello\\r\\n0\\r\\n\\r\\n | malformed chunked body at byte 4: 'b' after a chunk extension name; accepted: '=' or ';'",
    "5;a\\x0b\\r\\nhello\\r\\n0\\r\\n\\r\\n | malformed chunked body at byte 3: byte 0x0b in a chunk extension name; accepted: token characters",
    "5\\r\\nhello\\r\\n0\\r\\n\\r\\nGET / HTTP/1.1\\r\\n\\r\\n | malformed chunked body at byte 15: bytes after the end of the chunked body; the gateway relays one request per connection",
    "0\\r\\n\\r\\n\\r\\n | malformed chunked body at byte 5: bytes after the end of the chunked body; the gateway relays one request per connection",
    "0\\r\\nContent-Length: 5\\r\\n\\r\\n | malformed chunked body at byte 17: the trailer field 'Content-Length' frames, routes or describes the message; it is not accepted in trailers",
    "0\\r\\ntransfer-encoding: chunked\\r\\n\\r\\n | malformed chunked body at byte 20: the trailer field 'transfer-encoding' frames, routes or describes the message; it is not accepted in trailers",
    "0\\r\\nX: a\\r\\n folded\\r\\n\\r\\n | malformed chunked body at byte 9: byte 0x20 where a trailer field or the final CRLF begins; accepted: 'Name: value' lines (no folding), then CRLF",
    "0\\r\\nX: a\\x00b\\r\\n\\r\\n | malformed chunked body at byte 7: byte 0x00 in a trailer field value",
    "0\\r\\nX a: b\\r\\n\\r\\n | malformed chunked body at byte 4: byte 0x20 in a trailer field name; accepted: a token, then ':'",
    "0\\r\\nX: a\\n\\r\\n | malformed chunked body at byte 7: byte 0x0a in a trailer field value",
    "0\\r\\n\\rX | malformed chunked body at byte 4: 'X' after the final CR; accepted: CRLF",
  })
  void refusesMalformedFramingNamingTheByte(String escaped, String message) {
    ByteBuffer body = bytes(unescape(escaped));

    assertThatThrownBy(() -> new ChunkedBody().check(body))
        .isInstanceOfSatisfying(ProxyRequestException.class, e -> {
          assertThat(e.status()).isEqualTo(400);
          assertThat(e.event()).isEqualTo(GatewayEvents.SMUGGLING);
        })
        .hasMessage(message);
  }

  @Test
  void refusesAChunkSizeLineLongerThanItsLimit() {
    String extensions = ";a".repeat(ChunkedBody.MAX_LINE_BYTES / 2);

    assertThatThrownBy(() -> new ChunkedBody().check(bytes("5" + extensions + "\r\n")))
        .hasMessage("malformed chunked body at byte 4096: the chunk-size line is longer than 4096 bytes;"
            + " accepted: short extensions or none");
  }

  @Test
  void refusesTrailersLongerThanTheirLimit() {
    String trailers = "X: 0123456789abcdef\r\n".repeat(1000);

    assertThatThrownBy(() -> new ChunkedBody().check(bytes("0\r\n" + trailers + "\r\n")))
        .hasMessage("malformed chunked body at byte 16387: the trailers are longer than 16384 bytes");
  }

  @Test
  void keepsRefusingOnceItHasRefused() {
    ChunkedBody checker = new ChunkedBody();
    assertThatThrownBy(() -> checker.check(bytes("ZZ"))).isInstanceOf(ProxyRequestException.class);

    assertThatThrownBy(() -> checker.check(bytes("0\r\n\r\n"))).hasMessageStartingWith("malformed chunked body at byte 0:");
    assertThat(checker.failure()).startsWith("malformed chunked body at byte 0:");
    assertThat(checker.complete()).isFalse();
  }

  @Test
  void refusesABodyThatEndsBeforeItsLastChunkAsARelayGuard() throws Exception {
    ChunkedBody checker = new ChunkedBody();
    assertThat(checker.admit(bytes("5\r\nhello\r\n"))).isTrue();

    assertThatThrownBy(checker::ended).isInstanceOf(IOException.class)
        .hasMessage("the client ended the chunked body at byte 10, before its last chunk and final CRLF");
    assertThat(checker.failure()).isEqualTo("the client ended the chunked body at byte 10, before its last chunk and final CRLF");
  }

  @Test
  void tellsTheRelayToStopReadingOnceTheBodyIsWhole() throws Exception {
    ChunkedBody checker = new ChunkedBody();

    boolean more = checker.admit(bytes("5\r\nhello\r\n0\r\n\r\n"));

    assertThat(more).isFalse();
    assertThat(checker.failure()).isNull();
  }
}
