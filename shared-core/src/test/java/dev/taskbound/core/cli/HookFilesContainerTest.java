package dev.taskbound.core.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskbound.core.testing.AgentOwner;
import dev.taskbound.core.testing.CliProcess;
import dev.taskbound.core.testing.RunArtifacts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 16: with the container backend and {@code gate.hooks: [claude-code]}, the hook files the
 * session places at {@code /etc/claude-code} in the agent container are there, read-only, cannot be
 * replaced, removed or unmounted by the agent, and the placed hook answers from the session.
 */
@Timeout(180)
class HookFilesContainerTest {
  private static final String IMAGE = "taskbound/debian-base:bookworm";

  @TempDir Path work;
  @TempDir Path runtime;

  @Test
  void thePlacedHookFilesAreReadOnlyInTheAgentContainerAndTheHookStillDecides() throws Exception {
    AgentOwner.own(work);
    Path policy = Files.writeString(work.resolve("p.yml"), String.join("\n",
        "apiVersion: taskbound.dev/v1",
        "kind: Task",
        "spec:",
        "  ttl: 5m",
        "  sandbox: {backends: [container]}",
        "  gate:",
        "    hooks: [claude-code]",
        "    tools:",
        "      - {action: tool.bash, match: \"git push *\", decision: deny, reason: \"open a pull request\"}",
        ""));
    String d = "/etc/claude-code";
    String agent = String.join("\n",
        "for f in managed-settings.json taskbound-hook taskbound-hook.bash hook-capability; do test -r " + d + "/$f && echo present:$f; done",
        "grep -q '\"allowManagedHooksOnly\" : true' " + d + "/managed-settings.json && echo managed-hooks-only",
        "(echo '{\"disableAllHooks\": true}' > " + d + "/managed-settings.json) 2>/dev/null && echo WROTE || echo settings-kept",
        "(: > " + d + "/extra.json) 2>/dev/null && echo CREATED || echo nothing-added",
        "rm -f " + d + "/taskbound-hook 2>/dev/null; test -e " + d + "/taskbound-hook && echo script-kept",
        "(umount " + d + ") 2>/dev/null && echo UNMOUNTED || echo mount-kept",
        "grep -c disableAllHooks " + d + "/managed-settings.json || true",
        "printf '%s' '{\"hook_event_name\":\"PreToolUse\",\"session_id\":\"c\",\"tool_name\":\"Bash\",\"tool_use_id\":\"t1\","
            + "\"tool_input\":{\"command\":\"git push origin main\"}}' | /bin/sh " + d + "/taskbound-hook claude-code; echo hook-exit:$?",
        "");
    Map<String, String> env = Map.of("TASKBOUND_HOME", work.resolve("home").toString(), "TASKBOUND_RUNTIME_DIR", runtime.toString());

    try (CliProcess run = CliProcess.start(work, env, "run", "--task", "HOOKC-1", "--policy", policy.toString(),
        "--sandbox", "container", "--image", IMAGE, "--out", work.resolve("out").toString(), "--", "bash", "-c", agent)) {
      int status = run.waitFor(Duration.ofSeconds(120));

      assertThat(status).as(run.stdout() + run.stderr()).isZero();
      assertThat(run.stdout()).contains("present:managed-settings.json", "present:taskbound-hook", "present:taskbound-hook.bash",
              "present:hook-capability", "managed-hooks-only", "settings-kept", "nothing-added", "script-kept", "mount-kept",
              "hook-exit:0", "\"permissionDecision\":\"deny\"", "open a pull request")
          .doesNotContain("WROTE", "CREATED", "UNMOUNTED");
      assertThat(RunArtifacts.bundleText(work.resolve("out"), "events.jsonl"))
          .contains("\"tool.called\"", "\"reported_by\":\"agent\"", "\"decision\":\"deny\"");
    }
  }
}
