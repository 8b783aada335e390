package dev.taskbound.core.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.taskbound.core.evidence.BundleVerifier;
import dev.taskbound.core.evidence.VerificationResult;
import dev.taskbound.core.testing.CliProcess;
import dev.taskbound.core.testing.LocalApi;
import dev.taskbound.core.testing.ProcessScan;
import dev.taskbound.core.testing.RunArtifacts;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 18 items 7 and 8: what the agent did is in the evidence however the taskbound process
 * ends (events are written before the thing they describe can have effect), and a second teardown
 * of a finished session exits 0.
 */
@Timeout(180)
class KilledSessionEvidenceTest {
  private static final Duration WAIT = Duration.ofSeconds(90);

  @TempDir Path work;
  private HttpServer api;
  private Path home;
  private Path out;
  private final String marker = "tb-killed-" + UUID.randomUUID();

  @BeforeEach
  void startLocalApi() throws IOException {
    api = LocalApi.serving("api says hello\n");
    home = Files.createDirectories(work.resolve("home"));
    out = work.resolve("evidence");
  }

  @AfterEach
  void stopLocalApi() {
    api.stop(0);
  }

  @Test
  void sigkillRightAfterTheAgentRanCannotEraseThatItRanAndASecondTeardownSaysItIsDone() throws Exception {
    Path fifo = work.resolve("agent-ran.fifo");
    new ProcessBuilder("mkfifo", "-m", "0666", fifo.toString()).start().waitFor();
    Files.setPosixFilePermissions(fifo, PosixFilePermissions.fromString("rw-rw-rw-"));
    // The agent reaches the API through the gateway, then says so on the fifo and keeps running.
    String agent = "curl -sS --max-time 20 http://api.test:" + api.getAddress().getPort() + "/ok > /dev/null"
        + " && echo ran > \"$1\"; exec sleep 600";
    Path stateDir;
    try (CliProcess run = taskbound("run", "--task", "T-K", "--policy", policy().toString(), "--out", out.toString(),
        "--", "sh", "-c", agent, marker, fifo.toString())) {
      stateDir = RunArtifacts.stateDir(run, WAIT);

      // Blocks until the agent opens the fifo for writing: the agent has run, no sleep involved.
      String said = new String(Files.readAllBytes(fifo), StandardCharsets.UTF_8).strip();
      run.process().destroyForcibly(); // SIGKILL: nothing more is written by that process
      run.waitFor(WAIT);
      assertThat(said).isEqualTo("ran");
    }

    int first;
    String firstErr;
    try (CliProcess teardown = taskbound("teardown", "--session", stateDir.toString())) {
      first = teardown.waitFor(WAIT);
      firstErr = teardown.stderr();
    }
    int second;
    String secondErr;
    try (CliProcess again = taskbound("teardown", "--session", stateDir.toString())) {
      second = again.waitFor(WAIT);
      secondErr = again.stderr();
    }

    assertThat(first).as(firstErr).isZero();
    assertThat(second).as(secondErr).isZero();
    assertThat(secondErr).contains("already completed").contains(RunArtifacts.onlyBundle(out).toString());
    assertThat(ProcessScan.withArgument(marker)).isEmpty();
    assertThat(stateDir).doesNotExist();
    VerificationResult verified = BundleVerifier.verify(RunArtifacts.onlyBundle(out));
    assertThat(verified.valid()).as(verified.message()).isTrue();
    List<String> types = RunArtifacts.bundleText(out, "events.jsonl").lines()
        .map(l -> l.replaceFirst(".*\"type\":\"([^\"]+)\".*", "$1")).toList();
    assertThat(types).contains("sandbox.prepared", "agent.started", "egress.allowed", "session.closed");
    assertThat(types.indexOf("agent.started")).isLessThan(types.indexOf("egress.allowed"));
    if (types.contains("gateway.sandbox_port_taken")) {
      assertThat(types.indexOf("gateway.sandbox_port_taken")).isLessThan(types.indexOf("egress.allowed"));
    } else {
      assertThat(types).contains("gateway.sandbox_port_forwarded");
    }
  }

  @Test
  void aSecondTeardownOfASessionThatEndedNormallyExitsZeroAndSaysSo() throws Exception {
    Path stateDir;
    try (CliProcess run = taskbound("run", "--task", "T-I", "--policy", policy().toString(), "--out", out.toString(),
        "--", "sleep", "1")) { // an agent that exits at once races the netns listener hand-off
      stateDir = RunArtifacts.stateDir(run, WAIT);
      assertThat(run.waitFor(WAIT)).as(run.stderr()).isZero();
    }

    try (CliProcess again = taskbound("teardown", "--session", stateDir.toString())) {
      int status = again.waitFor(WAIT);

      assertThat(status).as(again.stderr()).isZero();
      assertThat(again.stderr()).contains("the teardown of session " + stateDir.getFileName() + " already completed");
    }
    try (CliProcess unknown = taskbound("teardown", "--session", work.resolve("no-such-session").toString())) {
      assertThat(unknown.waitFor(WAIT)).isEqualTo(123);
      assertThat(unknown.stderr()).contains("is not a session directory");
    }
  }

  private CliProcess taskbound(String... args) throws IOException {
    return CliProcess.start(work, Map.of("TASKBOUND_HOME", home.toString(),
        "TASKBOUND_RUNTIME_DIR", Files.createDirectories(work.resolve("rt")).toString()), args);
  }

  private Path policy() throws IOException {
    return Files.writeString(work.resolve("task.yml"), String.join("\n",
        "apiVersion: taskbound.dev/v1",
        "kind: Task",
        "spec:",
        "  ttl: 10m",
        "  sandbox:",
        "    backends: [netns]",
        "  egress:",
        "    allow: [\"api.test:" + api.getAddress().getPort() + "\"]",
        "    hosts:",
        "      api.test: 127.0.0.1",
        ""));
  }
}
