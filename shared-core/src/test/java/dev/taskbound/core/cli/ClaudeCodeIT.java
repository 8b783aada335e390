package dev.taskbound.core.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskbound.core.testing.AgentCliRun;
import dev.taskbound.core.testing.AgentCliRun.Result;
import dev.taskbound.core.testing.MessagesApiStandIn;
import dev.taskbound.core.testing.RunArtifacts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 19: the real Claude Code CLI ({@code @anthropic-ai/claude-code}, pinned, installed by
 * {@code scripts/test-prerequisites.sh} into {@value #CLAUDE_PREFIX}) runs in the netns sandbox
 * through {@code bin/taskbound} and the shaded jar, exactly as the README's wrap example: a bare
 * {@code claude} found on the agent's PATH. The model is {@link MessagesApiStandIn} on loopback over
 * TLS ({@code api.anthropic.com} pinned to 127.0.0.1, its test CA trusted through
 * {@code NODE_EXTRA_CA_CERTS}), scripted to have the Bash tool write a workspace file and curl a
 * host the policy does not allow.
 *
 * <p>Claude Code refuses {@code --dangerously-skip-permissions} to uid 0; the envelope runs the
 * agent as the workspace's unprivileged owner, so the flag works here even though the test runs as
 * root (issue 19 item 3; the narrower {@code --allowedTools} works too, docs/agents.md).
 */
@Timeout(300)
class ClaudeCodeIT {
  static final String CLAUDE_PREFIX = "/opt/taskbound-test/claude-code";
  private static final Path REPO = Path.of(System.getProperty("taskbound.repo.root")).toAbsolutePath().normalize();
  private static final Path JAR = Path.of(System.getProperty("taskbound.jar"));

  @TempDir Path work;

  @Test
  void claudeCodeConversationCompletesInTheSandboxWithModelCallsAllowedAndABlockedHostDeniedAndNamed() throws Exception {
    Path claudeBin = Path.of(CLAUDE_PREFIX, "bin");
    assertThat(claudeBin.resolve("claude")).as("Claude Code is installed by scripts/test-prerequisites.sh").isExecutable();
    Path workspace = Files.createDirectories(work.resolve("workspace"));
    Path out = work.resolve("evidence");
    int port;
    // The stand-in's CA goes in the workspace: the sandbox has a private /tmp, so the agent sees no
    // other path of this test's; the agent runs as the workspace's (unprivileged) owner.
    try (MessagesApiStandIn api = MessagesApiStandIn.start(Files.createDirectories(workspace.resolve(".stand-in")), 0)) {
      dev.taskbound.core.testing.AgentOwner.own(workspace);
      port = api.port();
      Path policy = Files.writeString(work.resolve("claude.yml"), "apiVersion: taskbound.dev/v1\nkind: Task\nspec:\n"
          + "  ttl: 5m\n  sandbox: {backends: [netns]}\n  egress:\n    allow: [\"api.anthropic.com:" + api.port() + "\"]\n"
          + "    hosts: {api.anthropic.com: 127.0.0.1}\n");
      Map<String, String> env = Map.of(
          "PATH", claudeBin + ":" + System.getenv("PATH"),
          "HOME", Files.createDirectories(work.resolve("home")).toString(),
          "ANTHROPIC_API_KEY", "sk-ant-api03-stand-in-key-not-a-real-one",
          "ANTHROPIC_BASE_URL", "https://api.anthropic.com:" + api.port(),
          "NODE_EXTRA_CA_CERTS", api.caPem().toString(),
          "DISABLE_AUTOUPDATER", "1",
          "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1");

      Result run = run(workspace, env, List.of(REPO.resolve("bin/taskbound").toString(), "run", "--task", "CLAUDE-1",
          "--policy", policy.toString(), "--out", out.toString(),
          // the agent's environment is an allow-list: Claude Code's own settings are passed by name
          "--pass-env", "ANTHROPIC_API_KEY,ANTHROPIC_BASE_URL,NODE_EXTRA_CA_CERTS,DISABLE_AUTOUPDATER",
          "--pass-env", "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "--",
          "claude", "-p", "Write agent-wrote.txt and try blocked.test", "--dangerously-skip-permissions"));

      // What Claude Code called, for docs/agents.md and the anthropic preset.
      System.out.println("stand-in requests: " + api.requests());
      assertThat(run.status()).as(run.output()).isZero();
      assertThat(run.output()).contains(MessagesApiStandIn.FINAL_TEXT)
          .contains("taskbound: denied blocked.test:443 — to allow it, add \"blocked.test\" to spec.egress.allow\n");
      assertThat(api.toolUses()).as(api.requests().toString()).isEqualTo(1);
      assertThat(api.finals()).as(api.requests().toString()).isEqualTo(1);
      assertThat(api.requests()).contains("POST /v1/messages");
    }
    assertThat(workspace.resolve("agent-wrote.txt")).hasContent("written by the agent");
    assertThat(RunArtifacts.bundleText(out, "events.jsonl"))
        .containsPattern("\\{\"data\":\\{\"address\":\"127\\.0\\.0\\.1\",\"host\":\"api\\.anthropic\\.com\",[^\\n]*\"port\":"
            + port + ",[^\\n]*\"type\":\"egress\\.allowed\"")
        .containsPattern("\\{\"data\":\\{\"host\":\"blocked\\.test\",[^\\n]*\"type\":\"egress\\.denied\"");
    Path bundle;
    try (Stream<Path> files = Files.list(out)) {
      bundle = files.filter(p -> p.toString().endsWith(".zip")).findFirst().orElseThrow();
    }
    Result verify = run(work, Map.of(), List.of("java", "-jar", JAR.toString(), "verify", "--allow-unverified-signer",
        bundle.toString())); // integrity here; the host record is LauncherIT's
    assertThat(verify.status()).as(verify.output()).isZero();
    assertThat(verify.output()).startsWith("ok: ");
  }

  private Result run(Path dir, Map<String, String> env, List<String> command) throws IOException, InterruptedException {
    return AgentCliRun.run(work, JAR, dir, env, command);
  }
}
