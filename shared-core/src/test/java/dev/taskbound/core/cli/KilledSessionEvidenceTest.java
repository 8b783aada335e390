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
    List<Path> leftCgroups;
    try (CliProcess run = taskbound("run", "--task", "T-K", "--policy", policy().toString(), "--out", out.toString(),
        "--", "sh", "-c", agent, marker, fifo.toString())) {
      stateDir = RunArtifacts.stateDir(run, WAIT);

      // Blocks until the agent opens the fifo for writing: the agent has run, no sleep involved.
      String said = new String(Files.readAllBytes(fifo), StandardCharsets.UTF_8).strip();
      run.process().destroyForcibly(); // SIGKILL: nothing more is written by that process
      run.waitFor(WAIT);
      assertThat(said).isEqualTo("ran");
      leftCgroups = cgroupsMadeBy(run.process().pid());
    }
    if (dev.taskbound.core.testing.AgentOwner.root() && Files.isRegularFile(Path.of("/sys/fs/cgroup/pids/cgroup.procs"))) {
      // as root on a cgroup v1 host the launch made a pids cgroup, which its killed Taskbound never removed
      assertThat(leftCgroups).as("the killed launch's cgroup").isNotEmpty();
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
    assertThat(leftCgroups).as("teardown --session removed the killed launch's cgroups").allSatisfy(c -> assertThat(c).doesNotExist());
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

  /** The {@code taskbound-<pid>-*} cgroups beside this process's own (where a child Taskbound makes them). */
  private static List<Path> cgroupsMadeBy(long pid) throws IOException {
    List<Path> out = new java.util.ArrayList<>();
    for (String line : Files.readAllLines(Path.of("/proc/self/cgroup"))) {
      String[] f = line.split(":", 3);
      Path parent = f[1].isEmpty() ? Path.of("/sys/fs/cgroup" + f[2]) : Path.of("/sys/fs/cgroup/" + f[1] + f[2]);
      if (Files.isDirectory(parent)) {
        try (java.nio.file.DirectoryStream<Path> made = Files.newDirectoryStream(parent, "taskbound-" + pid + "-*")) {
          made.forEach(out::add);
        }
      }
    }
    return out;
  }
}
