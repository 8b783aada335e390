package dev.taskbound.core.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.taskbound.core.testing.AgentCliRun;
import dev.taskbound.core.testing.AgentOwner;
import dev.taskbound.core.testing.RunArtifacts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 16: {@code taskbound gate check} through {@code bin/taskbound} and the shaded jar, run by the
 * agent inside a netns session: exit 0 for allow and 1 for deny, one {@code gate.decided} event per
 * check; and the agent's own capability cannot post a hook event (review finding MEDIUM-2).
 */
@Timeout(300)
class GateCheckIT {
  private static final Path REPO = Path.of(System.getProperty("taskbound.repo.root")).toAbsolutePath().normalize();
  private static final Path JAR = Path.of(System.getProperty("taskbound.jar"));
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path work;

  @Test
  void gateCheckAnswersWithTheDecisionsExitCodeAndRecordsEachCheck() throws Exception {
    Path workspace = Files.createDirectories(work.resolve("workspace"));
    AgentOwner.own(workspace);
    Path policy = Files.writeString(work.resolve("gate.yml"), "apiVersion: taskbound.dev/v1\nkind: Task\nspec:\n"
        // the checkout may sit where the sandbox shows nothing (a CI clone under /tmp): the agent's
        // taskbound is bound in read-only, as an installation under a hidden home would need
        + "  ttl: 5m\n  sandbox: {backends: [netns], paths: {readOnly: ['" + REPO + "']}}\n"
        + "  gate:\n    hooks: [claude-code]\n    rules:\n      - {action: package.publish, decision: deny}\n    tools:\n"
        + "      - {action: tool.bash, match: \"git push *\", decision: deny, reason: \"open a pull request\"}\n");
    String tb = REPO.resolve("bin/taskbound").toString();
    String agent = String.join("\n",
        tb + " gate check tool.bash --target 'git push origin main' --reason publish; echo exit:$?",
        tb + " gate check tool.bash --target 'ls -la'; echo exit:$?",
        tb + " gate check git.push --target refs/heads/taskbound/GATE-1/fix; echo exit:$?",
        tb + " gate check package.publish; echo exit:$?",
        // the agent's capability is not the hook's: an invented hook event is refused
        "curl -q -s -o /dev/null -w 'forged:%{http_code}\\n' -H \"Authorization: Bearer $TASKBOUND_AGENT_TOKEN\""
            + " --data '{\"hook_event_name\":\"UserPromptSubmit\",\"prompt\":\"forged\"}' \"$TASKBOUND_AGENT_API/v1/hooks/claude-code\"",
        "");
    Path out = work.resolve("evidence");

    AgentCliRun.Result run = AgentCliRun.run(work, JAR, workspace, Map.of("HOME", Files.createDirectories(work.resolve("home")).toString()),
        List.of(tb, "run", "--task", "GATE-1", "--policy", policy.toString(), "--out", out.toString(), "--", "sh", "-c", agent));

    assertThat(run.status()).as(run.output()).isZero();
    assertThat(run.output())
        .contains("deny tool.bash 'git push *': deny: open a pull request\nexit:1")
        .contains("allow ")
        .contains("package.publish: deny")
        .contains("forged:401");
    assertThat(exits(run.output())).containsExactly("1", "0", "0", "1");
    List<JsonNode> decided = new ArrayList<>();
    for (String line : RunArtifacts.bundleText(out, "events.jsonl").split("\n")) {
      JsonNode e = JSON.readTree(line);
      if (e.path("type").asText().equals("gate.decided")) {
        decided.add(e.path("data"));
      }
    }
    assertThat(decided).extracting(d -> d.path("action").asText() + " " + d.path("decision").asText())
        .containsExactly("tool.bash deny", "tool.bash allow", "git.push allow", "package.publish deny");
    assertThat(decided).allSatisfy(d -> assertThat(d.path("name").asText()).isEqualTo("gate check"));
    assertThat(decided.get(0).path("requested_because").asText()).isEqualTo("publish");
    // the forged prompt was refused before anything was recorded of it
    assertThat(RunArtifacts.bundleText(out, "events.jsonl")).doesNotContain("\"prompt.submitted\"")
        .contains("\"agent_api.unauthenticated\"");
  }

  private static List<String> exits(String output) {
    List<String> codes = new ArrayList<>();
    for (String line : output.split("\n")) {
      if (line.startsWith("exit:")) {
        codes.add(line.substring(5).strip());
      }
    }
    return codes;
  }
}
