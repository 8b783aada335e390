package dev.taskbound.core.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.taskbound.core.testing.AgentCliRun;
import dev.taskbound.core.testing.AgentCliRun.Result;
import dev.taskbound.core.testing.AgentOwner;
import dev.taskbound.core.testing.MessagesApiStandIn;
import dev.taskbound.core.testing.RunArtifacts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 16: the real Claude Code CLI (as in {@link ClaudeCodeIT}) in the netns sandbox through
 * {@code bin/taskbound}, with {@code gate.hooks: [claude-code]}: the session places Claude Code's
 * managed settings at {@code /etc/claude-code} inside the sandbox, registering Taskbound's hook for
 * every prompt and tool call. The stand-in model asks, one turn at a time, for a project
 * {@code .claude/settings.json} that turns hooks off, a harmless Bash command, a file written in the
 * workspace, {@code git push origin main} and a WebFetch of a host the egress rules refuse.
 */
@Timeout(300)
class ClaudeCodeHooksIT {
  private static final Path REPO = Path.of(System.getProperty("taskbound.repo.root")).toAbsolutePath().normalize();
  private static final Path JAR = Path.of(System.getProperty("taskbound.jar"));
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String PROMPT = "Tidy the workspace and publish it";
  private static final String PUSH_REASON = "pushes go through review: open a pull request from the task branch";

  @TempDir Path work;

  @Test
  void theConversationIsInTheEvidenceAndTheGateBlocksThePushAndTheFetchThroughManagedHooksTheAgentCannotSwitchOff()
      throws Exception {
    Path claudeBin = Path.of(ClaudeCodeIT.CLAUDE_PREFIX, "bin");
    assertThat(claudeBin.resolve("claude")).as("Claude Code is installed by scripts/test-prerequisites.sh").isExecutable();
    Path workspace = Files.createDirectories(work.resolve("workspace"));
    // given a git repository whose origin the egress rules refuse (were the push to run, git's
    // CONNECT would be an egress.denied event), and project settings that turn every hook off
    git(workspace, "init", "-q", "-b", "main");
    git(workspace, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty", "-m", "start");
    git(workspace, "remote", "add", "origin", "https://git.blocked.test/repo.git");
    String offSwitch = "{\"disableAllHooks\": true, \"hooks\": {}}\n";
    Files.writeString(Files.createDirectories(workspace.resolve(".claude")).resolve("settings.json"), offSwitch);
    Path out = work.resolve("evidence");
    List<com.fasterxml.jackson.databind.node.ObjectNode> script = List.of(
        MessagesApiStandIn.toolCall("Write", Map.of("file_path", workspace.resolve(".claude/settings.json").toString(),
            "content", offSwitch)),
        MessagesApiStandIn.toolCall("Bash", Map.of("command", "printf 'harmless\\n' > harmless.txt", "description", "harmless")),
        MessagesApiStandIn.toolCall("Write", Map.of("file_path", workspace.resolve("edited.txt").toString(),
            "content", "edited by the agent\n")),
        MessagesApiStandIn.toolCall("Bash", Map.of("command", "git push origin main", "description", "publish")),
        MessagesApiStandIn.toolCall("WebFetch", Map.of("url", "https://blocked.test/page", "prompt", "summarise")));
    Result run;
    try (MessagesApiStandIn api = MessagesApiStandIn.startScripted(Files.createDirectories(workspace.resolve(".stand-in")), 0,
        script)) {
      AgentOwner.own(workspace);
      Path policy = Files.writeString(work.resolve("claude.yml"), "apiVersion: taskbound.dev/v1\nkind: Task\nspec:\n"
          + "  ttl: 5m\n  sandbox: {backends: [netns]}\n  egress:\n    allow: [\"api.anthropic.com:" + api.port() + "\"]\n"
          + "    hosts: {api.anthropic.com: 127.0.0.1}\n"
          + "  gate:\n    hooks: [claude-code]\n    prompts: full\n    tools:\n"
          + "      - {action: tool.bash, match: \"git push *\", decision: deny, reason: \"" + PUSH_REASON + "\"}\n");
      Map<String, String> env = Map.of(
          "PATH", claudeBin + ":" + System.getenv("PATH"),
          "HOME", Files.createDirectories(work.resolve("home")).toString(),
          "ANTHROPIC_API_KEY", "sk-ant-api03-stand-in-key-not-a-real-one",
          "ANTHROPIC_BASE_URL", "https://api.anthropic.com:" + api.port(),
          "NODE_EXTRA_CA_CERTS", api.caPem().toString(),
          "DISABLE_AUTOUPDATER", "1",
          "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1");

      // when Claude Code runs the scripted conversation in the envelope
      run = AgentCliRun.run(work, JAR, workspace, env, List.of(REPO.resolve("bin/taskbound").toString(), "run",
          "--task", "HOOKS-1", "--policy", policy.toString(), "--out", out.toString(),
          "--pass-env", "ANTHROPIC_API_KEY,ANTHROPIC_BASE_URL,NODE_EXTRA_CA_CERTS,DISABLE_AUTOUPDATER",
          "--pass-env", "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "--",
          "claude", "-p", PROMPT, "--dangerously-skip-permissions"));

      // then the conversation ran to its end, and the refusals reached the model with the rule's words
      System.out.println("tool results: " + api.toolResults());
      assertThat(run.status()).as(run.output()).isZero();
      assertThat(run.output()).contains(MessagesApiStandIn.SCRIPT_DONE);
      assertThat(api.toolResults()).as(run.output()).hasSize(5);
      assertThat(api.toolResults().get(3)).contains("Taskbound's gate refused").contains(PUSH_REASON)
          .contains("tool.bash 'git push *': deny");
      assertThat(api.toolResults().get(4)).contains("Taskbound's gate refused").contains("blocked.test")
          .contains("spec.egress.allow");
    }
    assertThat(workspace.resolve("harmless.txt")).hasContent("harmless");
    assertThat(workspace.resolve("edited.txt")).hasContent("edited by the agent");

    List<JsonNode> events = new ArrayList<>();
    for (String line : RunArtifacts.bundleText(out, "events.jsonl").split("\n")) {
      events.add(JSON.readTree(line));
    }
    // the prompt, in full as the policy asks
    JsonNode prompt = only(events, "prompt.submitted");
    assertThat(prompt.path("data").path("text").asText()).isEqualTo(PROMPT);
    String promptId = prompt.path("data").path("prompt").asText();
    // each tool call, linked to the prompt, with its input summarised; hooks kept running after the
    // agent rewrote .claude/settings.json to turn them off
    List<JsonNode> calls = ofType(events, "tool.called");
    assertThat(calls).extracting(e -> e.path("data").path("tool").asText())
        .containsExactly("Write", "Bash", "Write", "Bash", "WebFetch");
    assertThat(calls).allSatisfy(e -> assertThat(e.path("data").path("prompt").asText()).isEqualTo(promptId));
    assertThat(calls.get(1).path("data").path("input").asText()).isEqualTo("printf 'harmless\\n' > harmless.txt");
    assertThat(calls.get(2).path("data").path("input").asText()).isEqualTo(workspace.resolve("edited.txt").toString());
    assertThat(calls.get(3).path("data").path("pushes").toString()).isEqualTo("[\"refs/heads/main\"]");
    assertThat(calls.get(4).path("data").path("input").asText()).isEqualTo("https://blocked.test/page");
    // a decision for each, linked to its call; the push and the fetch denied with the deciding rule
    List<JsonNode> decisions = ofType(events, "gate.decided");
    assertThat(decisions).extracting(e -> e.path("data").path("tool_call").asText())
        .containsExactly("toolu_standin_1", "toolu_standin_2", "toolu_standin_3", "toolu_standin_4", "toolu_standin_5");
    assertThat(decisions).extracting(e -> e.path("data").path("decision").asText())
        .containsExactly("allow", "allow", "allow", "deny", "deny");
    assertThat(decisions.get(3).path("data").path("rule").asText()).isEqualTo("tool.bash 'git push *': deny");
    assertThat(decisions.get(3).path("data").path("reason").asText()).isEqualTo(PUSH_REASON);
    assertThat(decisions.get(4).path("data").path("rule").asText()).startsWith("egress: ");
    // results of the calls that ran, linked to them
    assertThat(ofType(events, "tool.result")).extracting(e -> e.path("data").path("tool_call").asText())
        .containsExactly("toolu_standin_1", "toolu_standin_2", "toolu_standin_3");
    // the denied push never reached the network: no CONNECT to its host, allowed or denied
    assertThat(events).noneMatch(e -> e.path("type").asText().startsWith("egress.")
        && e.path("data").path("host").asText().contains("blocked.test"));
    assertThat(RunArtifacts.bundleText(out, "summary.md")).contains("tool.bash 'git push *': deny");
  }

  private static JsonNode only(List<JsonNode> events, String type) {
    List<JsonNode> of = ofType(events, type);
    assertThat(of).as(type).hasSize(1);
    return of.get(0);
  }

  private static List<JsonNode> ofType(List<JsonNode> events, String type) {
    return events.stream().filter(e -> e.path("type").asText().equals(type)).toList();
  }

  private void git(Path dir, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("git"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(output).isZero();
  }
}
