package dev.taskbound.core.session;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
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
  }

  private static Optional<GithubRunnerDirectory> of(Map<String, String> host, Path... ancestors) {
    return GithubRunnerDirectory.of(host, () -> Stream.of(ancestors));
  }

  private Map<String, String> job(String toolCache) {
    return Map.of("GITHUB_ACTIONS", "true", "RUNNER_WORKSPACE", workspace.getParent().toString(), "RUNNER_TOOL_CACHE", toolCache);
  }

  @Test
  void theDirectoryHoldingTheRegistrationAboveTheWorkspaceIsTheRunnersAndItsToolCacheIsShown() throws Exception {
    Files.writeString(runner.resolve(".runner"), "{}");

    assertThat(of(job(runner.resolve("_work/_tool").toString())))
        .contains(new GithubRunnerDirectory(runner, Optional.of(runner.resolve("_work/_tool"))));
    assertThat(of(job("/opt/hostedtoolcache"))).contains(new GithubRunnerDirectory(runner, Optional.empty()));
  }

  @Test
  void theRunnersDirectoryIsTheOneAboveTheJobsWorkerWhereverTheWorkFolderIs() {
    Path elsewhere = tmp.resolve("work/app");
    Map<String, String> host = Map.of("GITHUB_ACTIONS", "true", "RUNNER_WORKSPACE", elsewhere.toString());

    assertThat(of(host, Path.of("/usr/bin/bash"), runner.resolve("bin/Runner.Worker"), Path.of("/usr/bin/bash")))
        .contains(new GithubRunnerDirectory(runner, Optional.empty()));
  }

  @Test
  void outsideGithubActionsOrWithoutARegistrationNothingIsHidden() throws Exception {
    Files.createDirectories(runner.resolve(".runner")); // a directory is no registration

    assertThat(of(job(""))).isEmpty();
    Files.delete(runner.resolve(".runner"));
    Files.writeString(runner.resolve(".runner"), "{}");
    assertThat(of(Map.of("RUNNER_WORKSPACE", workspace.getParent().toString()), runner.resolve("bin/Runner.Worker"))).isEmpty();
    assertThat(of(Map.of("GITHUB_ACTIONS", "true", "RUNNER_WORKSPACE", "relative/app"))).isEmpty();
    assertThat(of(Map.of("GITHUB_ACTIONS", "true"), Path.of("/Runner.Worker"))).as("never /").isEmpty();
  }
}
