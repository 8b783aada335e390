package dev.taskbound.action;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.taskbound.core.ExitCodes;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ActionInputsTest {

  private static final Map<String, String> MINIMAL =
      Map.of("INPUT_TASK", "FIX-123", "INPUT_POLICY-FILE", "taskbound/policy.yml", "INPUT_COMMAND", "make test",
          "INPUT_AGENT-IMAGE", "node:20-bookworm");

  @Test
  void readsHyphenatedInputNamesAsTheRunnerSetsThem() {
    Map<String, String> env =
        Map.of(
            "INPUT_TASK", " FIX-123 ",
            "INPUT_POLICY-FILE", "taskbound/policy.yml",
            "INPUT_PROFILE", "coding-agent",
            "INPUT_COMMAND", "claude -p 'fix it'",
            "INPUT_SANDBOX", "container",
            "INPUT_AGENT-IMAGE", "ghcr.io/acme/agent:1.2@sha256:0a1b",
            "INPUT_TTL", "45m",
            "INPUT_EVIDENCE-DIR", "out/evidence");

    ActionInputs inputs = ActionInputs.parse(env);

    assertThat(inputs)
        .isEqualTo(
            new ActionInputs(
                "FIX-123",
                List.of("taskbound/policy.yml"),
                Optional.of("coding-agent"),
                "claude -p 'fix it'",
                Optional.of("container"),
                Optional.of("ghcr.io/acme/agent:1.2@sha256:0a1b"),
                Optional.of("45m"),
                "out/evidence"));
  }

  @Test
  void ignoresUnderscoreSpellingOfHyphenatedInput() {
    Map<String, String> env = Map.of("INPUT_TASK", "FIX-1", "INPUT_POLICY_FILE", "p.yml", "INPUT_COMMAND", "true");

    assertThatThrownBy(() -> ActionInputs.parse(env))
        .isInstanceOf(ActionInputException.class)
        .hasMessageStartingWith("input 'policy-file' is required");
  }

  @Test
  void namesInputVariablesUpperCasedWithSpacesAsUnderscoresAndHyphensKept() {
    assertThat(ActionInputs.variableFor("policy-file")).isEqualTo("INPUT_POLICY-FILE");
    assertThat(ActionInputs.variableFor("my input")).isEqualTo("INPUT_MY_INPUT");
  }

  @Test
  void splitsPolicyFilesOnLinesAndCommasDroppingBlanks() {
    Map<String, String> env = new HashMap<>(MINIMAL);
    env.put("INPUT_POLICY-FILE", "org/base.yml\n\n  team.yml , task.yml\r\n");

    ActionInputs inputs = ActionInputs.parse(env);

    assertThat(inputs.policyFiles()).containsExactly("org/base.yml", "team.yml", "task.yml");
  }

  @Test
  void leavesOptionalInputsEmptyAndDefaultsEvidenceDirAndTheContainerSandbox() {
    Map<String, String> env = new HashMap<>(MINIMAL);
    env.put("INPUT_PROFILE", "   ");
    env.put("INPUT_SANDBOX", "");

    ActionInputs inputs = ActionInputs.parse(env);

    assertThat(inputs.profile()).isEmpty();
    assertThat(inputs.sandbox()).contains("container");
    assertThat(inputs.ttl()).isEmpty();
    assertThat(inputs.evidenceDir()).isEqualTo("taskbound-evidence");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          INPUT_TASK        | ''          | input 'task' is required: set it to the approved task ID, e.g. 'task: FIX-123'
          INPUT_POLICY-FILE | ' , \n '    | input 'policy-file' is required: set it to one or more workspace-relative policy files, one per line or comma-separated
          INPUT_COMMAND     | '  '        | input 'command' is required: set it to the agent command, which runs with 'sh -c'
          INPUT_SANDBOX     | docker      | input 'sandbox' is 'docker': accepted values are netns, container, proxy, or empty for container
          INPUT_SANDBOX     | NETNS       | input 'sandbox' is 'NETNS': accepted values are netns, container, proxy, or empty for container
          INPUT_AGENT-IMAGE | '-v /:/host'| input 'agent-image' is '-v /:/host': give an image reference the runner's Docker daemon has, e.g. 'node:20-bookworm' or 'ghcr.io/acme/agent@sha256:...' (letters, digits and . _ / : @ -)
          INPUT_AGENT-IMAGE | node 20     | input 'agent-image' is 'node 20': give an image reference the runner's Docker daemon has, e.g. 'node:20-bookworm' or 'ghcr.io/acme/agent@sha256:...' (letters, digits and . _ / : @ -)
          INPUT_EVIDENCE-DIR| /tmp/ev     | input 'evidence-dir' is '/tmp/ev': give a path relative to the workspace, e.g. 'taskbound-evidence'
          INPUT_EVIDENCE-DIR| ../home/x   | input 'evidence-dir' is '../home/x': give a path relative to the workspace, e.g. 'taskbound-evidence'
          INPUT_EVIDENCE-DIR| a/../../x   | input 'evidence-dir' is 'a/../../x': give a path relative to the workspace, e.g. 'taskbound-evidence'
          INPUT_EVIDENCE-DIR| 'ev\nbundle=x' | input 'evidence-dir' is 'ev\\nbundle=x': give a path relative to the workspace of at most 200 letters, digits and . _ - /, e.g. 'taskbound-evidence'
          """)
  void rejectsBadInputNamingItAndWhatIsAccepted(String variable, String value, String message) {
    Map<String, String> env = new HashMap<>(MINIMAL);
    env.put(variable, value.replace("\\n", "\n"));

    ActionInputException thrown = assertThrows(ActionInputException.class, () -> ActionInputs.parse(env));

    assertThat(thrown.problems()).containsExactly(message);
    assertThat(thrown.getMessage()).isEqualTo(message);
    assertThat(thrown.exitCode()).isEqualTo(ExitCodes.USAGE);
  }

  @Test
  void rejectsAgentImageForBackendsThatRunNoContainer() {
    Map<String, String> env = new HashMap<>(MINIMAL);
    env.put("INPUT_SANDBOX", "netns");
    env.put("INPUT_AGENT-IMAGE", "node:20");

    ActionInputException thrown = assertThrows(ActionInputException.class, () -> ActionInputs.parse(env));

    assertThat(thrown.problems())
        .containsExactly(
            "input 'agent-image' is set but 'sandbox' is 'netns': the agent image is used only by the container"
                + " backend; set 'sandbox: container' (or leave it empty) or remove 'agent-image'");
  }

  @Test
  void saysHowToProvideTheAgentImageWhenTheContainerSandboxHasNone() {
    Map<String, String> env = new HashMap<>(MINIMAL);
    env.remove("INPUT_AGENT-IMAGE");

    ActionInputException thrown = assertThrows(ActionInputException.class, () -> ActionInputs.parse(env));

    assertThat(thrown.problems()).containsExactly("input 'agent-image' is required with the container sandbox: build or"
        + " pull the agent's image in an earlier step (e.g. 'run: docker build -t my-agent:ci .agent' or 'run: docker pull"
        + " node:20-bookworm') and set 'agent-image: my-agent:ci'; the action never pulls it");
  }

  @Test
  void needsNoAgentImageForOtherBackendsOrWhenTheCoreVariableNamesOne() {
    Map<String, String> netns = new HashMap<>(MINIMAL);
    netns.remove("INPUT_AGENT-IMAGE");
    netns.put("INPUT_SANDBOX", "netns");
    Map<String, String> fromVariable = new HashMap<>(MINIMAL);
    fromVariable.remove("INPUT_AGENT-IMAGE");
    fromVariable.put("TASKBOUND_AGENT_IMAGE", "node:20");

    assertThat(ActionInputs.parse(netns).sandbox()).contains("netns");
    assertThat(ActionInputs.parse(fromVariable).agentImage()).isEmpty();
  }

  @Test
  void acceptsAgentImageWhenThePolicyChoosesTheBackend() {
    Map<String, String> env = new HashMap<>(MINIMAL);
    env.put("INPUT_AGENT-IMAGE", " taskbound/escape-agent:bookworm ");

    assertThat(ActionInputs.parse(env).agentImage()).contains("taskbound/escape-agent:bookworm");
  }

  @Test
  void reportsEveryBadInputAtOnce() {
    Map<String, String> env = Map.of("INPUT_SANDBOX", "gvisor");

    ActionInputException thrown = assertThrows(ActionInputException.class, () -> ActionInputs.parse(env));

    assertThat(thrown.problems())
        .hasSize(4)
        .allSatisfy(p -> assertThat(p).startsWith("input '"))
        .extracting(p -> p.substring(0, p.indexOf("' ") + 1))
        .containsExactly("input 'task'", "input 'policy-file'", "input 'command'", "input 'sandbox'");
  }
}
