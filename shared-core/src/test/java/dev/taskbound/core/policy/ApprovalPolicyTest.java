package dev.taskbound.core.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 16: {@code gate.approval} (timeout, GitHub environments) only tightens down the layers. */
class ApprovalPolicyTest {
  @TempDir Path dir;

  private Path write(String name, String kind, String... gate) throws IOException {
    StringBuilder b = new StringBuilder("apiVersion: taskbound.dev/v1\nkind: " + kind + "\nspec:\n  gate:\n");
    for (String line : gate) {
      b.append("    ").append(line).append("\n");
    }
    return Files.writeString(dir.resolve(name), b.toString());
  }

  @Test
  void aTaskShortensTheTimeoutAndNamesFewerEnvironmentsThanTheCeiling() throws IOException {
    Path org = write("org.yml", "Ceiling", "approval: {timeout: 5m, environments: [production, staging]}");
    Path task = write("task.yml", "Task", "approval: {timeout: 30s, environments: [production]}");

    EffectivePolicy p = PolicyResolver.resolve(List.of(org, task), Optional.empty());

    assertThat(p.hooks().approval().timeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(p.hooks().approval().environments()).containsExactly("production");
    assertThat(p.provenanceOf("gate.approval.timeout").map(Object::toString).orElse("")).contains("task.yml:5");
    assertThat(p.toCanonicalJson()).contains("\"approval\":{\"environments\":[\"production\"],\"timeout\":\"30s\"}");
  }

  @Test
  void aTaskCannotWaitLongerOrNameAnotherEnvironmentThanTheCeilingAllows() throws IOException {
    Path org = write("org.yml", "Ceiling", "approval: {timeout: 1m, environments: [production]}");
    Path longer = write("longer.yml", "Task", "approval: {timeout: 2m}");
    Path other = write("other.yml", "Task", "approval: {environments: [dev]}");

    assertThatThrownBy(() -> PolicyResolver.resolve(List.of(org, longer), Optional.empty()))
        .isInstanceOf(PolicyException.class)
        .hasMessageContaining("longer.yml:5: spec.gate.approval.timeout: 2m widens the ceiling")
        .hasMessageContaining("allows at most 1m");
    assertThatThrownBy(() -> PolicyResolver.resolve(List.of(org, other), Optional.empty()))
        .isInstanceOf(PolicyException.class)
        .hasMessageContaining("other.yml:5: spec.gate.approval.environments[0]: dev widens the ceiling")
        .hasMessageContaining("production");
  }

  /** The attack: a Ceiling that names no environment left the built-in "none", and a task named one freely. */
  @Test
  void underACeilingThatNamesNoEnvironmentATaskCannotNameOne() throws IOException {
    Path org = write("org.yml", "Ceiling", "approval: {timeout: 5m}");
    Path task = write("task.yml", "Task", "approval: {environments: [production]}");

    assertThatThrownBy(() -> PolicyResolver.resolve(List.of(org, task), Optional.empty()))
        .isInstanceOf(PolicyException.class)
        .hasMessageContaining("task.yml:5: spec.gate.approval.environments[0]: production widens the ceiling")
        .hasMessageContaining("built-in default under the Ceiling at").hasMessageContaining("allows none");
  }

  @Test
  void withoutACeilingTheTaskIsTheTopLayerAndNamesEnvironments() throws IOException {
    Path top = write("top.yml", "Task", "approval: {environments: [production]}");

    EffectivePolicy p = PolicyResolver.resolve(List.of(top), Optional.empty());

    assertThat(p.hooks().approval().environments()).containsExactly("production");
  }

  @Test
  void withoutTheKeyTheDefaultsApplyAndTheDigestStaysPut() throws IOException {
    Path task = write("task.yml", "Task", "hooks: [claude-code]");

    EffectivePolicy p = PolicyResolver.resolve(List.of(task), Optional.empty());

    assertThat(p.hooks().approval()).isEqualTo(ApprovalPolicy.DEFAULT);
    assertThat(p.hooks().approval().timeout()).isEqualTo(Duration.ofSeconds(60));
    assertThat(p.toCanonicalJson()).doesNotContain("approval");
  }

  @Test
  void refusesATimeoutOutsideTheRangeAnUnknownKeyAndABadEnvironmentNameWithTheAcceptedForms() throws IOException {
    Path zero = write("zero.yml", "Task", "approval: {timeout: 0s}");
    Path huge = write("huge.yml", "Task", "approval: {timeout: 2h}");
    Path key = write("key.yml", "Task", "approval: {approvers: [alice]}");
    Path name = write("name.yml", "Task", "approval: {environments: ['prod\"; x']}");

    assertThatThrownBy(() -> PolicyResolver.resolve(List.of(zero), Optional.empty())).isInstanceOf(PolicyException.class)
        .hasMessageContaining("zero.yml:5").hasMessageContaining("spec.gate.approval.timeout").hasMessageContaining("is zero");
    assertThatThrownBy(() -> PolicyResolver.resolve(List.of(huge), Optional.empty())).isInstanceOf(PolicyException.class)
        .hasMessageContaining("huge.yml:5").hasMessageContaining("at most 9m");
    assertThatThrownBy(() -> PolicyResolver.resolve(List.of(key), Optional.empty())).isInstanceOf(PolicyException.class)
        .hasMessageContaining("spec.gate.approval.approvers").hasMessageContaining("accepted: timeout, environments");
    assertThatThrownBy(() -> PolicyResolver.resolve(List.of(name), Optional.empty())).isInstanceOf(PolicyException.class)
        .hasMessageContaining("spec.gate.approval.environments[0]").hasMessageContaining("is not a GitHub environment name");
  }
}
