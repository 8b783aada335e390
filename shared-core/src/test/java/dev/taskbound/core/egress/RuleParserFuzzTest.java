package dev.taskbound.core.egress;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskbound.core.SafeText;
import dev.taskbound.core.policy.DurationFormat;
import dev.taskbound.core.policy.GateRule;
import dev.taskbound.core.policy.PolicyException;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Issue 18: the rule parsers under random strings. Each either parses or throws its documented
 * exception ({@link EgressRuleException}, {@link PolicyException} for durations) with a one-line,
 * printable, bounded message; a parsed rule round-trips through its {@code toString}. Past crashes
 * are kept as {@link Example}s.
 */
class RuleParserFuzzTest {
  private static final int MAX_MESSAGE = SafeText.MAX_LINE_CHARS + 32;

  @Property
  void egressRulesParseAndRoundTripOrRefuseInOneLine(@ForAll("ruleLike") String text) {
    try {
      EgressRule rule = EgressRule.parse(text);
      assertThat(EgressRule.parse(rule.toString())).isEqualTo(rule);
    } catch (EgressRuleException e) {
      assertOneBoundedLine(e.getMessage());
    }
  }

  @Property
  void requestedHostsCanonicaliseOrRefuseInOneLine(@ForAll("ruleLike") String text) {
    try {
      RuleSet.canonicalHost(text);
    } catch (EgressRuleException e) {
      assertOneBoundedLine(e.getMessage());
    }
  }

  @Property
  void gateActionsAndDurationsNeverThrowUnexpectedly(@ForAll("ruleLike") String text) {
    GateRule.isValidAction(text);
    try {
      DurationFormat.parse(text);
    } catch (PolicyException e) {
      assertOneBoundedLine(e.getMessage());
    }
  }

  @Example
  void regressionLongNamesAndBlocks() {
    for (String text : new String[] {"a.".repeat(100_000) + "com", "1.".repeat(50_000) + "1", "[" + ":".repeat(100_000)
        + "]", "a\u200db.example.com", "xn--zz.example.com", "169.254.169.254/32:80", "[::ffff:169.254.169.254]:80",
        "x".repeat(300) + ":99999", "*." + "\u0000".repeat(1000)}) {
      try {
        EgressRule.parse(text);
      } catch (EgressRuleException e) {
        assertOneBoundedLine(e.getMessage());
      }
    }
    assertThat(GateRule.isValidAction("a.".repeat(1400) + "a")).isFalse();
  }

  private static void assertOneBoundedLine(String m) {
    assertThat(m).isNotEmpty();
    assertThat(SafeText.isPrintable(m)).as("printable: %s", m).isTrue();
    assertThat(m.length()).isLessThanOrEqualTo(MAX_MESSAGE);
  }

  @Provide
  Arbitrary<String> ruleLike() {
    Arbitrary<String> alphabet = Arbitraries.strings().withChars("abcxn-.*:/[]0123456789%_f\u200d\u00df\n\u0000 ")
        .ofMaxLength(80);
    Arbitrary<String> pieces = Arbitraries.of("xn--", "**.", "*.", "::", "::ffff:", "0x", "/32", ":443", "[", "]",
        "169.254.169.254", "fd00:ec2::254", "example.com", "localhost", "..", "%eth0", "255", "4294967296")
        .list().ofMaxSize(6).map(l -> String.join("", l));
    return Arbitraries.oneOf(alphabet, pieces, Arbitraries.strings().all().ofMaxLength(60));
  }
}
