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
  private static Optional<JenkinsWorkspaces> of(Path workDir, Map<String, String> host) {
    return JenkinsWorkspaces.of(workDir, host, SandboxBackend.NETNS, p -> false);
  }

  @Test
  void inAJenkinsBuildTheDirectoryOfAllWorkspacesIsHiddenAndNothingOfItIsShownAroundTheWorkspace() {
    Optional<JenkinsWorkspaces> jenkins = of(job, jenkins(job, "job"));

    assertThat(jenkins).contains(new JenkinsWorkspaces(root, job, true));
    assertThat(jenkins.orElseThrow().shownAround(job, List.of())).as("not @tmp: other steps' logs, secret files").isEmpty();
  }

  @Test
  void aFoldersJobAConcurrentBuildAndAFlattenedBranchAllHideTheWholeDirectory() throws Exception {
    Path inFolder = Files.createDirectories(root.resolve("team/app"));
    Path concurrent = Files.createDirectories(root.resolve("team/app@2"));
    Path branch = Files.createDirectories(root.resolve("app_main-1a2b3c"));

    assertThat(of(inFolder, jenkins(inFolder, "team/app"))).map(JenkinsWorkspaces::hidden).contains(root);
    assertThat(of(concurrent, jenkins(concurrent, "team/app"))).map(JenkinsWorkspaces::hidden).contains(root);
    assertThat(of(branch, jenkins(branch, "org/app/main"))).map(JenkinsWorkspaces::hidden).contains(root);
    assertThat(JenkinsWorkspaces.workspacesRoot(root.resolve("job@3"), "job")).contains(root);
    assertThat(JenkinsWorkspaces.workspacesRoot(root.resolve("b/app"), "a/app")).as("another folder's job: not Jenkins' layout")
        .isEmpty();
  }

  @Test
  void aCustomWorkspaceLeavesItsParentAloneWhichMayHoldTheAgentsTools() throws Exception {
    Path custom = Files.createDirectories(tmp.toRealPath().resolve("agent/build")); // ws('build'): <remote root>/build
    Files.createDirectories(tmp.resolve("agent/tools/jdk"));

    assertThat(of(custom, jenkins(custom, "job"))).isEmpty();
    assertThat(of(job, jenkins(tmp.toRealPath(), "job"))).as("a WORKSPACE above the workspaces: nothing shown around").isEmpty();
    assertThat(JenkinsWorkspaces.of(job, jenkins(Path.of("/"), "job"), SandboxBackend.NETNS)).as("WORKSPACE=/").isEmpty();
    assertThat(JenkinsWorkspaces.workspacesRoot(Path.of("/"), "job")).as("WORKSPACE=/").isEmpty();
    assertThat(JenkinsWorkspaces.workspacesRoot(Path.of("/workspace"), "")).as("its parent, /").isEmpty();
    assertThat(JenkinsWorkspaces.workspacesRoot(Path.of("/workspace/job"), "job")).as("a remote root of /")
        .contains(Path.of("/workspace"));
  }

  @Test
  void aStepInADirectoryOfTheWorkspaceSeesTheWorkspaceAroundItReadOnlyWhereTheHostViewShowedIt() throws Exception {
    Path sub = Files.createDirectories(job.resolve("sub"));
    JenkinsWorkspaces jenkins = of(job, jenkins(job, "job")).orElseThrow();

    assertThat(jenkins.shownAround(sub, List.of())).containsExactly(job);
    assertThat(of(sub, jenkins(job, "job"))).as("a block opened there").contains(jenkins);
  }

  @Test
  void whatThePolicyMakesWritableInsideTheDirectoryIsNotShownReadOnlyOverIt() throws Exception {
    Path sub = Files.createDirectories(job.resolve("sub"));
    JenkinsWorkspaces jenkins = of(job, jenkins(job, "job")).orElseThrow();

    assertThat(jenkins.shownAround(sub, List.of(job))).isEmpty();
    assertThat(jenkins.shownAround(sub, List.of(tmp))).as("a writable path above the hidden directory is covered by it")
        .containsExactly(job);
  }

  @Test
  void outsideAJenkinsBuildOrTheNetnsBackendNothingChanges() {
    assertThat(of(job, Map.of("WORKSPACE", job.toString()))).as("no JENKINS_HOME").isEmpty();
    assertThat(of(job, Map.of("JENKINS_HOME", "/var/lib/jenkins"))).as("no WORKSPACE").isEmpty();
    assertThat(of(job, Map.of("JENKINS_HOME", "/j", "WORKSPACE", "ws/job"))).as("relative").isEmpty();
    assertThat(JenkinsWorkspaces.of(job, jenkins(job, "job"), SandboxBackend.CONTAINER, p -> false))
        .as("the container backend mounts the workspace alone").isEmpty();
  }

  @Test
  void aWorkingDirectoryOutsideTheWorkspaceLeavesTheDirectoryAlone() throws Exception {
    Path elsewhere = Files.createDirectories(tmp.resolve("elsewhere"));

    assertThat(of(elsewhere, jenkins(job, "job"))).isEmpty();
  }

  /**
   * {@code /home/jenkins/agent} (the inbound-agent image's root) or the built-in node's
   * {@code JENKINS_HOME/workspace}: hidden all the same, since a policy path above it would show it
   * again, and nothing is shown around the workspace, which the host view did not show either.
   */
  @Test
  void whereTheViewEmptiesTheDirectoryAlreadyItIsHiddenAllTheSameAndNothingIsShownAround() throws Exception {
    Path sub = Files.createDirectories(job.resolve("sub"));
    JenkinsWorkspaces emptied = JenkinsWorkspaces.of(job, jenkins(job, "job"), SandboxBackend.NETNS).orElseThrow();
    Optional<JenkinsWorkspaces> underHome =
        of(job, Map.of("JENKINS_HOME", tmp.toString(), "WORKSPACE", job.toString(), "JOB_NAME", "job"));

    assertThat(emptied).as("under /tmp, which the view empties by itself").isEqualTo(new JenkinsWorkspaces(root, job, false));
    assertThat(emptied.shownAround(sub, List.of())).isEmpty();
    assertThat(underHome).as("under JENKINS_HOME, which the sandbox hides by itself")
        .contains(new JenkinsWorkspaces(root, job, false));
    assertThat(of(job, Map.of("JENKINS_HOME", "/", "WORKSPACE", job.toString(), "JOB_NAME", "job")))
        .as("a JENKINS_HOME of /, which the sandbox does not hide").contains(new JenkinsWorkspaces(root, job, true));
  }

  @Test
  void anAgentRootReachedThroughALinkHidesTheDirectoryTheLinkLeadsTo() throws Exception {
    Path link = Files.createSymbolicLink(tmp.resolve("jenkins"), tmp.resolve("agent"));
    Path linked = link.resolve("workspace/job");

    assertThat(of(job, jenkins(linked, "job"))).map(JenkinsWorkspaces::hidden).contains(root);
    assertThat(of(linked, jenkins(linked, "job"))).as("a working directory named through the link, as the view"
        + " would show it").isEmpty();
  }

  @Test
  void aMissingWorkspaceHidesNothing() {
    Path missing = root.resolve("gone");

    assertThat(of(missing, jenkins(missing, "gone"))).isEmpty();
  }
}
