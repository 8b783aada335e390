package dev.taskbound.core.egress;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskbound.core.testing.Fuzz;
import java.net.IDN;
import java.util.Locale;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.SourceDSL;

/**
 * {@link HostPattern#canonicalName} skips {@link IDN#toASCII} for plain ASCII names (start-up
 * cost): whatever it accepts must be exactly what IDN's conversion gives, and what IDN refuses it
 * must refuse too, at the edges where a shortcut could go wrong (hyphens at a label's ends, empty
 * and 63/64-character labels, underscores, case, a trailing dot).
 */
class PlainHostNamesTest {
  @ParameterizedTest
  @ValueSource(strings = {"api.github.com", "API.GitHub.COM", "a", "a-b.c", "xn--bcher-kva.example", "example.com.",
      "-a.com", "a-.com", "a..com", ".a.com", "a_b.com", "a b.com", "a.-.com"})
  void aPlainNameCanonicalisesAsIdnDoesOrIsRefusedWhereIdnRefusesIt(String name) {
    assertSameAsIdn(name);
  }

  @Test
  void aLabelOf63CharactersIsKeptAndOneOf64IsRefused() {
    assertThat(canonical("a".repeat(63) + ".com")).contains("a".repeat(63) + ".com");
    assertThat(canonical("a".repeat(64) + ".com")).isEmpty();
    assertSameAsIdn("a".repeat(64) + ".com");
  }

  @Test
  void randomAsciiNamesCanonicaliseAsIdnDoes() {
    Fuzz.qt().forAll(asciiNames()).checkAssert(PlainHostNamesTest::assertSameAsIdn);
  }

  private static void assertSameAsIdn(String name) {
    String trimmed = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
    Optional<String> viaIdn;
    try {
      viaIdn = Optional.of(IDN.toASCII(trimmed, IDN.USE_STD3_ASCII_RULES).toLowerCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      viaIdn = Optional.empty();
    }
    Optional<String> ours = canonical(name);
    if (ours.isPresent()) {
      assertThat(ours).as("canonical form of %s", name).isEqualTo(viaIdn);
    } else if (viaIdn.isPresent()) {
      // refused after IDN's conversion by the label rules: IDN alone accepts it, the rules do not
      assertThat(viaIdn.get()).as("IDN's form of %s", name).doesNotMatch("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*");
    }
  }

  private static Optional<String> canonical(String name) {
    try {
      return Optional.of(HostPattern.canonicalName(name, name));
    } catch (EgressRuleException e) {
      return Optional.empty();
    }
  }

  /** Labels of 0-65 characters drawn mostly from letters, digits and '-', sometimes '_' or a space. */
  private static Gen<String> asciiNames() {
    Gen<String> label = SourceDSL.integers().between(0, 65).zip(SourceDSL.integers().between(0, 20),
        SourceDSL.integers().between(0, Integer.MAX_VALUE), (length, odd, seed) -> {
          String alphabet = odd == 0 ? "aZ_ " : "abcXYZ019-";
          StringBuilder b = new StringBuilder();
          long s = seed;
          for (int i = 0; i < length; i++) {
            b.append(alphabet.charAt((int) (s % alphabet.length())));
            s = s * 1103515245L + 12345L & 0x7fffffffL;
          }
          return b.toString();
        });
    return SourceDSL.lists().of(label).ofSizeBetween(1, 3).map(labels -> String.join(".", labels));
  }
}
