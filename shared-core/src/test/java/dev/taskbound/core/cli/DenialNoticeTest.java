package dev.taskbound.core.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskbound.core.testing.CliProcess;
import dev.taskbound.core.testing.RunArtifacts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 19: a forgotten allow rule shows the moment it bites. A real {@code taskbound run} (child
 * JVM, netns sandbox, real curl through the gateway); every denied request ends at the gateway on
 * loopback, nothing is dialled.
 */
@Timeout(120)
class DenialNoticeTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final String BLOCKED_NOTICE =
      "taskbound: denied blocked.test:80 — to allow it, add \"blocked.test:80\" to spec.egress.allow";
  private static final String BLOCKED_BODY = "taskbound: egress to blocked.test:80 denied (no allow rule matches)."
      + " To allow it, add \"blocked.test:80\" to spec.egress.allow in your policy.";

  @TempDir Path work;
  private Path policy;

  @BeforeEach
  void policy() throws Exception {
    policy = Files.writeString(work.resolve("p.yml"),
        "apiVersion: taskbound.dev/v1\nkind: Task\nspec:\n  ttl: 5m\n  sandbox: {backends: [netns]}\n"
            + "  egress:\n    allow: [\"api.test:1\"]\n    hosts: {api.test: 127.0.0.1}\n");
  }

  private CliProcess taskbound(String task, String agentScript) throws Exception {
    return CliProcess.start(work,
        Map.of("TASKBOUND_HOME", work.resolve("home").toString(), "TASKBOUND_RUNTIME_DIR",
            Files.createDirectories(work.resolve("rt")).toString()),
        "run", "--task", task, "--policy", policy.toString(), "--out", work.resolve("out-" + task).toString(), "--",
        "sh", "-c", agentScript);
  }

  @Test
  void theFirstDenialOfAHostPrintsOneLineWhileTheAgentRunsAndTheBodySaysTheSame() throws Exception {
    // The agent waits (bounded) for the test to have seen the notice: the line comes while it runs.
    String agent = "for i in 1 2 3; do curl -s --max-time 10 http://blocked.test/; echo; done;"
        + " n=0; while [ ! -e seen-notice ] && [ $n -lt 300 ]; do sleep 0.1; n=$((n+1)); done;"
        + " [ -e seen-notice ] && echo agent-saw-go";
    String notice;
    int status;
    String stdout;
    String stderr;
    try (CliProcess run = taskbound("N-1", agent)) {
      notice = run.awaitLine(l -> l.startsWith("taskbound: denied "), WAIT);
      Files.writeString(work.resolve("seen-notice"), "");

      status = run.waitFor(WAIT);
      stdout = run.stdout();
      stderr = run.stderr();
    }

    assertThat(status).as(stderr).isZero();
    assertThat(notice).isEqualTo(BLOCKED_NOTICE);
    assertThat(stdout).contains("agent-saw-go");
    assertThat(stderr.lines().filter(l -> l.startsWith("taskbound: denied "))).containsExactly(BLOCKED_NOTICE);
    assertThat(stdout.lines().filter(BLOCKED_BODY::equals)).hasSize(3);
    assertThat(RunArtifacts.bundleText(work.resolve("out-N-1"), "events.jsonl").split("\"egress.denied\"", -1)).hasSize(4);
  }

  @Test
  void aMetadataAddressIsSaidToBeImpossibleToAllowNeverGivenARuleTheLoaderRefuses() throws Exception {
    String agent = "curl -s --max-time 10 http://169.254.169.254/latest/meta-data/; echo";

    String stdout;
    String stderr;
    try (CliProcess run = taskbound("N-2", agent)) {
      run.waitFor(WAIT);
      stdout = run.stdout();
      stderr = run.stderr();
    }

    assertThat(stderr).contains("taskbound: denied 169.254.169.254:80 — it cannot be allowed: 169.254.169.254 is a cloud"
        + " metadata address, which the gateway always refuses\n");
    assertThat(stdout).contains("taskbound: egress to 169.254.169.254:80 denied (no allow rule matches). It cannot be"
        + " allowed: 169.254.169.254 is a cloud metadata address, which the gateway always refuses.");
    assertThat(stdout + stderr).doesNotContain("add \"169.254.169.254");
  }

  @Test
  void noticesAreBoundedPerSessionAndSayWhereTheRestAre() throws Exception {
    String agent = "for i in $(seq 1 25); do curl -s -o /dev/null --max-time 10 http://h$i.blocked.test/; done";

    String stderr;
    try (CliProcess run = taskbound("N-3", agent)) {
      run.waitFor(WAIT);
      stderr = run.stderr();
    }

    assertThat(stderr.lines().filter(l -> l.startsWith("taskbound: denied h"))).hasSize(20);
    assertThat(stderr.lines().filter(l -> l.startsWith("taskbound: more than 20 destinations denied;"))).hasSize(1);
    assertThat(stderr).contains("denied h25.blocked.test:80 (1x)"); // the summary still lists every one
  }
}
