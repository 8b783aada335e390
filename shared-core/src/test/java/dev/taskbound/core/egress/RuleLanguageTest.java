package dev.taskbound.core.egress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The rule language of issue 3: canonical spellings, CIDR blocks, and the refusals with their messages. */
class RuleLanguageTest {
  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "127.0.0.1|127.0.0.1",
        "2130706433|127.0.0.1",
        "0x7f000001|127.0.0.1",
        "0x7f.1|127.0.0.1",
        "0177.0.0.1|127.0.0.1",
        "0177.0.0.01|127.0.0.1",
        "127.1|127.0.0.1",
        "127.0.1|127.0.0.1",
        "127.0.0.1.|127.0.0.1",
        "0|0.0.0.0",
        "0xA9.0xFE.0xA9.0xFE|169.254.169.254",
        "[::ffff:127.0.0.1]|127.0.0.1",
        "[::ffff:7f00:1]|127.0.0.1",
        "[0:0:0:0:0:0:0:1]|::1",
        "[::1]|::1",
        "[FD00:EC2:0:0:0:0:0:254]|fd00:ec2::254",
        "[2001:db8:0:0:1:0:0:1]|2001:db8::1:0:0:1",
        "Example.COM.|example.com",
        "bücher.example|xn--bcher-kva.example",
      })
  void canonicalisesEverySpellingOfAHost(String requested, String canonical) {
    String got = RuleSet.canonicalHost(requested);

    assertThat(got).isEqualTo(canonical);
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "0x7f.1:8080|127.0.0.1:8080",
        "[::ffff:10.0.0.1]|10.0.0.1:443",
        "10.0.0.0/8:443|10.0.0.0/8:443",
        "10.0.0.0/8|10.0.0.0/8:443",
        "[fd00::/8]:443|[fd00::/8]:443",
        "[FD00:0::/16]:8443|[fd00::/16]:8443",
        "**.GitHub.com.|**.github.com:443",
      })
  void rulesRoundTripInCanonicalForm(String text, String canonical) {
    EgressRule rule = EgressRule.parse(text);

    assertThat(rule.toString()).isEqualTo(canonical);
    assertThat(EgressRule.parse(rule.toString())).isEqualTo(rule);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "*|rule '*': host pattern '*' matches every host; name the hosts, such as *.example.com or **.example.com",
        "**:443|rule '**:443': host pattern '**' matches every host; name the hosts, such as *.example.com or"
            + " **.example.com",
        "*.com|rule '*.com': host pattern '*.com' matches a whole top-level domain; name at least a registrable domain"
            + " such as *.example.com",
        "**.com|rule '**.com': host pattern '**.com' matches a whole top-level domain; name at least a registrable"
            + " domain such as *.example.com",
        "*.co.uk|rule '*.co.uk': host pattern '*.co.uk' matches every domain under the public suffix co.uk, where"
            + " anyone can register one; name at least a registrable domain such as *.example.co.uk",
        "**.Com.AU.:8443|rule '**.Com.AU.:8443': host pattern '**.Com.AU.' matches every domain under the public"
            + " suffix com.au, where anyone can register one; name at least a registrable domain such as"
            + " *.example.com.au",
        "*.pvt.k12.ma.us|rule '*.pvt.k12.ma.us': host pattern '*.pvt.k12.ma.us' matches every domain under the"
            + " public suffix pvt.k12.ma.us, where anyone can register one; name at least a registrable domain such"
            + " as *.example.pvt.k12.ma.us",
        "*.anything.ck|rule '*.anything.ck': host pattern '*.anything.ck' matches every domain under the public"
            + " suffix anything.ck, where anyone can register one; name at least a registrable domain such as"
            + " *.example.anything.ck",
        "*.xn--4pvxs.jp|rule '*.xn--4pvxs.jp': host pattern '*.xn--4pvxs.jp' matches every domain under the public"
            + " suffix xn--4pvxs.jp, where anyone can register one; name at least a registrable domain such as"
            + " *.example.xn--4pvxs.jp",
        "*.sch.uk|rule '*.sch.uk': host pattern '*.sch.uk' matches domains under the public suffixes *.sch.uk,"
            + " where anyone can register one; name at least a registrable domain such as"
            + " *.example.example.sch.uk",
        "**.kawasaki.jp|rule '**.kawasaki.jp': host pattern '**.kawasaki.jp' matches domains under the public"
            + " suffixes *.kawasaki.jp, where anyone can register one; name at least a registrable domain such as"
            + " *.example.example.kawasaki.jp",
        "api.*.com|rule 'api.*.com': host pattern 'api.*.com': a wildcard may only be the whole leftmost label;"
            + " accepted: host.example.com, *.example.com (subdomains only), **.example.com (apex and subdomains),"
            + " an IPv4 address, a bracketed IPv6 address, or a CIDR block such as 10.0.0.0/8",
        "*.10.0.0.1|rule '*.10.0.0.1': host pattern '*.10.0.0.1': a wildcard applies to names, not addresses; write"
            + " an IP address or a CIDR block such as 10.0.0.0/8 without '*'",
        "[fe80::1%eth0]:443|rule '[fe80::1%eth0]:443': address '[fe80::1%eth0]' has a zone id; zone ids are not"
            + " accepted",
        "1.2.3.256|rule '1.2.3.256': '1.2.3.256' is not a valid IPv4 address (last part '256' is out of range); a"
            + " host whose last label is a number must be an IPv4 address such as 127.0.0.1",
        "1.2.3.4.5|rule '1.2.3.4.5': '1.2.3.4.5' is not a valid IPv4 address (more than four parts); a host whose"
            + " last label is a number must be an IPv4 address such as 127.0.0.1",
        "example.123|rule 'example.123': 'example.123' is not a valid IPv4 address (part 'example' is not a"
            + " number); a host whose last label is a number must be an IPv4 address such as 127.0.0.1",
        "0x100.0.0.1|rule '0x100.0.0.1': '0x100.0.0.1' is not a valid IPv4 address (part '0x100' is above 255); a"
            + " host whose last label is a number must be an IPv4 address such as 127.0.0.1",
        "10.0.0.1/8|rule '10.0.0.1/8': CIDR block '10.0.0.1/8' has host bits set; write the network address, as"
            + " in 10.0.0.0/8",
        "0.0.0.0/0|rule '0.0.0.0/0': CIDR block '0.0.0.0/0' is too broad; accepted: a prefix of at least /8 for"
            + " IPv4",
        "[::/0]|rule '[::/0]': CIDR block '[::/0]' is too broad; accepted: a prefix of at least /7 for IPv6",
        "10.0.0.0/33|rule '10.0.0.0/33': CIDR block '10.0.0.0/33': prefix '33' is not a number from 0 to 32",
        "example.com/8|rule 'example.com/8': CIDR block 'example.com/8': 'example.com' is not an IP address",
        "fd00::/8|rule 'fd00::/8': write IPv6 addresses in brackets, as in [2001:db8::1]:443",
        "[xyz]|rule '[xyz]': '[xyz]' is not a valid IPv6 address",
      })
  void refusesBadRulesWithExactMessages(String text, String message) {
    assertThatThrownBy(() -> EgressRule.parse(text)).isInstanceOf(EgressRuleException.class).hasMessage(message);
  }

  /** The list's private section names one company's platform: a rule may name it on purpose. */
  @ParameterizedTest(name = "{0}")
  @CsvSource({"*.example.co.uk", "**.github.io", "**.githubusercontent.com", "*.s3.amazonaws.com", "*.npmjs.org", "*.www.ck", "*.example.school.sch.uk", "*.city.kawasaki.jp"})
  void acceptsWildcardsBelowAPublicSuffixOrOverAPrivateOne(String text) {
    assertThat(EgressRule.parse(text).toString()).isEqualTo(text + ":443");
  }

  @ParameterizedTest(name = "{0} allows {1}:{2}")
  @CsvSource({
    "10.0.0.0/8, 10.1.2.3, 443, true",
    "10.0.0.0/8, 0xa.1, 443, true",
    "10.0.0.0/8, 11.0.0.1, 443, false",
    "10.0.0.0/8, 10.1.2.3, 80, false",
    "10.0.0.0/8, ten.example, 443, false",
    "[fd00::/8]:443, [fd12::1], 443, true",
    "[fd00::/8]:443, [fe80::1], 443, false",
    "127.0.0.1:80, 2130706433, 80, true",
    "127.0.0.1:80, [::ffff:127.0.0.1], 80, true",
    "127.0.0.1:80, 127.1, 80, true",
  })
  void matchesRequestsInAnySpelling(String rule, String host, int port, boolean allowed) {
    RuleSet rules = RuleSet.of(List.of(EgressRule.parse(rule)), List.of());

    EgressDecision d = rules.decide(host, port);

    assertThat(d.allowed()).isEqualTo(allowed);
  }

  @ParameterizedTest(name = "{0} covers {1}: {2}")
  @CsvSource({
    "10.0.0.0/8, 10.1.0.0/16, true",
    "10.0.0.0/8, 10.1.2.3, true",
    "10.1.0.0/16, 10.0.0.0/8, false",
    "10.0.0.0/8, ten.example, false",
    "**.example.com, 10.0.0.0/8, false",
    "10.1.2.3, 10.1.2.3, true",
  })
  void cidrBlocksNarrowByContainment(String upper, String lower, boolean covers) {
    boolean got = EgressRule.parse(upper).covers(EgressRule.parse(lower));

    assertThat(got).isEqualTo(covers);
  }

  @ParameterizedTest(name = "deny {0} beats allow {1} for {2}")
  @CsvSource({
    "169.254.0.0/16, 0xa9.0xfe.0xa9.0xfe:443, 0xa9fea9fe",
    "[fd00::/8]:443, [fd00::1]:443, [FD00:0:0::1]",
  })
  void denyCidrBeatsAllowForAnySpelling(String deny, String allow, String host) {
    RuleSet rules = RuleSet.of(List.of(EgressRule.parse(allow)), List.of(EgressRule.parse(deny)));

    EgressDecision d = rules.decide(host, 443);

    assertThat(d.allowed()).isFalse();
    assertThat(d.reason()).startsWith("matches deny rule");
  }
}
