package dev.taskbound.core.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.taskbound.core.evidence.BundleVerifier;
import dev.taskbound.core.evidence.VerificationResult;
import dev.taskbound.core.ExitCodes;
import dev.taskbound.core.testing.CliProcess;
import dev.taskbound.core.testing.FileGrep;
import dev.taskbound.core.testing.LocalApi;
import dev.taskbound.core.testing.ProcessScan;
import dev.taskbound.core.testing.RunArtifacts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code taskbound run} as a user runs it: a real child JVM, real namespaces, real signals. */
@Timeout(120)
class RunCommandProcessTest {
  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir Path work;
  private HttpServer api;
  private Path home;
  private Path runtime;
  private Path out;
  private final String marker = "tb-test-" + UUID.randomUUID();

  @BeforeEach
  void startLocalApi() throws IOException {
    api = LocalApi.serving("api says hello\n");
    home = Files.createDirectories(work.resolve("home"));
    runtime = Files.createDirectories(work.resolve("rt"));
    out = work.resolve("evidence");
  }

  @AfterEach
  void stopLocalApi() {
    api.stop(0);
  }

  @Test
  void runsTheAgentInTheEnvelopeReturnsItsStatusAndLeavesAVerifiableBundle() throws Exception {
    Path policy = policy("10m");

    try (CliProcess run =
        taskbound(
            "run", "--task", "T-1", "--policy", policy.toString(), "--out", out.toString(), "--",
            "sh", "-c",
            "curl -sS --max-time 10 http://api.test:" + port() + "/ok;"
                + " curl -sS --max-time 10 https://blocked.test/ 2>&1 | head -c 300; echo;"
                + " printf 'svid=%s\\n' \"$TASKBOUND_SVID\"; exit 7")) {

      int status = run.waitFor(WAIT);

      assertThat(status).isEqualTo(7);
      assertThat(run.stdout()).contains("api says hello");
      assertThat(run.stderr()).contains("teardown ok").contains("denied blocked.test:443").contains("add \"blocked.test\"");
      VerificationResult verified = BundleVerifier.verify(RunArtifacts.onlyBundle(out));
      assertThat(verified.valid()).as(verified.message()).isTrue();
      assertThat(RunArtifacts.sessionDirectories(home)).isEmpty();
      String svid = run.stdout().lines().filter(l -> l.startsWith("svid=")).findFirst().orElseThrow().substring(5);
      assertThat(svid).hasSizeGreaterThan(100);
      assertThat(FileGrep.filesContaining(svid, work)).isEmpty();
    }
  }

  @Test
  void sigtermMidRunStillSealsAVerifiableBundleAndLeavesNoProcessBehind() throws Exception {
    Path policy = policy("10m");
    try (CliProcess run = taskbound(
        "run", "--task", "T-2", "--policy", policy.toString(), "--out", out.toString(), "--",
        "sh", "-c", "sleep 600 & echo agent-ready; wait", marker)) {
      run.awaitLine(l -> l.equals("agent-ready"), WAIT);

      run.process().destroy(); // SIGTERM to taskbound itself
      int status = run.waitFor(WAIT);

      assertThat(status).isEqualTo(128 + 15);
      assertThat(BundleVerifier.verify(RunArtifacts.onlyBundle(out)).valid()).isTrue();
      assertThat(ProcessScan.withArgument(marker)).isEmpty();
      assertThat(RunArtifacts.sessionDirectories(home)).isEmpty();
      assertThat(RunArtifacts.bundleText(out, "events.jsonl")).contains("\"session.signal\"").contains("TERM");
    }
  }

  @Test
  void sigkillFollowedByTeardownSessionCompletesTheJournal() throws Exception {
    Path policy = policy("10m");
    Path stateDir;
    try (CliProcess run = taskbound(
        "run", "--task", "T-3", "--policy", policy.toString(), "--out", out.toString(), "--",
        "sh", "-c", "sleep 600 & echo agent-ready; wait", marker)) {
      stateDir = RunArtifacts.stateDir(run, WAIT);
      run.awaitLine(l -> l.equals("agent-ready"), WAIT);
      run.process().destroyForcibly(); // SIGKILL: no teardown can run in that process
      run.waitFor(WAIT);
    }
    assertThat(Files.exists(stateDir.resolve("journal.jsonl"))).isTrue();

    try (CliProcess teardown = taskbound("teardown", "--session", stateDir.toString())) {
      int status = teardown.waitFor(WAIT);

      assertThat(status).as(teardown.stderr()).isZero();
      assertThat(ProcessScan.withArgument(marker)).isEmpty();
      assertThat(Files.exists(stateDir)).isFalse();
      VerificationResult verified = BundleVerifier.verify(RunArtifacts.onlyBundle(out));
      assertThat(verified.valid()).as(verified.message()).isTrue();
      assertThat(RunArtifacts.bundleText(out, "teardown.json")).contains("stop-sandbox").contains("seal-evidence");
    }
  }

  @Test
  void ttlExpiryStopsTheWholeAgentTreeWithItsOwnExitCode() throws Exception {
    Path policy = policy("2s");
    try (CliProcess run = taskbound(
        "run", "--task", "T-4", "--policy", policy.toString(), "--out", out.toString(), "--",
        "sh", "-c", "sleep 600 & sleep 600", marker)) {

      int status = run.waitFor(WAIT);

      assertThat(status).isEqualTo(124);
      assertThat(ProcessScan.withArgument(marker)).isEmpty();
      assertThat(RunArtifacts.bundleText(out, "events.jsonl")).contains("\"session.ttl_expired\"");
    }
  }

  /** Issue 11/19: the environment is an allow-list; a variable the user names reaches the agent. */
  @Test
  void onlyTheVariablesPassedByNameReachTheAgent() throws Exception {
    Path policy = policy("10m");
    Map<String, String> env = Map.of("TASKBOUND_HOME", home.toString(), "TASKBOUND_RUNTIME_DIR", runtime.toString(),
        "TB_TEST_MODEL_KEY", "key-passed-by-name", "TB_TEST_OTHER_SECRET", "secret-never-passed");

    try (CliProcess run = CliProcess.start(work, env,
        "run", "--task", "T-E", "--policy", policy.toString(), "--out", out.toString(), "--pass-env", "TB_TEST_MODEL_KEY",
        "--", "sh", "-c", "printf 'model=%s other=%s\\n' \"$TB_TEST_MODEL_KEY\" \"${TB_TEST_OTHER_SECRET:-unset}\"")) {
      int status = run.waitFor(WAIT);

      assertThat(status).as(run.stderr()).isZero();
      assertThat(run.stdout()).contains("model=key-passed-by-name other=unset");
    }
    try (CliProcess refused = CliProcess.start(work, env,
        "run", "--task", "T-E", "--policy", policy.toString(), "--pass-env", "TASKBOUND_GITHUB_APP_KEY", "--", "true")) {
      assertThat(refused.waitFor(WAIT)).isEqualTo(125);
      assertThat(refused.stderr()).contains("--pass-env: TASKBOUND_GITHUB_APP_KEY is Taskbound's own host configuration");
    }
  }

  /**
   * picocli reads an argument "@NAME" as a file of more arguments by default: a task or policy path
   * from a workflow input, with a file from the repository, added options such as --pass-env or
   * --approval-environment, and an agent's own "@x" argument was rewritten.
   */
  @Test
  void anArgumentStartingWithAtIsTakenAsWrittenNotAsAFileOfArguments() throws Exception {
    Path policy = policy("10m");
    Files.writeString(work.resolve("opts"), "T-AT --pass-env TB_TEST_OTHER_SECRET\n");
    Map<String, String> env = Map.of("TASKBOUND_HOME", home.toString(), "TASKBOUND_RUNTIME_DIR", runtime.toString(),
        "TB_TEST_OTHER_SECRET", "secret-never-passed");

    try (CliProcess run = CliProcess.start(work, env, "run", "--task", "T-AT", "--policy", policy.toString(),
        "--out", out.toString(), "--", "sh", "-c", "printf '%s|%s\\n' \"$0\" \"${TB_TEST_OTHER_SECRET:-unset}\"", "@opts")) {
      assertThat(run.waitFor(WAIT)).as(run.stderr()).isZero();
      assertThat(run.stdout()).contains("@opts|unset");
    }
    try (CliProcess task = CliProcess.start(work, env, "run", "--task", "@opts", "--policy", policy.toString(), "--", "true")) {
      assertThat(task.waitFor(WAIT)).as(task.stderr()).isEqualTo(ExitCodes.POLICY); // a bad task id, as documented
      assertThat(task.stderr()).contains("'@opts'").doesNotContain("secret-never-passed");
    }
  }

  /** The socket is removed from the host side: inside the sandbox it is bound read-only (issue 11). */
  @Test
  void aGatewayThatDiesMidRunStopsTheAgentAndFailsTheRun() throws Exception {
    Path policy = policy("10m");
    try (CliProcess run = CliProcess.start(work,
        Map.of("TASKBOUND_HOME", home.toString(), "TASKBOUND_RUNTIME_DIR", runtime.toString()),
        "run", "--task", "T-8", "--policy", policy.toString(), "--out", out.toString(), "--",
        "sh", "-c", "echo started; sleep 120", marker)) {
      run.awaitLine("started"::equals, WAIT);
      try (java.util.stream.Stream<Path> sockets = Files.find(runtime, 2, (p, a) -> p.getFileName().toString().equals("gateway.sock"))) {
        for (Path socket : sockets.toList()) {
          Files.delete(socket);
        }
      }

      int status = run.waitFor(WAIT);

      assertThat(status).as(run.stderr()).isEqualTo(121);
      assertThat(ProcessScan.withArgument(marker)).isEmpty();
      assertThat(RunArtifacts.bundleText(out, "events.jsonl")).contains("\"egress.gateway.failed\"").contains("gateway failed");
    }
  }

  /**
   * Review finding: an agent connecting without end (240,000 denied CONNECTs in 36 s) grew the log,
   * summary and report past what verify reads. The gateway's events are capped; past the cap it fails
   * closed, the agent is stopped, and the bundle verifies.
   */
  @Test
  void pastTheCapOfGatewayEventsTheGatewayFailsClosedAndTheAgentIsStopped() throws Exception {
    Path policy = policy("10m");
    Map<String, String> env = Map.of("TASKBOUND_HOME", home.toString(), "TASKBOUND_RUNTIME_DIR", runtime.toString(),
        "TASKBOUND_MAX_GATEWAY_EVENTS", "3");
    try (CliProcess run = CliProcess.start(work, env, "run", "--task", "T-CAP", "--policy", policy.toString(),
        "--out", out.toString(), "--", "sh", "-c", "for i in 1 2 3 4 5 6; do curl -s -o /dev/null"
            + " -w 'status %{http_code}\\n' https://blocked$i.test/; done; sleep 120", marker)) {
      int status = run.waitFor(WAIT);

      assertThat(status).as(run.stderr()).isEqualTo(121);
      assertThat(ProcessScan.withArgument(marker)).isEmpty();
      String events = RunArtifacts.bundleText(out, "events.jsonl");
      assertThat(events.split("\"type\":\"egress.denied\"", -1)).hasSize(4); // three recorded, then the cap
      assertThat(events).contains("\"stopped_by\":\"gateway failed: ").contains("cap of 3 gateway events")
          .contains("\"egress.gateway.failed\""); // the record of why the gateway stopped is never held back
      assertThat(run.stderr()).contains("cap of 3 gateway events");
    }
    try (CliProcess bad = CliProcess.start(work, Map.of("TASKBOUND_HOME", home.toString(), "TASKBOUND_RUNTIME_DIR",
        runtime.toString(), "TASKBOUND_MAX_GATEWAY_EVENTS", "lots"), "run", "--task", "T-CAP2", "--policy", policy.toString(),
        "--out", out.toString(), "--", "true")) {
      assertThat(bad.waitFor(WAIT)).as(bad.stderr()).isEqualTo(125);
      assertThat(bad.stderr()).contains("TASKBOUND_MAX_GATEWAY_EVENTS='lots' is not accepted; accepted: a whole number of"
          + " events from 1 (default 100000)");
    }
  }

  /**
   * Review finding: in a GitHub Actions step of its own ({@code run: taskbound run -- ...}) the
   * agent's output reached the runner unfenced, and its {@code ::error::} or {@code ::add-mask::}
   * lines were run as workflow commands. Taskbound's own report after the run is read as usual.
   */
  @Test
  void onAGithubRunnerTheAgentsOutputIsFencedFromWorkflowCommands() throws Exception {
    Path policy = policy("10m");
    Map<String, String> env = Map.of("TASKBOUND_HOME", home.toString(), "TASKBOUND_RUNTIME_DIR", runtime.toString(),
        "GITHUB_ACTIONS", "true");
    try (CliProcess run = CliProcess.start(work, env, "run", "--task", "T-GH", "--policy", policy.toString(),
        "--out", out.toString(), "--", "sh", "-c", "echo '::error::forged by the agent'; printf '::add-mask::taskbound' >&2")) {
      assertThat(run.waitFor(WAIT)).as(run.stderr()).isZero();

      java.util.regex.Matcher stop = java.util.regex.Pattern.compile("(?m)^::stop-commands::([0-9a-f]{32})$").matcher(run.stdout());
      assertThat(stop.find()).as(run.stdout()).isTrue();
      String token = stop.group(1);
      String stdout = run.stdout();
      String stderr = run.stderr();
      assertThat(stdout.indexOf("::stop-commands::" + token)).isLessThan(stdout.indexOf("::error::forged by the agent"));
      assertThat(stdout.indexOf("::" + token + "::")).isGreaterThan(stdout.indexOf("::error::forged by the agent"));
      assertThat(stderr.indexOf("::stop-commands::" + token)).isNotNegative()
          .isLessThan(stderr.indexOf("::add-mask::taskbound"));
      assertThat(stderr.indexOf("::" + token + "::")).isGreaterThan(stderr.indexOf("::add-mask::taskbound"))
          .isLessThan(stderr.indexOf("taskbound: task T-GH finished"));
      // the agent's last line had no newline: the resume still starts a line of its own
      assertThat(stderr).containsPattern("(?m)^::" + token + "::$");
    }
    try (CliProcess action = CliProcess.start(work, Map.of("TASKBOUND_HOME", home.toString(), "TASKBOUND_RUNTIME_DIR",
        runtime.toString(), "GITHUB_ACTIONS", "true", "TASKBOUND_MASK_HANDOFF", "stdout"), "run", "--task", "T-GH2",
        "--policy", policy.toString(), "--out", out.toString(), "--", "true")) {
      assertThat(action.waitFor(WAIT)).as(action.stderr()).isZero();
      assertThat(action.stdout() + action.stderr()).as("the Action fences the output itself").doesNotContain("::stop-commands::");
    }
  }

  @Test
  void aCooperativeRunSaysPlainlyThatEgressWasNotEnforced() throws Exception {
    Path policy = Files.writeString(work.resolve("coop.yml"), String.join("\n",
        "apiVersion: taskbound.dev/v1",
        "kind: Task",
        "spec:",
        "  sandbox:",
        "    backends: [proxy]",
        "    enforcement: cooperative",
        ""));
    try (CliProcess run = taskbound(
        "run", "--task", "T-9", "--policy", policy.toString(), "--out", out.toString(), "--", "true")) {

      int status = run.waitFor(WAIT);

      assertThat(status).as(run.stderr()).isZero();
      assertThat(run.stderr()).contains("WARNING: egress was NOT enforced");
      assertThat(RunArtifacts.bundleText(out, "summary.md")).contains("**Warning.** Egress was NOT enforced");
      assertThat(RunArtifacts.bundleText(out, "report.html")).contains("Egress was NOT enforced");
      assertThat(RunArtifacts.bundleText(out, "events.jsonl")).contains("cooperative enforcement");
    }
  }

  @Test
  void waitAllKeepsTheEnvelopeUntilBackgroundedWorkFinishesWithoutItThatWorkIsCutOff() throws Exception {
    Path policy = policy("10m");
    // Like Jenkins' durable sh: the command backgrounds the real work and exits at once.
    String agent = "(sleep 1; curl -sS --max-time 10 http://api.test:" + port() + "/late > \"$1\") & exit 3";
    Path withWait = work.resolve("with-wait.txt");
    Path without = work.resolve("without.txt");

    int waited;
    try (CliProcess run = taskbound("run", "--task", "T-10", "--wait-all", "--policy", policy.toString(),
        "--out", out.toString(), "--", "sh", "-c", agent, marker, withWait.toString())) {
      waited = run.waitFor(WAIT);
    }
    int cut;
    try (CliProcess run = taskbound("run", "--task", "T-11", "--policy", policy.toString(),
        "--out", work.resolve("evidence2").toString(), "--", "sh", "-c", agent, marker, without.toString())) {
      cut = run.waitFor(WAIT);
    }

    assertThat(waited).isEqualTo(3);
    assertThat(withWait).hasContent("api says hello");
    assertThat(cut).isEqualTo(3);
    assertThat(without).doesNotExist();
    assertThat(ProcessScan.withArgument(marker)).isEmpty();
  }

  @Test
  void anInvalidPolicyFailsBeforeAnythingIsCreated() throws Exception {
    Path policy = Files.writeString(work.resolve("bad.yml"), "apiVersion: taskbound.dev/v1\nkind: Task\nspec:\n  tll: 5m\n");
    try (CliProcess run = taskbound("run", "--task", "T-5", "--policy", policy.toString(), "--", "true")) {

      int status = run.waitFor(WAIT);

      assertThat(status).isEqualTo(120);
      assertThat(run.stderr()).contains("bad.yml:4").contains("tll");
      assertThat(RunArtifacts.sessionDirectories(home)).isEmpty();
      assertThat(Files.exists(out)).isFalse();
    }
  }

  @Test
  void aFailureHalfwayThroughOpenUndoesWhatWasAlreadyCreated() throws Exception {
    Path policy = Files.writeString(
        work.resolve("container.yml"),
        "apiVersion: taskbound.dev/v1\nkind: Task\nspec:\n  sandbox:\n    backends: [container]\n");
    try (CliProcess run = taskbound(
        "run", "--task", "T-6", "--policy", policy.toString(), "--out", out.toString(), "--", "true")) {

      int status = run.waitFor(WAIT);

      assertThat(status).as(run.stderr()).isEqualTo(121);
      assertThat(run.stderr()).contains("container");
      assertThat(RunArtifacts.sessionDirectories(home)).isEmpty();
      try (Stream<Path> left = Files.list(runtime)) {
        assertThat(left).isEmpty();
      }
      assertThat(BundleVerifier.verify(RunArtifacts.onlyBundle(out)).valid()).isTrue();
    }
  }

  @Test
  void aFailedTeardownStepFailsTheRunAndCanBeRetried() throws Exception {
    Path policy = policy("10m");
    Path stateDir;
    // the agent waits (bounded) for the host to break the evidence directory, made at open
    try (CliProcess run = taskbound("run", "--task", "T-7", "--policy", policy.toString(), "--out", out.toString(), "--",
        "sh", "-c", "touch ready; for i in $(seq 600); do [ -e go ] && exit 0; sleep 0.05; done; exit 9")) {
      stateDir = RunArtifacts.stateDir(run, WAIT);
      RunArtifacts.awaitFile(work.resolve("ready")); // the sandbox runs: its view was checked and made
      Files.delete(out);
      Files.writeString(out, "not a directory"); // the bundle cannot be written here
      Files.writeString(work.resolve("go"), "");

      int status = run.waitFor(WAIT);

      assertThat(status).isEqualTo(123);
      assertThat(run.stderr()).contains("seal-evidence").contains("failed").contains("taskbound teardown --session");
      assertThat(Files.exists(stateDir.resolve("journal.jsonl"))).isTrue();
    }
    Files.delete(out);
    try (CliProcess retry = taskbound("teardown", "--session", stateDir.toString())) {

      assertThat(retry.waitFor(WAIT)).as(retry.stderr()).isZero();
      assertThat(BundleVerifier.verify(RunArtifacts.onlyBundle(out)).valid()).isTrue();
      assertThat(Files.exists(stateDir)).isFalse();
    }
  }

  private CliProcess taskbound(String... args) throws IOException {
    return CliProcess.start(
        work, Map.of("TASKBOUND_HOME", home.toString(), "TASKBOUND_RUNTIME_DIR", runtime.toString()), args);
  }

  private int port() {
    return api.getAddress().getPort();
  }

  private Path policy(String ttl) throws IOException {
    return Files.writeString(
        work.resolve("task-" + ttl + ".yml"),
        String.join(
            "\n",
            "apiVersion: taskbound.dev/v1",
            "kind: Task",
            "spec:",
            "  ttl: " + ttl,
            "  sandbox:",
            "    backends: [netns]",
            "  egress:",
            "    allow: [\"api.test:" + port() + "\"]",
            "    hosts:",
            "      api.test: 127.0.0.1",
            ""));
  }

}
