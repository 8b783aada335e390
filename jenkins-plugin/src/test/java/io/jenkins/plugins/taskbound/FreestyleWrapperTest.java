package io.jenkins.plugins.taskbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import hudson.model.FreeStyleBuild;
import hudson.model.FreeStyleProject;
import hudson.model.Result;
import hudson.tasks.Shell;
import org.junit.jupiter.api.Test;
import org.jvnet.hudson.test.JenkinsRule;
import org.jvnet.hudson.test.junit.jupiter.WithJenkins;

/**
 * The freestyle wrapper: one session for the build's steps, each shell step a fresh sandbox of it,
 * the session ended, verified and archived after the steps, as the Pipeline step does. Real builds
 * on the built-in node with the real core; they need the Jenkins repository to run.
 */
@WithJenkins
class FreestyleWrapperTest {

  /** A freestyle job running {@code commands} as shell steps, with the test policy in its workspace (setUp checks it). */
  private static FreeStyleProject project(JenkinsRule r, String name, String... commands) throws Exception {
    FreeStyleProject p = r.createFreeStyleProject(name);
    for (String command : commands) {
      p.getBuildersList().add(new Shell(command));
    }
    r.jenkins.getWorkspaceFor(p).child("p.yml").write(PipelineScripts.resource("minimal-policy.yml"), "UTF-8");
    return p;
  }

  @Test
  void runsEachShellStepInTheBuildsSessionAndEndsVerifiesAndArchivesIt(JenkinsRule r) throws Exception {
    FreeStyleProject p = project(r, "freestyle", "echo first-step", "echo second-step");
    TaskboundBuildWrapper wrapper = new TaskboundBuildWrapper("T-30");
    wrapper.setPolicy("p.yml");
    wrapper.setApprovers("alice, security-reviewers");
    p.getBuildWrappersList().add(wrapper);

    FreeStyleBuild build = r.buildAndAssertSuccess(p);

    r.assertLogContains("first-step", build);
    r.assertLogContains("second-step", build);
    r.assertLogContains("taskbound: task T-30: one session for this build's steps", build);
    TaskboundAction action = build.getAction(TaskboundAction.class);
    assertNotNull(action.getKid());
    assertNull(action.getSession(), "the disposer ended the session");
    assertEquals(Boolean.TRUE, action.getVerified(), action.getVerifyLines());
    assertEquals(2, action.getFacts().commands());
    assertEquals(1, build.getArtifacts().size());
    // issue 16: the build page's approvals, as the Pipeline step registers them, with the named approvers
    assertEquals("only alice, security-reviewers (users, or members of these groups)",
        build.getAction(ApprovalAction.class).getWhoMayAnswer());
  }

  @Test
  void aFailingStepFailsTheBuildAndTheSessionIsStillEnded(JenkinsRule r) throws Exception {
    FreeStyleProject p = project(r, "freestyle-fail", "exit 3");
    TaskboundBuildWrapper wrapper = new TaskboundBuildWrapper("T-31");
    wrapper.setPolicy("p.yml");
    wrapper.setArchive(false);
    p.getBuildWrappersList().add(wrapper);

    FreeStyleBuild build = r.buildAndAssertStatus(Result.FAILURE, p);

    TaskboundAction action = build.getAction(TaskboundAction.class);
    assertNull(action.getSession());
    assertEquals("failed (command 1 of 1 exited 3)", action.getFacts().outcome());
  }

  @Test
  void aJobSavedBeforeTheSharedSettingsKeepsThemAndIsSavedInTheNewForm(JenkinsRule r) throws Exception {
    String saved = "<io.jenkins.plugins.taskbound.TaskboundBuildWrapper><task>T-33</task><policy>a.yml, b.yml</policy>"
        + "<profile>coding-agent</profile><sandbox>container</sandbox><image>node:22</image><ttl>30m</ttl>"
        + "<archive>false</archive></io.jenkins.plugins.taskbound.TaskboundBuildWrapper>";

    TaskboundBuildWrapper read = (TaskboundBuildWrapper) hudson.model.Items.XSTREAM2.fromXML(saved);
    String written = hudson.model.Items.XSTREAM2.toXML(read);

    assertEquals("a.yml, b.yml", read.getPolicy());
    assertEquals("coding-agent", read.getProfile());
    assertEquals("container", read.getSandbox());
    assertEquals("node:22", read.getImage());
    assertEquals("30m", read.getTtl());
    assertEquals(false, read.isArchive());
    org.junit.jupiter.api.Assertions.assertTrue(written.contains("<settings>"), written);
    assertEquals(1, written.split("<ttl>", -1).length - 1, "the old field is not written again: " + written);
  }

  @Test
  void keepsItsSettingsThroughTheConfigForm(JenkinsRule r) throws Exception {
    FreeStyleProject p = r.createFreeStyleProject("freestyle-config");
    TaskboundBuildWrapper wrapper = new TaskboundBuildWrapper("T-32");
    wrapper.setPolicy("a.yml, b.yml");
    wrapper.setTtl("30m");
    wrapper.setApprovers("alice, security-reviewers");
    wrapper.setArchive(false);
    p.getBuildWrappersList().add(wrapper);

    r.configRoundtrip(p);

    r.assertEqualDataBoundBeans(wrapper, p.getBuildWrappersList().get(TaskboundBuildWrapper.class));
  }
}
