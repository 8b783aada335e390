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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
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
    // made at open (empty); the cooperative backend confines no file, so the agent can replace it
    Path evidence = workspace.resolve("taskbound-evidence");
    Path policy = Files.writeString(work.resolve("task.yml"), String.join("\n", "apiVersion: taskbound.dev/v1", "kind: Task",
        "spec:", "  ttl: 5m", "  sandbox:", "    backends: [proxy]", "    enforcement: cooperative", ""));
    StringWriter err = new StringWriter();

    int status = TaskboundCli.execute(
        new String[] {"run", "--task", "T-SYM", "--policy", policy.toString(), "--out", evidence.toString(), "--",
            "sh", "-c", "rm -r \"$2\" && ln -s \"$1\" \"$2\"", "sh", host.toString(), evidence.toString()},
        new PrintWriter(new StringWriter()), new PrintWriter(err),
        Map.of("TASKBOUND_HOME", Files.createDirectories(work.resolve("home")).toString(),
            "TASKBOUND_RUNTIME_DIR", Files.createDirectories(work.resolve("rt")).toString(), "PATH", "/usr/bin:/bin"));

    assertThat(Files.isSymbolicLink(evidence)).as(err.toString()).isTrue(); // the agent did plant it
    assertThat(status).as(err.toString()).isEqualTo(123);
    assertThat(err.toString()).contains("evidence directory " + evidence + " now leads through the symbolic link "
        + evidence + " -> " + host).contains("nothing was made or written there");
    try (Stream<Path> files = Files.list(host)) {
      assertThat(files).containsExactly(victim);
    }
    assertThat(victim).hasContent("host content\n");
  }

  /**
   * Review finding: the seal is made before the bundle is written, with a key this process alone
   * holds. When the agent's link stopped the write, the retry the docs give ({@code taskbound teardown
   * --session}) sealed again with a recovery key, and the host's record of the session's key no
   * longer verified the bundle: the agent had turned its bundle into one that looks like a forged
   * recovery. The retry now publishes the bundle the session's own key sealed. A follow-up review:
   * with the session root reached through a link, the bundle was not kept at all.
   */
  @ParameterizedTest(name = "session root through a link: {0}")
  @ValueSource(booleans = {false, true})
  void aBundleTheAgentsLinkKeptFromBeingWrittenIsPublishedByTheRetryAsTheSessionsKeySealedIt(boolean homeThroughALink)
      throws Exception {
    Path workspace = Files.createDirectories(work.resolve("workspace"));
    Path home = Files.createDirectories(work.resolve("home"));
    if (homeThroughALink) {
      home = Files.createSymbolicLink(work.resolve("home-link"), home);
    }
    Path evidence = workspace.resolve("taskbound-evidence");
    Path policy = Files.writeString(work.resolve("task.yml"), String.join("\n", "apiVersion: taskbound.dev/v1", "kind: Task",
        "spec:", "  ttl: 5m", "  sandbox:", "    backends: [proxy]", "    enforcement: cooperative", ""));
    Map<String, String> env = Map.of("TASKBOUND_HOME", home.toString(),
        "TASKBOUND_RUNTIME_DIR", Files.createDirectories(work.resolve("rt")).toString(), "PATH", "/usr/bin:/bin");
    StringWriter err = new StringWriter();
    int status = TaskboundCli.execute(new String[] {"run", "--task", "T-LINK", "--policy", policy.toString(), "--out",
        evidence.toString(), "--", "sh", "-c", "rm -r \"$2\" && ln -s \"$1\" \"$2\"", "sh",
        Files.createDirectories(work.resolve("elsewhere")).toString(), evidence.toString()},
        new PrintWriter(new StringWriter()), new PrintWriter(err), env);
    assertThat(status).as(err.toString()).isEqualTo(123);
    java.util.regex.Matcher kid = java.util.regex.Pattern.compile("evidence key: kid ([A-Za-z0-9_-]{43})").matcher(err.toString());
    java.util.regex.Matcher state = java.util.regex.Pattern.compile("\\n  session: +(\\S+)").matcher(err.toString());
    assertThat(kid.find() && state.find()).as(err.toString()).isTrue();

    Files.delete(evidence); // as the failure says: remove what the agent left, then retry
    StringWriter retryErr = new StringWriter();
    int retried = TaskboundCli.execute(new String[] {"teardown", "--session", state.group(1)},
        new PrintWriter(new StringWriter()), new PrintWriter(retryErr), env);
    assertThat(retried).as(retryErr.toString()).isZero();
    Path bundle;
    try (Stream<Path> files = Files.list(evidence)) {
      bundle = files.filter(f -> f.getFileName().toString().endsWith(".zip")).findFirst().orElseThrow();
    }
    StringWriter out = new StringWriter();
    int verified = TaskboundCli.execute(new String[] {"verify", "--expect-kid", kid.group(1), bundle.toString()},
        new PrintWriter(out), new PrintWriter(new StringWriter()), env);

    assertThat(verified).as(out.toString()).isZero();
    assertThat(out.toString()).contains("signer verified by the host record (--expect-kid " + kid.group(1))
        .doesNotContain("recovery");
    String events;
    try (java.util.zip.ZipFile zip = new java.util.zip.ZipFile(bundle.toFile())) {
      events = new String(zip.getInputStream(zip.getEntry("events.jsonl")).readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    }
    assertThat(events.split("\"type\":\"session.closed\"", -1)).hasSize(2); // closed once, by the run itself
    assertThat(Path.of(state.group(1))).doesNotExist();
  }

  /**
   * The agent knows its task and session ({@code TASKBOUND_TASK}, {@code TASKBOUND_SESSION}): a zip it
   * leaves in the evidence directory named like the bundle's addendum, with a summary of its own, or
   * a link named so to a file only root reads, was published as the run's summary (review finding).
   */
  @Test
  void aSummaryTheAgentPlantedAsAnAddendumIsNotPublishedAsTheRunsOwn() throws Exception {
    Path host = Files.createDirectories(work.resolve("host-root"));
    Path rootOnly = writeZip(host.resolve("other.zip"), "root-only summary\n");
    Path planted = writeZip(work.resolve("planted.zip"), "nothing denied\n");
    Path workspace = Files.createDirectories(work.resolve("workspace"));
    Path evidence = Files.createDirectories(workspace.resolve("taskbound-evidence"));
    Path policy = Files.writeString(work.resolve("task.yml"), String.join("\n", "apiVersion: taskbound.dev/v1", "kind: Task",
        "spec:", "  ttl: 5m", "  sandbox:", "    backends: [proxy]", "    enforcement: cooperative", ""));
    StringWriter err = new StringWriter();

    int status = TaskboundCli.execute(
        new String[] {"run", "--task", "T-PLANT", "--policy", policy.toString(), "--out", evidence.toString(), "--",
            "sh", "-c", "cp \"$0\" \"$2/T-PLANT-$TASKBOUND_SESSION.addendum-2.zip\";"
                + " ln -s \"$1\" \"$2/T-PLANT-$TASKBOUND_SESSION.addendum-3.zip\"", planted.toString(), rootOnly.toString(),
            evidence.toString()},
        new PrintWriter(new StringWriter()), new PrintWriter(err),
        Map.of("TASKBOUND_HOME", Files.createDirectories(work.resolve("home")).toString(),
            "TASKBOUND_RUNTIME_DIR", Files.createDirectories(work.resolve("rt")).toString(), "PATH", "/usr/bin:/bin"));

    assertThat(status).as(err.toString()).isZero();
    Path summary;
    try (Stream<Path> files = Files.list(evidence)) {
      summary = files.filter(f -> f.getFileName().toString().endsWith(".summary.md")).findFirst().orElseThrow();
    }
    assertThat(evidence.resolve(summary.getFileName().toString().replace(".summary.md", ".addendum-2.zip"))).exists();
    assertThat(Files.readString(summary)).contains("T-PLANT").doesNotContain("nothing denied").doesNotContain("root-only");
  }

  private static Path writeZip(Path zip, String summary) throws java.io.IOException {
    try (java.util.zip.ZipOutputStream out = new java.util.zip.ZipOutputStream(Files.newOutputStream(zip))) {
      out.putNextEntry(new java.util.zip.ZipEntry("summary.md"));
      out.write(summary.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
    return zip;
  }
}
