package dev.taskbound.core.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/**
 * The canonical JSON (and so the policy digest) leaves out limits, hooks and approval settings that
 * are the defaults; {@link EffectivePolicy} tells the defaults apart component by component instead
 * of with the records' {@code equals} (start-up cost). These tests keep that comparison whole.
 */
class EffectivePolicyDefaultsTest {
  @Test
  void theComparedRecordsHaveTheComponentsTheComparisonNames() {
    // A new component must be added to EffectivePolicy.isDefault, else a policy differing only there
    // would get the default's digest.
    assertThat(SandboxLimits.class.getRecordComponents()).hasSize(2);
    assertThat(HookPolicy.class.getRecordComponents()).hasSize(5);
    assertThat(ApprovalPolicy.class.getRecordComponents()).hasSize(2);
  }

  @Test
  void theDefaultsAreDefaultAndAnyOneComponentChangedIsNot() {
    assertThat(EffectivePolicy.isDefault(SandboxLimits.DEFAULT)).isTrue();
    assertThat(EffectivePolicy.isDefault(new SandboxLimits(OptionalInt.of(1024), OptionalLong.empty()))).isFalse();
    assertThat(EffectivePolicy.isDefault(new SandboxLimits(OptionalInt.of(SandboxLimits.DEFAULT_PIDS),
        OptionalLong.of(SandboxLimits.MIN_MEMORY)))).isFalse();

    HookPolicy d = HookPolicy.DEFAULT;
    assertThat(EffectivePolicy.isDefault(d)).isTrue();
    assertThat(EffectivePolicy.isDefault(new HookPolicy(List.of("claude-code"), d.prompts(), d.tools(), d.approval(),
        d.regulated()))).isFalse();
    assertThat(EffectivePolicy.isDefault(new HookPolicy(d.agents(), PromptRecording.FULL, d.tools(), d.approval(),
        d.regulated()))).isFalse();
    assertThat(EffectivePolicy.isDefault(new HookPolicy(d.agents(), d.prompts(), d.tools(), d.approval(), true))).isFalse();
    ApprovalPolicy shorter = new ApprovalPolicy(Duration.ofSeconds(30), List.of());
    assertThat(EffectivePolicy.isDefault(shorter)).isFalse();
    assertThat(EffectivePolicy.isDefault(new HookPolicy(d.agents(), d.prompts(), d.tools(), shorter, d.regulated())))
        .isFalse();
    assertThat(EffectivePolicy.isDefault(new ApprovalPolicy(ApprovalPolicy.DEFAULT_TIMEOUT, List.of("production"))))
        .isFalse();
  }

  @Test
  void theComparisonAgreesWithTheRecordsEquals() {
    List<SandboxLimits> limits = List.of(SandboxLimits.DEFAULT, new SandboxLimits(OptionalInt.of(4096), OptionalLong.empty()),
        new SandboxLimits(OptionalInt.empty(), OptionalLong.empty()));
    for (SandboxLimits l : limits) {
      assertThat(EffectivePolicy.isDefault(l)).as("%s", l).isEqualTo(l.equals(SandboxLimits.DEFAULT));
    }
  }
}
