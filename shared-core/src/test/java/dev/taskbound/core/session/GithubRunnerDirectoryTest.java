package dev.taskbound.core.session;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GithubRunnerDirectoryTest {
  @TempDir Path tmp;
  private Path runner;
  private Path workspace;

  @BeforeEach
  void aRunnerDirectory() throws Exception {
    runner = Files.createDirectories(tmp.toRealPath().resolve("actions-runner"));
    workspace = Files.createDirectories(runner.resolve("_work/app/app"));
    Files.createDirectories(runner.resolve("_work/_tool"));
    Files.writeString(runner.resolve(".runner"), "{}");
  }

  private static List<GithubRunnerDirectory> of(Map<String, String> host, Path... ancestors) {
    return GithubRunnerDirectory.of(host, () -> Stream.of(ancestors));
  }

  private Map<String, String> job(String toolCache) {
    return Map.of("GITHUB_ACTIONS", "true", "RUNNER_WORKSPACE", workspace.getParent().toString(), "RUNNER_TOOL_CACHE", toolCache);
  }

  @Test
  void theDirectoryHoldingTheRegistrationAboveTheWorkspaceIsTheRunnersAndItsToolCacheIsShown() {
    assertThat(of(job(runner.resolve("_work/_tool").toString())))
        .containsExactly(new GithubRunnerDirectory(runner, Optional.of(runner.resolve("_work/_tool"))));
    assertThat(of(job("/opt/hostedtoolcache"))).containsExactly(new GithubRunnerDirectory(runner, Optional.empty()));
  }

  @Test
  void theRunnersDirectoryIsTheOneAboveTheJobsWorkerWhereverTheWorkFolderIs() throws Exception {
    Path elsewhere = Files.createDirectories(tmp.resolve("work/app"));
    Map<String, String> host = Map.of("GITHUB_ACTIONS", "true", "RUNNER_WORKSPACE", elsewhere.toString());

    assertThat(of(host, Path.of("/usr/bin/bash"), runner.resolve("bin/Runner.Worker"), Path.of("/usr/bin/bash")))
        .containsExactly(new GithubRunnerDirectory(runner, Optional.empty()));
  }

  /** Review finding: a packaged runner keeps its state (and key) apart from the worker's binaries. */
  @Test
  void aWorkersDirectoryWithoutTheRegistrationIsNotTakenForTheRunnersAndRunnerRootIs() throws Exception {
    Path binaries = Files.createDirectories(tmp.resolve("store/runner"));
    Path state = Files.createDirectories(tmp.resolve("state"));
    Files.writeString(state.resolve(".runner"), "{}");
    Map<String, String> host = Map.of("GITHUB_ACTIONS", "true", "RUNNER_ROOT", state.toString(),
        "RUNNER_WORKSPACE", workspace.getParent().toString());

    assertThat(of(host, binaries.resolve("bin/Runner.Worker"))).extracting(GithubRunnerDirectory::root)
        .containsExactly(state.toRealPath(), runner);
  }

  /** Review finding: a tool cache naming the work folder (every checkout) or a file was shown. */
  @Test
  void aToolCacheThatHoldsTheWorkspaceOrIsNoDirectoryIsNotShown() {
    for (String cache : List.of(runner.resolve("_work").toString(), runner.resolve(".runner").toString(), runner.toString(), "")) {
      assertThat(of(job(cache))).as(cache).containsExactly(new GithubRunnerDirectory(runner, Optional.empty()));
    }
  }

  @Test
  void outsideGithubActionsOrWithoutARegistrationNothingIsHidden() throws Exception {
    assertThat(of(Map.of("RUNNER_WORKSPACE", workspace.getParent().toString()), runner.resolve("bin/Runner.Worker"))).isEmpty();
    assertThat(of(Map.of("GITHUB_ACTIONS", "true", "RUNNER_WORKSPACE", "relative/app"))).isEmpty();
    assertThat(of(Map.of("GITHUB_ACTIONS", "true"), Path.of("/Runner.Worker"))).as("never /").isEmpty();
    Files.delete(runner.resolve(".runner"));
    Files.createDirectories(runner.resolve(".runner")); // a directory is no registration
    assertThat(of(job(""), runner.resolve("bin/Runner.Worker"))).isEmpty();
  }
}
