package dev.taskbound.core.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 16: {@code regulated: true} on a ceiling or profile tightens every listed item, and no task switches it off. */
class RegulatedPolicyTest {
  /** A regulated Ceiling that satisfies every requirement: a signer, GitHub's hosts inspected. */
  static final String CEILING = """
      apiVersion: taskbound.dev/v1
      kind: Ceiling
      spec:
        regulated: true
        egress:
          allow: [github.com, api.github.com]
          inspect: [github.com, api.github.com]
        github:
          repositories: [acme/app]
          permissions: {contents: write}
        gate:
          rules:
            - {action: "git.*", decision: allow}
        evidence:
          signer:
            vault-transit: {mount: transit, key: taskbound-evidence}
      """;
  static final String TASK = "apiVersion: taskbound.dev/v1\nkind: Task\n";

  @TempDir Path dir;

  private EffectivePolicy resolve(String ceiling, String task) throws Exception {
    List<Path> files = new ArrayList<>();
    if (ceiling != null) {
      files.add(Files.writeString(dir.resolve("org.yml"), ceiling));
    }
    files.add(Files.writeString(dir.resolve("task.yml"), task));
    return PolicyResolver.resolve(files, Optional.empty());
  }

  private static Map<String, GateDecision> rules(EffectivePolicy p) {
    return p.gateRules().stream().collect(Collectors.toMap(GateRule::action, GateRule::decision));
  }

  @Test
  void aRegulatedCeilingRecordsPromptsInFullRunsOnlyInContainersAndNeedsApprovalForEveryWrite() throws Exception {
    EffectivePolicy p = resolve(CEILING, TASK);

    assertThat(p.hooks().regulated()).isTrue();
    assertThat(p.hooks().prompts()).isEqualTo(PromptRecording.FULL);
    assertThat(p.backends()).containsExactly(SandboxBackend.CONTAINER);
    assertThat(rules(p)).containsEntry("git.push", GateDecision.APPROVE)
        .containsEntry("github.pr.create", GateDecision.APPROVE)
        .containsEntry("github.issue.comment", GateDecision.APPROVE)
        .containsEntry("github.contents.write", GateDecision.APPROVE)
        .containsEntry("package.publish", GateDecision.APPROVE)
        // git.* allows it, so regulated work raises it to approve
        .containsEntry("git.ref.delete", GateDecision.APPROVE)
        // denied by the built-in default, and regulated work never loosens a default
        .doesNotContainKeys("github.pr.merge", "github.release.create", "github.workflow.dispatch");
    assertThat(p.provenanceOf("regulated").map(Object::toString)).hasValueSatisfying(s -> assertThat(s).endsWith("org.yml:4"));
  }

  @Test
  void regulatedWorkMakesAPushToTheTaskBranchNeedApprovalAndLeavesAPushToMainDenied() throws Exception {
    // given a regulated Ceiling whose only rule is "*: allow" (no rule names git.push itself)
    EffectivePolicy p = resolve(CEILING.replace("\"git.*\"", "\"*\""), TASK);
    dev.taskbound.core.gate.ActionRules rules = dev.taskbound.core.gate.ActionRules.of(p, "T-1");

    // then the approve regulated work added keeps the built-in default's limits
    assertThat(rules.decide("git.push", "refs/heads/taskbound/T-1/work").decision()).isEqualTo(GateDecision.APPROVE);
    assertThat(rules.decide("git.push", "refs/heads/main").decision()).isEqualTo(GateDecision.DENY);
    assertThat(rules.decide("github.contents.write", "main").decision()).isEqualTo(GateDecision.DENY);
    assertThat(rules.decide("github.contents.write", "").decision()).isEqualTo(GateDecision.DENY);
    assertThat(rules.decide("github.contents.write", "taskbound/T-1/x").decision()).isEqualTo(GateDecision.APPROVE);
  }

  @Test
  void aTaskCannotSwitchRegulatedWorkOff() {
    assertThatThrownBy(() -> resolve(CEILING, TASK + "spec:\n  regulated: false\n"))
        .isInstanceOf(PolicyException.class)
        .hasMessage(dir.resolve("task.yml") + ":4: spec.regulated: false would switch off regulated work ("
            + dir.resolve("org.yml") + ":4: spec.regulated: true); accepted: true or none");
  }

  @Test
  void aTaskCannotRecordPromptsLessThanInFull() {
    assertThatThrownBy(() -> resolve(CEILING, TASK + "spec:\n  gate:\n    prompts: hash\n"))
        .isInstanceOf(PolicyException.class)
        .hasMessageStartingWith(dir.resolve("task.yml") + ":5: spec.gate.prompts: hash records less than full (" + dir.resolve("org.yml") + ":4");
  }

  @Test
  void aTaskCannotAskForTheNetnsBackend() {
    assertThatThrownBy(() -> resolve(CEILING, TASK + "spec:\n  sandbox:\n    backends: [netns]\n"))
        .isInstanceOf(PolicyException.class)
        .hasMessageStartingWith(dir.resolve("task.yml") + ":5: spec.sandbox.backends[0]: netns widens the ceiling (" + dir.resolve("org.yml") + ":4");
  }

  @Test
  void aTaskCannotAllowAWriteActionWithoutApproval() {
    assertThatThrownBy(() -> resolve(CEILING, TASK + "spec:\n  gate:\n    rules:\n      - {action: git.push, decision: allow}\n"))
        .isInstanceOf(PolicyException.class)
        .hasMessageContaining("spec.gate.rules[0].decision: allow loosens git.push (" + dir.resolve("org.yml") + ":4 requires at least approve");
  }

  @Test
  void theRegulatedLayerItselfCannotRecordLessThanFull() {
    assertThatThrownBy(() -> resolve(CEILING.replace("  gate:\n", "  gate:\n    prompts: hash\n"), TASK))
        .isInstanceOf(PolicyException.class)
        .hasMessage(dir.resolve("org.yml") + ":12: spec.gate.prompts: hash falls short of regulated work ("
            + dir.resolve("org.yml") + ":4: spec.regulated: true requires full); accepted: full");
  }

  @Test
  void regulatedWorkNeedsACeilingThatAllowsTheContainerBackend() {
    assertThatThrownBy(() -> resolve(CEILING.replace("  egress:\n", "  sandbox: {backends: [netns]}\n  egress:\n"), TASK))
        .isInstanceOf(PolicyException.class)
        .hasMessageContaining("netns falls short of regulated work")
        .hasMessageContaining("requires the container backend");
  }

  @Test
  void regulatedWorkNeedsTheOrgEvidenceSigner() {
    String noSigner = CEILING.substring(0, CEILING.indexOf("  evidence:"));

    assertThatThrownBy(() -> resolve(noSigner, TASK))
        .isInstanceOf(PolicyException.class)
        .hasMessageContaining("spec.regulated: true requires the org evidence signer, and no evidence.signer is set");
  }

  @Test
  void regulatedWorkNeedsEveryHostThatCarriesACredentialInspected() {
    String githubNotInspected = CEILING.replace("    inspect: [github.com, api.github.com]\n", "    inspect: [github.com]\n");

    assertThatThrownBy(() -> resolve(githubNotInspected, TASK))
        .isInstanceOf(PolicyException.class)
        .hasMessageContaining("requires inspection of every host that carries a credential; egress.inspect lacks"
            + " api.github.com (carrying the GitHub token");
  }

  @Test
  void aRegulatedProfileTightensOnlyWhenSelected() throws Exception {
    String ceiling = CEILING.replace("  regulated: true\n", "")
        + "profiles:\n  audited: {regulated: true}\n";

    EffectivePolicy plain = resolve(ceiling, TASK);
    EffectivePolicy audited = resolve(ceiling, TASK + "profile: audited\n");

    assertThat(plain.hooks().regulated()).isFalse();
    assertThat(plain.hooks().prompts()).isEqualTo(PromptRecording.HASH);
    assertThat(audited.hooks().regulated()).isTrue();
    assertThat(audited.hooks().prompts()).isEqualTo(PromptRecording.FULL);
    assertThat(audited.backends()).containsExactly(SandboxBackend.CONTAINER);
    assertThat(rules(audited)).containsEntry("git.push", GateDecision.APPROVE);
  }
}
