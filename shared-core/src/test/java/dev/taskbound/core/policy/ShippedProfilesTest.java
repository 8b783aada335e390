package dev.taskbound.core.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Issue 16: the shipped profiles load, narrow the built-in ceiling and an org ceiling, and say what they refuse. */
class ShippedProfilesTest {
  static List<String> names() {
    return ShippedProfiles.NAMES;
  }
  static final String TASK = "apiVersion: taskbound.dev/v1\nkind: Task\n";

  @TempDir Path dir;

  private EffectivePolicy resolve(String profile, String... docs) throws Exception {
    List<Path> files = new java.util.ArrayList<>();
    for (int i = 0; i < docs.length; i++) {
      files.add(Files.writeString(dir.resolve("p" + i + ".yml"), docs[i]));
    }
    return PolicyResolver.resolve(files, Optional.of(profile));
  }

  private static GateDecision decision(EffectivePolicy p, String action) {
    return p.gateRules().stream().filter(r -> r.action().equals(action)).map(GateRule::decision).findFirst().orElse(null);
  }

  @ParameterizedTest
  @MethodSource("names")
  void eachShippedProfileLoadsAndNarrowsTheBuiltInCeilingWithTheClaudeCodeHooks(String name) throws Exception {
    EffectivePolicy p = resolve(name, TASK);

    assertThat(p.profile()).contains(name);
    assertThat(p.hooks().agents()).containsExactly("claude-code");
    assertThat(p.provenanceOf("gate.hooks[0]").map(Object::toString))
        .hasValueSatisfying(s -> assertThat(s).startsWith("taskbound:profiles/" + name + ".yml:"));
    assertThat(decision(p, "package.publish")).isEqualTo(GateDecision.DENY);
  }

  @ParameterizedTest
  @MethodSource("names")
  void eachShippedProfileNarrowsTheExampleOrgCeiling(String name) throws Exception {
    String org = Files.readString(Path.of("..", "examples", "policies", "org-ceiling.yml"))
        .replaceAll("(?s)\nprofiles:.*", "\n");

    EffectivePolicy p = resolve(name, org, TASK);

    assertThat(p.profile()).contains(name);
    assertThat(decision(p, "deploy.*")).isEqualTo(GateDecision.DENY);
  }

  @Test
  void theReviewAgentHasNoWriteToolsAndCannotPush() throws Exception {
    EffectivePolicy p = resolve("review-agent", TASK);

    assertThat(p.hooks().tools()).anySatisfy(t -> {
      assertThat(t.action()).isEqualTo("tool.write");
      assertThat(t.decision()).isEqualTo(GateDecision.DENY);
    });
    assertThat(decision(p, "git.push")).isEqualTo(GateDecision.DENY);
    assertThat(decision(p, "github.contents.write")).isEqualTo(GateDecision.DENY);
    assertThat(decision(p, "github.pr.merge")).isEqualTo(GateDecision.DENY);
  }

  @Test
  void theOpsAgentRecordsPromptsInFullAndNeverPushes() throws Exception {
    EffectivePolicy p = resolve("ops-agent", TASK);

    assertThat(p.hooks().prompts()).isEqualTo(PromptRecording.FULL);
    assertThat(decision(p, "git.push")).isEqualTo(GateDecision.DENY);
  }

  @Test
  void theCodingAgentKeepsTheBuiltInPushToItsTaskBranchButRefusesForcePushesAndWorkflowEdits() throws Exception {
    EffectivePolicy p = resolve("coding-agent", TASK);

    assertThat(decision(p, "git.push")).isNull();
    assertThat(p.hooks().tools()).extracting(ToolRule::match).contains("git push --force*", ".github/workflows/**");
  }

  @Test
  void aCeilingsOwnProfileOfTheSameNameWins() throws Exception {
    String org = "apiVersion: taskbound.dev/v1\nkind: Ceiling\nprofiles:\n  review-agent: {ttl: 5m}\n";

    EffectivePolicy p = resolve("review-agent", org, TASK);

    assertThat(p.ttl()).hasMinutes(5);
    assertThat(p.hooks().agents()).isEmpty();
  }
}
