package dev.taskbound.core.escape;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.taskbound.core.testing.AgentOwner;
import dev.taskbound.core.testing.CliProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A self-hosted GitHub Actions runner installed where the sandbox's view shows the host
 * ({@code /srv/...}, as {@code /opt/actions-runner}): its private key ({@code .credentials_rsaparams})
 * and another repository's checkout, both the runner user's, as the agent is, are not readable from
 * a {@code bin/taskbound run} in a job; the workspace is writable and the tool cache runs. The
 * control without {@code GITHUB_ACTIONS} shows what the agent read before.
 */
@Timeout(240)
class GithubRunnerDirectoryIT {
  private static final Duration WAIT = Duration.ofSeconds(120);
  private static final String KEY = "runner-private-key-8c3a";
  private static final String OTHER = "other-repository-secret-41f0";

  @TempDir Path work;
  private Path runner;
  private Path workFolder;
  private Path workspace;
  private Path policy;

  @BeforeEach
  void aRunnerDirectoryWithThisJobsWorkspaceAnotherRepositoryAndATool() throws Exception {
    assumeThat(Files.isWritable(Path.of("/srv"))).as("a writable /srv (root)").isTrue();
    runner = Files.createTempDirectory(Path.of("/srv"), "taskbound-runner-");
    Files.setPosixFilePermissions(runner, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.writeString(runner.resolve(".runner"), "{\"agentName\":\"self-hosted-1\"}\n");
    Files.writeString(runner.resolve(".credentials_rsaparams"), KEY + "\n");
    workFolder = Files.createDirectories(runner.resolve("_work"));
    workspace = Files.createDirectories(workFolder.resolve("app/app"));
    Files.writeString(workspace.resolve("README"), "this repository\n");
    Files.writeString(Files.createDirectories(workFolder.resolve("other/other")).resolve(".env"), OTHER + "\n");
    Path tool = Files.createDirectories(workFolder.resolve("_tool/fmt/1.0/x64"));
    Files.writeString(tool.resolve("fmt"), "#!/bin/sh\necho tool-ran\n");
    Files.setPosixFilePermissions(tool.resolve("fmt"), PosixFilePermissions.fromString("rwxr-xr-x"));
    AgentOwner.own(runner); // all the runner user's, as on a self-hosted runner
    policy = Files.writeString(work.resolve("task.yml"), "apiVersion: taskbound.dev/v1\nkind: Task\nspec:\n"
        + "  sandbox:\n    backends: [netns]\n");
  }

  @AfterEach
  void removeTheRunner() throws IOException {
    if (runner != null) {
      try (Stream<Path> all = Files.walk(runner)) {
        all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private Map<String, String> job(boolean actions) {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("TASKBOUND_HOME", work.resolve("home").toString());
    env.put("TASKBOUND_RUNTIME_DIR", work.resolve("rt").toString());
    env.put("XDG_CACHE_HOME", work.resolve("cache").toString());
    env.put("RUNNER_WORKSPACE", workspace.getParent().toString());
    env.put("GITHUB_WORKSPACE", workspace.toString());
    env.put("RUNNER_TOOL_CACHE", workFolder.resolve("_tool").toString());
    if (actions) {
      env.put("GITHUB_ACTIONS", "true");
    }
    return env;
  }

  private String probe() {
    return String.join("; ",
        "cat " + runner + "/.credentials_rsaparams 2>/dev/null || echo key-unreadable",
        "cat " + workFolder + "/other/other/.env 2>/dev/null || echo other-unreadable",
        "echo entries: $(ls -A " + workFolder + ")",
        workFolder + "/_tool/fmt/1.0/x64/fmt",
        "touch " + workFolder + "/_tool/planted 2>/dev/null && echo tool-cache-writable || echo tool-cache-read-only",
        "cat README",
        "touch made-inside && echo workspace-writable");
  }

  private CliProcess run(Map<String, String> env) throws IOException {
    return CliProcess.startLauncher(workspace, env, "run", "--task", "RUNNER-DIR", "--policy", policy.toString(),
        "--out", work.resolve("out").toString(), "--", "sh", "-c", probe());
  }

  @Test
  void inAJobOnlyTheWorkspaceAndTheToolCacheAreSeenOfTheRunnersDirectory() throws Exception {
    try (CliProcess run = run(job(true))) {
      assertThat(run.waitFor(WAIT)).as(run.stderr()).isZero();

      assertThat(run.stdout()).doesNotContain(KEY).doesNotContain(OTHER).contains("key-unreadable\n",
          "other-unreadable\n", "entries: _tool app\n", "tool-ran\n", "tool-cache-read-only\n", "this repository\n",
          "workspace-writable");
    }
    assertThat(workspace.resolve("made-inside")).exists();
  }

  @Test
  void withoutGithubActionsTheControlReadsTheKey() throws Exception {
    try (CliProcess run = run(job(false))) {
      assertThat(run.waitFor(WAIT)).as(run.stderr()).isZero();

      assertThat(run.stdout()).contains(KEY, OTHER, "entries: _tool app other\n");
    }
  }

  /**
   * A work folder configured elsewhere ({@code config.sh --work}) has no {@code .runner} above it:
   * the runner's directory is found above the job's {@code Runner.Worker}, which runs the launcher.
   */
  @Test
  void aWorkFolderOutsideTheRunnersDirectoryStillHidesItsKey() throws Exception {
    Path outside = Files.createTempDirectory(Path.of("/srv"), "taskbound-work-");
    try {
      Files.setPosixFilePermissions(outside, PosixFilePermissions.fromString("rwxr-xr-x"));
      Path elsewhere = Files.createDirectories(outside.resolve("app/app"));
      AgentOwner.own(outside);
      Path worker = Files.createDirectories(runner.resolve("bin")).resolve("Runner.Worker");
      Files.copy(Path.of("/bin/sh"), worker);
      Files.setPosixFilePermissions(worker, PosixFilePermissions.fromString("rwxr-xr-x"));
      Map<String, String> env = job(true);
      env.put("RUNNER_WORKSPACE", elsewhere.getParent().toString());
      env.put("GITHUB_WORKSPACE", elsewhere.toString());
      // the worker runs the step, which runs the launcher: a child, not an exec, so the worker stays an ancestor
      String step = "\"" + worker + "\" -c '\"$@\"; exit $?' worker \"$0\" \"$@\"";

      try (CliProcess run = CliProcess.startPipeline(elsewhere, env, step, "run", "--task", "RUNNER-DIR", "--policy",
          policy.toString(), "--out", work.resolve("out").toString(), "--", "sh", "-c",
          "cat " + runner + "/.credentials_rsaparams 2>/dev/null || echo key-unreadable; touch made && echo writable")) {
        assertThat(run.waitFor(WAIT)).as(run.stderr()).isZero();

        assertThat(run.stdout()).doesNotContain(KEY).contains("key-unreadable\n", "writable");
      }
    } finally {
      try (Stream<Path> all = Files.walk(outside)) {
        all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }
}
