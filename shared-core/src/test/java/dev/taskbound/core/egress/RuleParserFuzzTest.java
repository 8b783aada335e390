package dev.taskbound.core.egress;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskbound.core.SafeText;
import dev.taskbound.core.policy.DurationFormat;
import dev.taskbound.core.policy.GateRule;
import dev.taskbound.core.policy.PolicyException;
import dev.taskbound.core.testing.Fuzz;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;
import org.quicktheories.generators.SourceDSL;

/**
 * Issue 18: the rule parsers under random strings. Each either parses or throws its documented
 * exception ({@link EgressRuleException}, {@link PolicyException} for durations) with a one-line,
 * printable, bounded message; a parsed rule round-trips through its {@code toString}. Past crashes
 * are kept as regression cases.
 */
class RuleParserFuzzTest {
  private static final int MAX_MESSAGE = SafeText.MAX_LINE_CHARS + 32;

  @Test
  void egressRulesParseAndRoundTripOrRefuseInOneLine() {
    Fuzz.qt().forAll(ruleLike()).checkAssert(text -> {
      try {
        EgressRule rule = EgressRule.parse(text);
        assertThat(EgressRule.parse(rule.toString())).isEqualTo(rule);
      } catch (EgressRuleException e) {
        assertOneBoundedLine(e.getMessage());
      }
    });
  }

  @Test
  void requestedHostsCanonicaliseOrRefuseInOneLine() {
    Fuzz.qt().forAll(ruleLike()).checkAssert(text -> {
      try {
        RuleSet.canonicalHost(text);
      } catch (EgressRuleException e) {
        assertOneBoundedLine(e.getMessage());
      }
    });
  }

  @Test
  void gateActionsAndDurationsNeverThrowUnexpectedly() {
    Fuzz.qt().forAll(ruleLike()).checkAssert(text -> {
      GateRule.isValidAction(text);
      try {
        DurationFormat.parse(text);
      } catch (PolicyException e) {
        assertOneBoundedLine(e.getMessage());
      }
    });
  }

  static List<String> longNamesAndBlocks() {
    return List.of("a.".repeat(100_000) + "com", "1.".repeat(50_000) + "1", "[" + ":".repeat(100_000) + "]",
        "a\u200db.example.com", "xn--zz.example.com", "169.254.169.254/32:80", "[::ffff:169.254.169.254]:80",
        "x".repeat(300) + ":99999", "*." + "\u0000".repeat(1000));
  }

  @ParameterizedTest
  @MethodSource("longNamesAndBlocks")
  void regressionLongNamesAndBlocks(String text) {
    try {
      EgressRule.parse(text);
    } catch (EgressRuleException e) {
      assertOneBoundedLine(e.getMessage());
    }
  }

  @Test
  void regressionGateActionOf1400Labels() {
    assertThat(GateRule.isValidAction("a.".repeat(1400) + "a")).isFalse();
  }

  private static void assertOneBoundedLine(String m) {
    assertThat(m).isNotEmpty();
    assertThat(SafeText.isPrintable(m)).as("printable: %s", m).isTrue();
    assertThat(m.length()).isLessThanOrEqualTo(MAX_MESSAGE);
  }

  private static Gen<String> ruleLike() {
    Gen<Character> chars = Generate.pick("abcxn-.*:/[]0123456789%_f\u200d\u00df\n\u0000 ".chars()
        .mapToObj(c -> (char) c).collect(Collectors.toList()));
    Gen<String> alphabet = SourceDSL.lists().of(chars).ofSizeBetween(0, 80)
        .map(l -> l.stream().map(String::valueOf).collect(Collectors.joining()));
    Gen<String> pieces = SourceDSL.lists().of(Fuzz.oneOfValues("xn--", "**.", "*.", "::", "::ffff:", "0x", "/32", ":443",
        "[", "]", "169.254.169.254", "fd00:ec2::254", "example.com", "localhost", "..", "%eth0", "255", "4294967296"))
        .ofSizeBetween(0, 6).map(l -> String.join("", l));
    Gen<String> any = SourceDSL.lists().of(Generate.characters(Character.MIN_VALUE, Character.MAX_VALUE))
        .ofSizeBetween(0, 60).map(l -> l.stream().map(String::valueOf).collect(Collectors.joining()));
    return Generate.oneOf(alphabet, pieces, any);
  }
}
