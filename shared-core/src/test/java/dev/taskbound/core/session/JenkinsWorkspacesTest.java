package dev.taskbound.core.session;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskbound.core.policy.SandboxBackend;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JenkinsWorkspacesTest {
  @TempDir Path tmp;
  private Path root;
  private Path job;

  @BeforeEach
  void anAgentRootWithTwoJobs() throws Exception {
    root = tmp.toRealPath().resolve("agent/workspace");
    job = Files.createDirectories(root.resolve("job"));
    Files.createDirectories(root.resolve("job@tmp"));
    Files.createDirectories(root.resolve("other-job@tmp/secretFiles"));
  }

  private static Map<String, String> jenkins(Path workspace, String jobName) {
    return Map.of("JENKINS_HOME", "/var/lib/jenkins", "WORKSPACE", workspace.toString(), "JOB_NAME", jobName);
  }

  /** As on a remote root the view shows (here under /tmp, which the real view empties by itself). */
  private static Optional<JenkinsWorkspaces> of(Path workDir, Map<String, String> host, List<Path> writable) {
    return JenkinsWorkspaces.of(workDir, host, SandboxBackend.NETNS, writable, p -> false);
  }

  @Test
  void inAJenkinsBuildTheDirectoryOfAllWorkspacesIsHiddenAndOnlyTheBuildsOwnTmpIsShown() {
    assertThat(of(job, jenkins(job, "job"), List.of()))
        .contains(new JenkinsWorkspaces(root, List.of(root.resolve("job@tmp"))));
  }

  @Test
  void aFoldersJobAConcurrentBuildAndAFlattenedBranchAllHideTheWholeDirectory() throws Exception {
    Path inFolder = Files.createDirectories(root.resolve("team/app"));
    Path concurrent = Files.createDirectories(root.resolve("team/app@2"));
    Path branch = Files.createDirectories(root.resolve("app_main-1a2b3c"));

    assertThat(of(inFolder, jenkins(inFolder, "team/app"), List.of())).map(JenkinsWorkspaces::hidden).contains(root);
    assertThat(of(concurrent, jenkins(concurrent, "team/app"), List.of())).map(JenkinsWorkspaces::hidden).contains(root);
    assertThat(of(branch, jenkins(branch, "org/app/main"), List.of())).map(JenkinsWorkspaces::hidden).contains(root);
    assertThat(JenkinsWorkspaces.workspacesRoot(root.resolve("job@3"), "job")).isEqualTo(root);
    assertThat(JenkinsWorkspaces.workspacesRoot(root.resolve("custom"), "team/app")).as("a custom workspace: its parent")
        .isEqualTo(root);
    assertThat(JenkinsWorkspaces.workspacesRoot(root.resolve("b/app"), "a/app")).as("another folder's name").isEqualTo(root.resolve("b"));
  }

  @Test
  void aBlockInADirectoryOfTheWorkspaceSeesTheWorkspaceAroundItReadOnly() throws Exception {
    Path sub = Files.createDirectories(job.resolve("sub"));

    assertThat(of(sub, jenkins(job, "job"), List.of()))
        .contains(new JenkinsWorkspaces(root, List.of(job, root.resolve("job@tmp"))));
  }

  @Test
  void whatThePolicyMakesWritableIsNotShownReadOnlyOverIt() {
    assertThat(of(job, jenkins(job, "job"), List.of(root.resolve("job@tmp"))))
        .contains(new JenkinsWorkspaces(root, List.of()));
  }

  @Test
  void outsideAJenkinsBuildOrTheNetnsBackendNothingChanges() {
    assertThat(of(job, Map.of("WORKSPACE", job.toString()), List.of())).as("no JENKINS_HOME").isEmpty();
    assertThat(of(job, Map.of("JENKINS_HOME", "/var/lib/jenkins"), List.of())).as("no WORKSPACE").isEmpty();
    assertThat(of(job, Map.of("JENKINS_HOME", "/j", "WORKSPACE", "ws/job"), List.of())).as("relative").isEmpty();
    assertThat(JenkinsWorkspaces.of(job, jenkins(job, "job"), SandboxBackend.CONTAINER, List.of(), p -> false))
        .as("the container backend mounts the workspace alone").isEmpty();
  }

  @Test
  void aWorkingDirectoryOutsideTheWorkspaceLeavesTheDirectoryAlone() throws Exception {
    Path elsewhere = Files.createDirectories(tmp.resolve("elsewhere"));

    assertThat(of(elsewhere, jenkins(job, "job"), List.of())).isEmpty();
  }

  @Test
  void aTopLevelDirectoryOrOneTheViewEmptiesAlreadyIsLeftAlone() throws Exception {
    Path topLevelJob = tmp.toRealPath(); // /tmp/junit...: as /opt/job, whose /opt holds what the agent runs
    assertThat(topLevelJob.getParent().getNameCount()).isEqualTo(1);

    assertThat(of(topLevelJob, jenkins(topLevelJob, ""), List.of())).isEmpty();
    assertThat(JenkinsWorkspaces.of(job, jenkins(job, "job"), SandboxBackend.NETNS, List.of()))
        .as("under /tmp, which the view empties by itself").isEmpty();
    assertThat(of(job, Map.of("JENKINS_HOME", tmp.toString(), "WORKSPACE", job.toString()), List.of()))
        .as("under JENKINS_HOME, which the sandbox hides by itself").isEmpty();
  }

  @Test
  void anAgentRootReachedThroughALinkHidesTheDirectoryTheLinkLeadsTo() throws Exception {
    Path link = Files.createSymbolicLink(tmp.resolve("jenkins"), tmp.resolve("agent"));
    Path linked = link.resolve("workspace/job");

    assertThat(of(job, jenkins(linked, "job"), List.of())).map(JenkinsWorkspaces::hidden).contains(root);
    assertThat(of(linked, jenkins(linked, "job"), List.of())).as("a working directory named through the link, as the view"
        + " would show it").isEmpty();
  }

  @Test
  void aMissingWorkspaceHidesNothing() {
    Path missing = root.resolve("gone");

    assertThat(of(missing, jenkins(missing, "gone"), List.of())).isEmpty();
  }
}
