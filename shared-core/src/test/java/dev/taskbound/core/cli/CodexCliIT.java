package dev.taskbound.core.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskbound.core.testing.AgentCliRun;
import dev.taskbound.core.testing.AgentCliRun.Result;
import dev.taskbound.core.testing.AgentOwner;
import dev.taskbound.core.testing.ResponsesApiStandIn;
import dev.taskbound.core.testing.RunArtifacts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 19: the real Codex CLI ({@code @openai/codex}, pinned, installed by
 * {@code scripts/test-prerequisites.sh} into {@value #CODEX_PREFIX}) runs in the netns sandbox
 * through {@code bin/taskbound} and the shaded jar as docs/agents.md shows: {@code codex exec} found
 * on the agent's PATH, pointed by {@code -c model_providers...} at {@link ResponsesApiStandIn} on
 * loopback over TLS ({@code api.openai.com} pinned to 127.0.0.1, the test CA trusted through
 * {@code SSL_CERT_FILE}), scripted to have the shell write a workspace file and curl a host the
 * policy does not allow. Codex's own sandbox is off: it would need user namespaces, which the
 * envelope withholds from the agent; the envelope is the sandbox.
 */
@Timeout(300)
class CodexCliIT {
  static final String CODEX_PREFIX = "/opt/taskbound-test/codex";
  private static final Path REPO = Path.of(System.getProperty("taskbound.repo.root")).toAbsolutePath().normalize();
  private static final Path JAR = Path.of(System.getProperty("taskbound.jar"));

  @TempDir Path work;

  @Test
  void codexExecCompletesInTheSandboxWithTheModelAllowedAndABlockedHostDeniedAndNamed() throws Exception {
    Path codexBin = Path.of(CODEX_PREFIX, "bin");
    assertThat(codexBin.resolve("codex")).as("Codex is installed by scripts/test-prerequisites.sh").isExecutable();
    Path workspace = Files.createDirectories(work.resolve("workspace"));
    Path out = work.resolve("evidence");
    int port;
    // The CA goes in the workspace: the sandbox has a private /tmp and sees no other test path.
    try (ResponsesApiStandIn api = ResponsesApiStandIn.start(Files.createDirectories(workspace.resolve(".stand-in")), 0)) {
      AgentOwner.own(workspace);
      port = api.port();
      Path policy = Files.writeString(work.resolve("codex.yml"), "apiVersion: taskbound.dev/v1\nkind: Task\nspec:\n"
          + "  ttl: 5m\n  sandbox: {backends: [netns]}\n  egress:\n    allow: [\"api.openai.com:" + port + "\"]\n"
          + "    hosts: {api.openai.com: 127.0.0.1}\n");
      Map<String, String> env = Map.of(
          "PATH", codexBin + ":" + System.getenv("PATH"),
          "HOME", Files.createDirectories(work.resolve("home")).toString(),
          "OPENAI_API_KEY", "sk-proj-stand-in-key-not-a-real-one",
          "SSL_CERT_FILE", api.caPem().toString());

      Result run = AgentCliRun.run(work, JAR, workspace, env, List.of(REPO.resolve("bin/taskbound").toString(), "run",
          "--task", "CODEX-1", "--policy", policy.toString(), "--out", out.toString(),
          "--pass-env", "OPENAI_API_KEY,SSL_CERT_FILE", "--",
          "codex", "exec", "--skip-git-repo-check", "--dangerously-bypass-approvals-and-sandbox",
          "-c", "model_provider=taskbound-test",
          "-c", "model_providers.taskbound-test={name=\"stand-in\",base_url=\"https://api.openai.com:" + port
              + "/v1\",env_key=\"OPENAI_API_KEY\",wire_api=\"responses\"}",
          "Write agent-wrote.txt and try blocked.test"));

      System.out.println("stand-in requests: " + api.requests() + "\ntool outputs: " + api.toolOutputs());
      assertThat(run.status()).as(run.output()).isZero();
      assertThat(run.output()).contains(ResponsesApiStandIn.FINAL_TEXT)
          .contains("taskbound: denied blocked.test:443 — to allow it, add \"blocked.test\" to spec.egress.allow\n");
      assertThat(api.toolCalls()).as(api.requests().toString()).isEqualTo(1);
      assertThat(api.finals()).as(api.requests().toString()).isEqualTo(1);
      // The shell ran in the sandbox and its curl got the gateway's refusal, which Codex sent back.
      assertThat(api.toolOutputs()).singleElement().asString().contains("curl-exit=").doesNotContain("curl-exit=0");
    }
    assertThat(workspace.resolve("agent-wrote.txt")).hasContent("written by the agent");
    assertThat(Files.getOwner(workspace.resolve("agent-wrote.txt")).getName()).isNotEqualTo("root");
    assertThat(RunArtifacts.bundleText(out, "events.jsonl"))
        .containsPattern("\\{\"data\":\\{\"address\":\"127\\.0\\.0\\.1\",\"host\":\"api\\.openai\\.com\",[^\\n]*\"port\":"
            + port + ",[^\\n]*\"type\":\"egress\\.allowed\"")
        .containsPattern("\\{\"data\":\\{\"host\":\"blocked\\.test\",[^\\n]*\"type\":\"egress\\.denied\"");
  }
}
