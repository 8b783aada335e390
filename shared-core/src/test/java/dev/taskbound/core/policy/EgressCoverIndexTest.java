package dev.taskbound.core.policy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskbound.core.egress.EgressRule;
import java.util.List;
import java.util.stream.Collectors;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

/**
 * Issue 18, item 3: the indexed narrowing check gives exactly the answer of the simple scan over
 * every upper rule ({@link EgressRule#covers}), on random small rule sets drawn from a vocabulary
 * small enough that names, wildcards, addresses and blocks often nest.
 */
class EgressCoverIndexTest {
  @Property
  void indexAgreesWithScanningEveryRule(
      @ForAll("rules") @Size(max = 12) List<EgressRule> upper, @ForAll("rules") @Size(max = 12) List<EgressRule> lower) {
    List<Located<EgressRule>> located = upper.stream()
        .map(r -> Located.builtIn(r, "egress.allow")).collect(Collectors.toList());

    EgressCoverIndex index = EgressCoverIndex.of(located);

    for (EgressRule l : lower) {
      boolean scanned = upper.stream().anyMatch(u -> u.covers(l));
      assertThat(index.covers(l)).as("%s under %s", l, upper).isEqualTo(scanned);
    }
  }

  @Provide
  Arbitrary<List<EgressRule>> rules() {
    Arbitrary<String> names = Combinators.combine(
            Arbitraries.of("", "*.", "**."),
            Arbitraries.of("", "a.", "b.", "a.b.", "x.a."),
            Arbitraries.of("example.com", "example.org", "sub.example.com"))
        .as((wild, labels, base) -> wild + labels + base);
    Arbitrary<String> ips = Arbitraries.of("11.0.0.1", "11.0.0.200", "11.0.1.5", "11.9.0.1", "12.0.0.1",
        "[2001:db8::1]", "[2001:db8:1::1]", "[2001:db9::1]");
    Arbitrary<String> blocks = Arbitraries.of("11.0.0.0/8", "11.0.0.0/16", "11.0.0.0/24", "11.0.0.128/25",
        "11.0.1.0/24", "11.0.0.1/32", "12.0.0.0/8", "[2001:db8::/32]", "[2001:db8::/48]", "[2001:db8:1::/48]",
        "[2001:db8::1/128]");
    Arbitrary<String> hosts = Arbitraries.oneOf(names, ips, blocks);
    Arbitrary<String> ports = Arbitraries.of("", ":80");
    return Combinators.combine(hosts, ports).as((h, p) -> EgressRule.parse(h + p)).list();
  }
}
