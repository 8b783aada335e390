package dev.taskbound.core.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 16: {@code gate.hooks}, {@code gate.prompts} and {@code gate.tools} only tighten down the layers. */
class HookPolicyTest {
  @TempDir Path dir;

  private Path write(String name, String kind, String... gate) throws IOException {
    StringBuilder b = new StringBuilder("apiVersion: taskbound.dev/v1\nkind: " + kind + "\nspec:\n  gate:\n");
    for (String line : gate) {
      b.append("    ").append(line).append("\n");
    }
    return Files.writeString(dir.resolve(name), b.toString());
  }

  @Test
  void hooksAndToolRulesAddUpAndACeilingsPromptRecordingIsAFloor() throws IOException {
    Path org = write("org.yml", "Ceiling", "hooks: [claude-code]", "prompts: full",
        "tools: [{action: tool.bash, match: 'git push *', decision: deny, reason: review first}]");
    Path task = write("task.yml", "Task", "tools: [{action: tool.write, match: '.github/**', decision: deny}]");

    EffectivePolicy p = PolicyResolver.resolve(List.of(org, task), Optional.empty());

    assertThat(p.hooks().agents()).containsExactly("claude-code");
    assertThat(p.hooks().prompts()).isEqualTo(PromptRecording.FULL);
    assertThat(p.hooks().tools()).extracting(ToolRule::toString)
        .containsExactly("tool.bash 'git push *': deny", "tool.write '.github/**': deny");
    assertThat(p.hooks().tools().get(0).reason()).contains("review first");
    assertThat(p.provenanceOf("gate.tools[1]").map(Object::toString).orElse("")).contains("task.yml:5");
    assertThat(p.toCanonicalJson()).contains("\"hooks\":{\"agents\":[\"claude-code\"],\"prompts\":\"full\"");
  }

  @Test
  void aTaskCannotRecordLessThanTheCeilingAsks() throws IOException {
    Path org = write("org.yml", "Ceiling", "prompts: full");
    Path task = write("task.yml", "Task", "prompts: hash");

    assertThatThrownBy(() -> PolicyResolver.resolve(List.of(org, task), Optional.empty()))
        .isInstanceOf(PolicyException.class)
        .hasMessageContaining("task.yml:5: spec.gate.prompts: hash records less than full (")
        .hasMessageContaining("org.yml:5: spec.gate.prompts)")
        .hasMessageContaining("accepted: full or more (off < hash < full)");
  }

  /** A Ceiling that omits them keeps the built-in values as limits (docs/policy.md): they were open. */
  @Test
  void underACeilingTheBuiltInPromptsAndApprovalTimeoutAreLimits() throws IOException {
    Path org = write("org.yml", "Ceiling", "rules: [{action: git.push, decision: deny}]");
    Path off = write("off.yml", "Task", "prompts: 'off'");
    Path longer = write("longer.yml", "Task", "approval: {timeout: 9m}");
    Path alone = write("alone.yml", "Task", "prompts: 'off'");

    assertThatThrownBy(() -> PolicyResolver.resolve(List.of(org, off), Optional.empty()))
        .isInstanceOf(PolicyException.class).hasMessageContaining("spec.gate.prompts: off records less than hash (built-in");
    assertThatThrownBy(() -> PolicyResolver.resolve(List.of(org, longer), Optional.empty()))
        .isInstanceOf(PolicyException.class).hasMessageContaining("9m widens the ceiling");
    assertThat(PolicyResolver.resolve(List.of(alone), Optional.empty()).hooks().prompts())
        .isEqualTo(PromptRecording.OFF); // no Ceiling: the built-in one's limits are open
  }

  @Test
  void withoutTheKeysTheDefaultsApplyAndTheDigestStaysPut() throws IOException {
    Path task = write("task.yml", "Task", "rules: [{action: git.push, decision: deny}]");

    EffectivePolicy p = PolicyResolver.resolve(List.of(task), Optional.empty());

    assertThat(p.hooks()).isEqualTo(HookPolicy.DEFAULT);
    assertThat(p.toCanonicalJson()).doesNotContain("hooks");
  }

  @Test
  void refusesAnUnknownAgentAndANonToolActionWithTheAcceptedForms() throws IOException {
    Path agent = write("a.yml", "Task", "hooks: [codex]");
    Path action = write("b.yml", "Task", "tools: [{action: git.push, decision: deny}]");

    assertThatThrownBy(() -> PolicyResolver.resolve(List.of(agent), Optional.empty()))
        .isInstanceOf(PolicyException.class).hasMessageContaining("a.yml:5").hasMessageContaining("accepted: claude-code");
    assertThatThrownBy(() -> PolicyResolver.resolve(List.of(action), Optional.empty()))
        .isInstanceOf(PolicyException.class).hasMessageContaining("b.yml:5")
        .hasMessageContaining("is not a tool action; accepted: tool.bash");
  }
}
