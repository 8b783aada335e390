package dev.taskbound.core.gate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskbound.core.policy.GateDecision;
import org.junit.jupiter.api.Test;

/** The built-in defaults for the actions the inspecting gateway names. */
class ActionRulesTest {
  private final ActionRules rules = new ActionRules(GateRules.none(), "T-1");

  @Test
  void anApiContentWriteIsAllowedOnlyOnTheTaskBranches() {
    assertThat(rules.decide("github.contents.write", "taskbound/T-1/work").decision()).isEqualTo(GateDecision.ALLOW);
    assertThat(rules.decide("github.contents.write", "main").decision()).isEqualTo(GateDecision.DENY);
    // no branch in the body: the repository's default branch
    assertThat(rules.decide("github.contents.write", "").decision()).isEqualTo(GateDecision.DENY);
  }

  @Test
  void graphqlMutationsAndOtherApiWritesAreDeniedByDefault() {
    assertThat(rules.decide("github.graphql", "query").decision()).isEqualTo(GateDecision.ALLOW);
    assertThat(rules.decide("github.graphql", "mutation").decision()).isEqualTo(GateDecision.DENY);
    assertThat(rules.decide("github.api.write", "").decision()).isEqualTo(GateDecision.DENY);
  }

  @Test
  void aPushThroughADotSegmentIsNoTaskBranchPush() {
    assertThat(rules.decide("git.push", "refs/heads/taskbound/T-1/../../main").decision()).isEqualTo(GateDecision.DENY);
  }
}
