package dev.taskbound.core.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class SpiffeIdTest {
  private static final String TD_ACCEPTED = "accepted: 1 to 255 characters of lowercase a-z 0-9 . _ -";

  @ParameterizedTest
  @ValueSource(strings = {"spiffe://example.org", "spiffe://ci.example.org/task/JIRA-1/abc", "spiffe://a_b-c.d/x.y/z_-"})
  void roundTripsValidIds(String text) {
    SpiffeId id = SpiffeId.parse(text);

    assertThat(id.toString()).isEqualTo(text);
    assertThat(SpiffeId.parse(id.toString())).isEqualTo(id);
  }

  @Test
  void splitsTrustDomainAndPath() {
    SpiffeId id = SpiffeId.parse("spiffe://ci.example.org/task/t1/s1");

    assertThat(id.trustDomain()).isEqualTo("ci.example.org");
    assertThat(id.path()).isEqualTo("/task/t1/s1");
  }

  @Test
  void buildsTheTaskSessionId() {
    SessionId session = SessionId.parse("01jq0000000000000000");

    SpiffeId id = SpiffeId.forTask("ci.example.org", TaskId.parse("JIRA-42"), session);

    assertThat(id).hasToString("spiffe://ci.example.org/task/JIRA-42/01jq0000000000000000");
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '"',
      value = {
        "\"\"                              | SPIFFE ID is empty; expected spiffe://<trust-domain>/<path>",
        "https://example.org/x             | SPIFFE ID 'https://example.org/x' does not start with 'spiffe://'",
        "SPIFFE://example.org/x            | SPIFFE ID 'SPIFFE://example.org/x' does not start with 'spiffe://'",
        "spiffe://                         | SPIFFE ID 'spiffe://': trust domain is empty; " + TD_ACCEPTED,
        "spiffe:///path                    | SPIFFE ID 'spiffe:///path': trust domain is empty; " + TD_ACCEPTED,
        "spiffe://Example.org/x            | SPIFFE ID 'spiffe://Example.org/x': trust domain 'Example.org' has character 'E' at position 1; " + TD_ACCEPTED,
        "spiffe://example.org:8443/x       | SPIFFE ID 'spiffe://example.org:8443/x': trust domain 'example.org:8443' has character ':' at position 12 (a port is not accepted); " + TD_ACCEPTED,
        "spiffe://user@example.org/x       | SPIFFE ID 'spiffe://user@example.org/x': trust domain 'user@example.org' has character '@' at position 5 (user info is not accepted); " + TD_ACCEPTED,
        "spiffe://example.org/             | SPIFFE ID 'spiffe://example.org/' ends with '/'; not accepted",
        "spiffe://example.org/a/           | SPIFFE ID 'spiffe://example.org/a/' ends with '/'; not accepted",
        "spiffe://example.org//a           | SPIFFE ID 'spiffe://example.org//a': path segment 1 is empty ('//'); not accepted",
        "spiffe://example.org/a/./b        | SPIFFE ID 'spiffe://example.org/a/./b': path segment 2 is '.'; relative segments are not accepted",
        "spiffe://example.org/a/../b       | SPIFFE ID 'spiffe://example.org/a/../b': path segment 2 is '..'; relative segments are not accepted",
        "spiffe://example.org/a%20b        | SPIFFE ID 'spiffe://example.org/a%20b': path segment 1 'a%20b' has character '%'; accepted: A-Z a-z 0-9 . _ -",
        "spiffe://example.org/a?x=1        | SPIFFE ID 'spiffe://example.org/a?x=1' has a query or fragment ('?'); not accepted",
        "spiffe://example.org/a#frag       | SPIFFE ID 'spiffe://example.org/a#frag' has a query or fragment ('#'); not accepted",
      })
  void rejectsBadSpiffeIdsNamingTheRule(String text, String message) {
    assertThatThrownBy(() -> SpiffeId.parse(text)).isExactlyInstanceOf(IdentityInputException.class).hasMessage(message);
  }

  @Test
  void acceptsExactly2048BytesAndRejectsOneMore() {
    String prefix = "spiffe://example.org/";
    String ok = prefix + "a".repeat(2048 - prefix.length());
    String tooLong = ok + "a";

    SpiffeId id = SpiffeId.parse(ok);

    assertThat(id.toString()).hasSize(2048);
    assertThatThrownBy(() -> SpiffeId.parse(tooLong))
        .isExactlyInstanceOf(IdentityInputException.class)
        .hasMessage("SPIFFE ID '" + ("spiffe://example.org/" + "a".repeat(19)) + "...' is 2049 bytes long; at most 2048 accepted");
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '"',
      value = {
        "\"\"                    | trust domain is empty; " + TD_ACCEPTED,
        "Example.org             | trust domain 'Example.org' has character 'E' at position 1; " + TD_ACCEPTED,
        "example.org:443         | trust domain 'example.org:443' has character ':' at position 12 (a port is not accepted); " + TD_ACCEPTED,
        "spiffe://example.org    | trust domain 'spiffe://example.org' includes the scheme; give the name alone, such as example.org",
        "example.org/x           | trust domain 'example.org/x' has character '/' at position 12; " + TD_ACCEPTED,
        "\"exa mple.org\"        | trust domain 'exa mple.org' has character U+0020 at position 4; " + TD_ACCEPTED,
      })
  void rejectsBadTrustDomains(String text, String message) {
    assertThatThrownBy(() -> SpiffeId.requireTrustDomain(text)).isExactlyInstanceOf(IdentityInputException.class).hasMessage(message);
  }

  @Test
  void rejectsTrustDomainLongerThan255Characters() {
    String text = "a".repeat(256);

    assertThatThrownBy(() -> SpiffeId.requireTrustDomain(text))
        .isExactlyInstanceOf(IdentityInputException.class)
        .hasMessage("trust domain '" + "a".repeat(40) + "...' is 256 characters long; " + TD_ACCEPTED);
  }
}
