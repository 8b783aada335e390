package dev.taskbound.core.policy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskbound.core.egress.EgressRule;
import dev.taskbound.core.testing.Fuzz;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;
import org.quicktheories.generators.SourceDSL;

/**
 * Issue 18, item 3: the indexed narrowing check gives exactly the answer of the simple scan over
 * every upper rule ({@link EgressRule#covers}), on random small rule sets drawn from a vocabulary
 * small enough that names, wildcards, addresses and blocks often nest.
 */
class EgressCoverIndexTest {
  @Test
  void indexAgreesWithScanningEveryRule() {
    Fuzz.qt().forAll(rules(), rules()).checkAssert((upper, lower) -> {
      List<Located<EgressRule>> located = upper.stream()
          .map(r -> Located.builtIn(r, "egress.allow")).collect(Collectors.toList());

      EgressCoverIndex index = EgressCoverIndex.of(located);

      for (EgressRule l : lower) {
        boolean scanned = upper.stream().anyMatch(u -> u.covers(l));
        assertThat(index.covers(l)).as("%s under %s", l, upper).isEqualTo(scanned);
      }
    });
  }

  /** Up to 12 rules. */
  private static Gen<List<EgressRule>> rules() {
    Gen<String> names = Fuzz.oneOfValues("", "*.", "**.").zip(
            Fuzz.oneOfValues("", "a.", "b.", "a.b.", "x.a."),
            Fuzz.oneOfValues("example.com", "example.org", "sub.example.com"),
            (wild, labels, base) -> wild + labels + base);
    Gen<String> ips = Fuzz.oneOfValues("11.0.0.1", "11.0.0.200", "11.0.1.5", "11.9.0.1", "12.0.0.1",
        "[2001:db8::1]", "[2001:db8:1::1]", "[2001:db9::1]");
    Gen<String> blocks = Fuzz.oneOfValues("11.0.0.0/8", "11.0.0.0/16", "11.0.0.0/24", "11.0.0.128/25",
        "11.0.1.0/24", "11.0.0.1/32", "12.0.0.0/8", "[2001:db8::/32]", "[2001:db8::/48]", "[2001:db8:1::/48]",
        "[2001:db8::1/128]");
    Gen<String> hosts = Generate.oneOf(names, ips, blocks);
    Gen<String> ports = Fuzz.oneOfValues("", ":80");
    return SourceDSL.lists().of(hosts.zip(ports, (h, p) -> EgressRule.parse(h + p))).ofSizeBetween(0, 12);
  }
}
