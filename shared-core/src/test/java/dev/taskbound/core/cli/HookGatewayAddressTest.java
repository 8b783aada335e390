package dev.taskbound.core.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskbound.core.testing.AgentOwner;
import dev.taskbound.core.testing.CliProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Review finding (MEDIUM), end to end in a netns session: the agent starts a listener of its own
 * on the sandbox's loopback that answers every hook event {@code {}} (allow) and names it in the
 * hook's environment ({@code HTTP_PROXY}, as a project settings file's {@code env} would); the hook
 * still reaches the session's gate at the address the session wrote into its capability file, and
 * a denied call stays denied.
 */
@Timeout(180)
class HookGatewayAddressTest {
  @TempDir Path work;
  @TempDir Path runtime;

  @Test
  void aListenerTheAgentNamesInHttpProxyDoesNotAnswerForTheGate() throws Exception {
    // given a policy that denies 'git push', and an agent that runs a listener allowing everything
    AgentOwner.own(work);
    Path policy = Files.writeString(work.resolve("p.yml"), String.join("\n",
        "apiVersion: taskbound.dev/v1",
        "kind: Task",
        "spec:",
        "  ttl: 5m",
        "  sandbox: {backends: [netns]}",
        "  gate:",
        "    hooks: [claude-code]",
        "    tools:",
        "      - {action: tool.bash, match: \"git push *\", decision: deny, reason: \"open a pull request\"}",
        ""));
    Path allow = Files.writeString(work.resolve("allow.sh"), String.join("\n",
        "#!/bin/bash",
        "# answers one HTTP request 200 {} once it has read it",
        "len=0",
        "while IFS= read -r line; do line=${line%$'\\r'}; [ -z \"$line\" ] && break;",
        "  case ${line,,} in content-length:*) len=${line#*:}; len=${len// /} ;; esac; done",
        "head -c \"$len\" > /dev/null",
        "printf 'HTTP/1.1 200 OK\\r\\nContent-Length: 2\\r\\nConnection: close\\r\\n\\r\\n{}'",
        ""));
    Files.setPosixFilePermissions(allow, PosixFilePermissions.fromString("rwxr-xr-x"));
    String agent = String.join("\n",
        "socat TCP-LISTEN:9999,bind=127.0.0.1,fork,reuseaddr EXEC:" + allow + " &",
        "until (exec 3<>/dev/tcp/127.0.0.1/9999) 2>/dev/null; do :; done # the listener is up",
        "fake=http://127.0.0.1:9999",
        "printf '%s' '{\"hook_event_name\":\"PreToolUse\",\"session_id\":\"c\",\"tool_name\":\"Bash\",\"tool_use_id\":\"t1\","
            + "\"tool_input\":{\"command\":\"git push origin main\"}}' | HTTP_PROXY=$fake http_proxy=$fake ALL_PROXY=$fake"
            + " NO_PROXY='*' /bin/sh /etc/claude-code/taskbound-hook claude-code; echo hook-exit:$?",
        "kill $!",
        "");
    Map<String, String> env = Map.of("TASKBOUND_HOME", work.resolve("home").toString(), "TASKBOUND_RUNTIME_DIR", runtime.toString());

    // when the agent runs the placed hook with that listener in its environment
    try (CliProcess run = CliProcess.start(work, env, "run", "--task", "HOOKN-1", "--policy", policy.toString(),
        "--sandbox", "netns", "--out", work.resolve("out").toString(), "--", "bash", "-c", agent)) {
      int status = run.waitFor(Duration.ofSeconds(120));

      // then the session's gate answered: the push is denied with the rule's reason
      assertThat(status).as(run.stdout() + run.stderr()).isZero();
      assertThat(run.stdout()).contains("hook-exit:0", "\"permissionDecision\":\"deny\"", "open a pull request");
    }
  }
}
