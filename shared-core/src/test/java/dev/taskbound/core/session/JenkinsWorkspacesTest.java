package dev.taskbound.core.session;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
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
    Files.createDirectories(root.resolve("other-job@tmp/secretFiles"));
  }

  private static Map<String, String> jenkins(Path workspace) {
    return Map.of("JENKINS_HOME", "/var/lib/jenkins", "WORKSPACE", workspace.toString());
  }

  @Test
  void inAJenkinsBuildTheDirectoryOfAllWorkspacesIsHiddenAndNothingMoreIsShown() {
    assertThat(JenkinsWorkspaces.parentToHide(job, jenkins(job))).contains(root);
    assertThat(JenkinsWorkspaces.enclosingWorkspace(job, jenkins(job))).isEmpty();
    assertThat(SandboxPaths.hidden(tmp.resolve("s"), tmp.resolve("r"), job, jenkins(job))).contains(root);
  }

  @Test
  void aSessionInADirectoryOfTheWorkspaceStillSeesTheWorkspaceItself() throws Exception {
    Path sub = Files.createDirectories(job.resolve("sub"));

    assertThat(JenkinsWorkspaces.parentToHide(sub, jenkins(job))).contains(root);
    assertThat(JenkinsWorkspaces.enclosingWorkspace(sub, jenkins(job))).contains(job);
  }

  @Test
  void outsideAJenkinsBuildNothingChanges() {
    assertThat(JenkinsWorkspaces.parentToHide(job, Map.of("WORKSPACE", job.toString()))).as("no JENKINS_HOME").isEmpty();
    assertThat(JenkinsWorkspaces.parentToHide(job, Map.of("JENKINS_HOME", "/var/lib/jenkins"))).as("no WORKSPACE").isEmpty();
    assertThat(JenkinsWorkspaces.parentToHide(job, Map.of("JENKINS_HOME", "/j", "WORKSPACE", "ws/job"))).as("relative").isEmpty();
    assertThat(SandboxPaths.hidden(tmp.resolve("s"), tmp.resolve("r"), job, Map.of("HOME", "/nonexistent")))
        .doesNotContain(root);
  }

  @Test
  void aWorkingDirectoryOutsideTheWorkspaceLeavesItsParentAlone() throws Exception {
    Path elsewhere = Files.createDirectories(tmp.resolve("elsewhere"));

    assertThat(JenkinsWorkspaces.parentToHide(elsewhere, jenkins(job))).isEmpty();
    assertThat(JenkinsWorkspaces.enclosingWorkspace(elsewhere, jenkins(job))).isEmpty();
  }

  @Test
  void aTopLevelParentIsNeverHidden() throws Exception {
    Path topLevelJob = tmp.toRealPath(); // /tmp/junit...: as /opt/job, whose /opt holds what the agent runs
    assertThat(topLevelJob.getParent().getNameCount()).isEqualTo(1);

    assertThat(JenkinsWorkspaces.parentToHide(topLevelJob, jenkins(topLevelJob))).isEmpty();
    assertThat(JenkinsWorkspaces.parentToHide(Path.of("/"), jenkins(Path.of("/")))).isEmpty();
  }

  @Test
  void aWorkspaceReachedThroughALinkIsLeftAlone() throws Exception {
    Path link = Files.createSymbolicLink(tmp.resolve("jenkins"), tmp.resolve("agent"));
    Path linked = link.resolve("workspace/job");

    assertThat(JenkinsWorkspaces.parentToHide(linked, jenkins(linked))).isEmpty();
  }

  @Test
  void aMissingWorkspaceHidesNothing() {
    Path missing = root.resolve("gone");

    assertThat(JenkinsWorkspaces.parentToHide(missing, jenkins(missing))).isEmpty();
  }
}
