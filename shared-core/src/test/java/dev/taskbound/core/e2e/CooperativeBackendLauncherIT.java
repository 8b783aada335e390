package dev.taskbound.core.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import dev.taskbound.core.broker.TestKeys;
import dev.taskbound.core.broker.github.GithubStubs;
import dev.taskbound.core.testing.CliProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cooperative {@code proxy} backend runs the agent as Taskbound's own user, which can read
 * {@code /proc/<taskbound>/environ}: {@code bin/taskbound run} refuses it while a long-lived host
 * credential sits in that environment, and runs it when none does.
 */
@Timeout(180)
class CooperativeBackendLauncherIT {
  private static final Duration WAIT = Duration.ofSeconds(120);
  @TempDir Path work;
  @RegisterExtension final CredentialApis apis = new CredentialApis();

  @Test
  void theProxyBackendIsRefusedWhileTheAppKeyFileIsInTaskboundsEnvironmentBeforeAnyTokenIsMinted() throws Exception {
    // Given: a cooperative policy that grants a GitHub token, and the host's App key file in the
    // environment (the GitHub API a loopback stand-in).
    WireMockServer github = apis.github();
    GithubStubs.stubApp(github);
    Path policy = apis.writeTask(work.resolve("coop-github.yml"), "");
    Files.writeString(policy, Files.readString(policy)
        .replace("backends: [netns]", "backends: [proxy]\n    enforcement: cooperative"));
    Path key = Files.writeString(work.resolve("app-key.pem"), TestKeys.pkcs1Pem(TestKeys.rsa()));
    Map<String, String> env = home();
    env.put("TASKBOUND_GITHUB_APP_ID", GithubStubs.APP_ID);
    env.put("TASKBOUND_GITHUB_APP_KEY_FILE", key.toString());
    env.put("TASKBOUND_GITHUB_API_URL", github.baseUrl());
    Path marker = work.resolve("agent-ran");

    // When: the run asks for it.
    try (CliProcess run = CliProcess.startLauncher(work, env, "run", "--task", "COOP-1", "--policy",
        policy.toString(), "--", "touch", marker.toString())) {

      // Then: one line naming the variable and the alternatives, exit 121, no token, no agent, no session.
      assertThat(run.waitFor(WAIT)).as(run.stderr()).isEqualTo(121);
      assertThat(run.stderr()).isEqualTo("taskbound: error: the proxy backend (enforcement: cooperative) runs the"
          + " agent as Taskbound's own user, which can read Taskbound's environment, and TASKBOUND_GITHUB_APP_KEY_FILE"
          + " is set there; accepted: the netns or container backend, or credentials issued"
          + " elsewhere ('taskbound credentials issue') and passed with --credentials-handoff, with these variables unset");
    }
    assertThat(github.getAllServeEvents()).as("no GitHub request").isEmpty();
    assertThat(marker).doesNotExist();
    assertThat(work.resolve("home/sessions")).satisfiesAnyOf(
        p -> assertThat(p).doesNotExist(), p -> assertThat(p).isEmptyDirectory());
  }

  @Test
  void theProxyBackendRunsWhenNoHostCredentialIsInTheEnvironment() throws Exception {
    Path marker = work.resolve("agent-ran");

    try (CliProcess run = CliProcess.startLauncher(work, home(), "run", "--task", "COOP-2", "--policy",
        cooperativePolicy().toString(), "--", "touch", marker.toString())) {

      assertThat(run.waitFor(WAIT)).as(run.stderr()).isZero();
      assertThat(run.stderr()).contains("WARNING: egress was NOT enforced");
    }
    assertThat(marker).exists();
  }

  private Map<String, String> home() {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("TASKBOUND_HOME", work.resolve("home").toString());
    env.put("TASKBOUND_RUNTIME_DIR", work.resolve("rt").toString());
    return env;
  }

  private Path cooperativePolicy() throws Exception {
    return Files.writeString(work.resolve("coop.yml"), String.join("\n",
        "apiVersion: taskbound.dev/v1",
        "kind: Task",
        "spec:",
        "  ttl: 10m",
        "  sandbox:",
        "    backends: [proxy]",
        "    enforcement: cooperative",
        ""));
  }
}
