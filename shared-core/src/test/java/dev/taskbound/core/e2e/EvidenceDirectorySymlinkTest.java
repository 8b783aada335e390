package dev.taskbound.core.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskbound.core.cli.TaskboundCli;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14, item 4: the evidence directory defaults to {@code ./taskbound-evidence} in the workspace
 * the agent writes, and Taskbound (root, in CI) writes the bundle there after the agent is gone. An
 * agent that plants a symbolic link there to a host directory gets nothing written through it.
 */
class EvidenceDirectorySymlinkTest {
  @TempDir Path work;

  @Test
  void anEvidenceDirectoryTheAgentTurnedIntoASymlinkIsRefusedAndTheHostFilesStayAsTheyWere() throws Exception {
    Path host = Files.createDirectories(work.resolve("host-etc"));
    Path victim = Files.writeString(host.resolve("victim.conf"), "host content\n");
    Path workspace = Files.createDirectories(work.resolve("workspace"));
    Path evidence = workspace.resolve("taskbound-evidence"); // absent at open, as on a fresh checkout
    Path policy = Files.writeString(work.resolve("task.yml"), String.join("\n", "apiVersion: taskbound.dev/v1", "kind: Task",
        "spec:", "  ttl: 5m", "  sandbox:", "    backends: [proxy]", "    enforcement: cooperative", ""));
    StringWriter err = new StringWriter();

    int status = TaskboundCli.execute(
        new String[] {"run", "--task", "T-SYM", "--policy", policy.toString(), "--out", evidence.toString(), "--",
            "ln", "-s", host.toString(), evidence.toString()},
        new PrintWriter(new StringWriter()), new PrintWriter(err),
        Map.of("TASKBOUND_HOME", Files.createDirectories(work.resolve("home")).toString(),
            "TASKBOUND_RUNTIME_DIR", Files.createDirectories(work.resolve("rt")).toString(), "PATH", "/usr/bin:/bin"));

    assertThat(Files.isSymbolicLink(evidence)).as(err.toString()).isTrue(); // the agent did plant it
    assertThat(status).as(err.toString()).isEqualTo(123);
    assertThat(err.toString()).contains("evidence directory " + evidence + " now leads to " + host.toRealPath()
        + " through a symbolic link");
    try (Stream<Path> files = Files.list(host)) {
      assertThat(files).containsExactly(victim);
    }
    assertThat(victim).hasContent("host content\n");
  }
}
