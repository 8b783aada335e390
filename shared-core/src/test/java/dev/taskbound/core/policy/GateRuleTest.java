package dev.taskbound.core.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class GateRuleTest {
  @ParameterizedTest
  @CsvSource({"git.push, git.push, true", "git.*, git.push, true", "git.*, git.push.force, true",
      "git.*, git.push.*, true", "git.*, git, false", "git.*, gitx.push, false", "*, secret.read, true",
      "*, *, true", "git.*, *, false", "git.push, git.*, false", "secret.read, secret.read.all, false"})
  void coversExactlyTheActionsItNames(String upper, String lower, boolean covers) {
    assertThat(GateRule.covers(upper, lower)).isEqualTo(covers);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "Git.push", "git..push", "git.*.push", "*.push", "git.", ".git", "git push"})
  void refusesMalformedActions(String action) {
    assertThat(GateRule.isValidAction(action)).isFalse();
    assertThatThrownBy(() -> new GateRule(action, GateDecision.DENY)).isInstanceOf(IllegalArgumentException.class);
  }
}
