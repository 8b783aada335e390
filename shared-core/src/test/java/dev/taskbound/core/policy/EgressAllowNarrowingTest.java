package dev.taskbound.core.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.taskbound.core.egress.EgressRule;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The host's last egress narrowing (issue 12: the Action's {@code egress-allow} input). */
class EgressAllowNarrowingTest {
  @TempDir Path dir;

  @Test
  void keepsOnlyTheGivenRulesWhenThePolicyCoversThem() throws IOException {
    EffectivePolicy policy = taskAllowing("'*.github.com'", "registry.npmjs.org", "10.0.0.0/8:8080");

    EffectivePolicy narrowed = EgressAllowNarrowing.narrow(policy,
        List.of(EgressRule.parse("api.github.com"), EgressRule.parse("10.1.2.3:8080")), "--egress-allow");

    assertThat(narrowed.allow()).extracting(EgressRule::toString).containsExactly("api.github.com:443", "10.1.2.3:8080");
    assertThat(narrowed.provenanceOf("egress.allow")).contains(Provenance.commandLine("--egress-allow"));
    assertThat(narrowed.provenanceOf("egress.allow[1]")).contains(Provenance.commandLine("--egress-allow"));
    assertThat(narrowed.provenanceOf("egress.allow[2]")).isEmpty();
    assertThat(narrowed.digest()).isNotEqualTo(policy.digest());
    assertThat(narrowed.ttl()).isEqualTo(policy.ttl());
  }

  @Test
  void refusesARuleThePolicyDoesNotCoverNamingIt() throws IOException {
    EffectivePolicy policy = taskAllowing("'*.github.com'");
    Path task = dir.resolve("task.yml");

    assertThatThrownBy(() -> EgressAllowNarrowing.narrow(policy,
            List.of(EgressRule.parse("api.github.com"), EgressRule.parse("evil.example:443")), "--egress-allow"))
        .isInstanceOf(PolicyException.class)
        .hasMessage("--egress-allow evil.example:443 widens the policy (no rule of " + task
            + ":5 covers it; allowed: *.github.com:443); accepted: only rules the policy files already allow");
  }

  @Test
  void refusesAnyRuleWhenThePolicyAllowsNoEgress() {
    EffectivePolicy policy = PolicyResolver.resolve(List.of(), Optional.empty());

    assertThatThrownBy(() -> EgressAllowNarrowing.narrow(policy, List.of(EgressRule.parse("a.example")), "--egress-allow"))
        .isInstanceOf(PolicyException.class)
        .hasMessageStartingWith("--egress-allow a.example:443 widens the policy (")
        .hasMessageContaining("allows no egress");
  }

  private EffectivePolicy taskAllowing(String... rules) throws IOException {
    Path task = Files.writeString(dir.resolve("task.yml"), "apiVersion: taskbound.dev/v1\nkind: Task\nspec:\n  egress:\n    allow: ["
        + String.join(", ", rules) + "]\n");
    return PolicyResolver.resolve(List.of(task), Optional.empty());
  }
}
