package dev.taskbound.core.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.taskbound.core.evidence.BundleVerifier;
import dev.taskbound.core.testing.AgentOwner;
import dev.taskbound.core.testing.CliProcess;
import dev.taskbound.core.testing.LocalApi;
import dev.taskbound.core.testing.RunArtifacts;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code taskbound run --sandbox container} with a real Docker engine (started by
 * scripts/docker-test-env.sh) and an agent image that holds nothing of ours: the agent reaches an
 * allowed host only through the gateway, is refused another, and leaves no container behind.
 */
@Timeout(180)
class ContainerRunTest {
  private static final String IMAGE = "taskbound/debian-base:bookworm";

  @TempDir Path work;
  /** Outside the workspace: the agent container sees nothing of it but what the session mounts. */
  @TempDir Path runtime;
  private HttpServer api;

  @BeforeEach
  void startLocalApi() throws IOException {
    api = LocalApi.serving("api says hello\n");
  }

  @AfterEach
  void stopLocalApi() {
    api.stop(0);
  }

  @Test
  void agentContainerReachesOnlyWhatThePolicyAllowsAndLeavesNoContainer() throws Exception {
    int port = api.getAddress().getPort();
    AgentOwner.own(work); // the agent runs as the workspace's owner, never root
    Path policy = Files.writeString(work.resolve("p.yml"), String.join("\n",
        "apiVersion: taskbound.dev/v1",
        "kind: Task",
        "spec:",
        "  ttl: 5m",
        "  sandbox:",
        "    backends: [container]",
        "  egress:",
        "    allow: [\"api.test:" + port + "\"]",
        "    hosts: {api.test: 127.0.0.1}",
        "  registries:",
        "    - {kind: npm, url: 'https://npm.mirror.example/'}",
        ""));
    // bash's /dev/tcp speaks plain HTTP to the proxy the sandbox names: no client of ours in the image.
    String agent = String.join("\n",
        "proxy=${HTTP_PROXY#http://}; host=${proxy%:*}; pport=${proxy##*:}",
        "ask() { exec 3<>/dev/tcp/$host/$pport || return 1;"
            + " printf 'GET http://%s/ HTTP/1.1\\r\\nHost: %s\\r\\nConnection: close\\r\\n\\r\\n' \"$1\" \"$1\" >&3;"
            + " cat <&3; exec 3<&-; }",
        "ask api.test:" + port,
        "ask blocked.test:80 | head -1",
        "sed 's/^/npmrc: /' \"$NPM_CONFIG_USERCONFIG\"", // the session's npm configuration, mounted for the agent
        "exit 7",
        "");
    Map<String, String> env = Map.of(
        "TASKBOUND_HOME", work.resolve("home").toString(), "TASKBOUND_RUNTIME_DIR", runtime.toString());

    try (CliProcess run = CliProcess.start(work, env, "run", "--task", "C-1", "--policy", policy.toString(),
        "--sandbox", "container", "--image", IMAGE, "--out", work.resolve("out").toString(), "--", "bash", "-c", agent)) {
      int status = run.waitFor(Duration.ofSeconds(120));

      assertThat(status).as(run.stdout() + run.stderr()).isEqualTo(7);
      assertThat(run.stdout()).contains("api says hello").contains("403").contains("npmrc: registry=https://npm.mirror.example/");
      assertThat(run.stderr()).contains("container sandbox").contains("denied blocked.test:80");
      assertThat(BundleVerifier.verify(RunArtifacts.onlyBundle(work.resolve("out"))).valid()).isTrue();
      // CliProcess runs the CLI without --add-opens: its sandbox forwards, and the evidence says why.
      assertThat(RunArtifacts.bundleText(work.resolve("out"), "events.jsonl"))
          .contains("\"gateway.sandbox_port_forwarded\"", "java.base/sun.nio.ch")
          // the agent container's floor (issue 11, item 6)
          .contains("\"sandbox.started\"", "\"read_only_root\":true", "\"capabilities\":\"none (--cap-drop ALL)\"",
              "\"uid\":" + Files.getAttribute(work, "unix:uid"), "\"image_digest\":\"sha256:", "\"pids\":4096")
          .doesNotContain("gateway.sandbox_port_taken");
      assertThat(containersLabelled()).isEmpty();
    }
  }

  private String containersLabelled() throws IOException, InterruptedException {
    Process p = new ProcessBuilder("docker", "ps", "-aq", "--filter", "label=dev.taskbound.session").start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    return out;
  }
}
