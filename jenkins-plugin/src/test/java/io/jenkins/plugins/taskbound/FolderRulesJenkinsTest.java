package io.jenkins.plugins.taskbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import hudson.model.Result;
import java.util.List;
import org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition;
import org.jenkinsci.plugins.workflow.job.WorkflowJob;
import org.jenkinsci.plugins.workflow.job.WorkflowRun;
import org.junit.jupiter.api.Test;
import org.jvnet.hudson.test.JenkinsRule;
import org.jvnet.hudson.test.MockFolder;
import org.jvnet.hudson.test.junit.jupiter.WithJenkins;

/**
 * Folder rules of the global configuration on real items in (mock) folders: the profile a folder
 * fixes, and "require the envelope" in one folder only. They need the Jenkins repository to run.
 */
@WithJenkins
class FolderRulesJenkinsTest {

  @Test
  void aJobAskingForAnotherProfileThanItsFoldersIsRefusedBeforeAnythingRuns(JenkinsRule r) throws Exception {
    FolderRule rule = new FolderRule("team-a");
    rule.setProfile("team-a-agent");
    TaskboundGlobalConfiguration.get().setFolders(List.of(rule));
    MockFolder folder = r.createFolder("team-a");
    WorkflowJob job = folder.createProject(WorkflowJob.class, "fix-bot");
    job.setDefinition(new CpsFlowDefinition(
        PipelineScripts.withPolicy("task: 'T-30', policy: 'p.yml', profile: 'unrestricted'", "sh 'echo ran'"), true));

    WorkflowRun build = r.buildAndAssertStatus(Result.FAILURE, job);

    r.assertLogContains("profile 'unrestricted' is refused: the folder team-a runs every block under profile 'team-a-agent'", build);
    r.assertLogNotContains("ran", build);
  }

  @Test
  void requireTheEnvelopeInOneFolderRefusesItsBareShAndLeavesOtherFoldersAlone(JenkinsRule r) throws Exception {
    FolderRule rule = new FolderRule("regulated");
    rule.setRequireEnvelope(true);
    TaskboundGlobalConfiguration.get().setFolders(List.of(rule));
    WorkflowJob inside = r.createFolder("regulated").createProject(WorkflowJob.class, "job");
    inside.setDefinition(new CpsFlowDefinition("node { sh 'echo bare' }", true));
    WorkflowJob outside = r.createFolder("free").createProject(WorkflowJob.class, "job");
    outside.setDefinition(new CpsFlowDefinition("node { sh 'echo bare' }", true));

    WorkflowRun refused = r.buildAndAssertStatus(Result.FAILURE, inside);
    WorkflowRun allowed = r.buildAndAssertSuccess(outside);

    r.assertLogContains("taskbound(task: 'FIX-123') { sh '...' }", refused);
    r.assertLogContains("bare", allowed);
  }

  @Test
  void folderRulesAndControllerCredentialIdsSurviveTheConfigurationForm(JenkinsRule r) throws Exception {
    FolderRule rule = new FolderRule("team-a/agents");
    rule.setProfile("team-a-agent");
    rule.setRequireEnvelope(true);
    TaskboundGlobalConfiguration config = TaskboundGlobalConfiguration.get();
    config.setFolders(List.of(rule));
    config.setGithubAppCredentialsId("taskbound-app");
    config.setVaultAddress("https://vault.example.invalid:8200");
    config.setVaultCredentialsId("taskbound-vault");

    r.configRoundtrip();

    TaskboundGlobalConfiguration after = TaskboundGlobalConfiguration.get();
    assertEquals(1, after.getFolders().size());
    assertEquals("team-a/agents", after.getFolders().get(0).getFolder());
    assertEquals("team-a-agent", after.getFolders().get(0).getProfile());
    assertTrue(after.getFolders().get(0).isRequireEnvelope());
    assertEquals("taskbound-app", after.getGithubAppCredentialsId());
    assertEquals("taskbound-vault", after.getVaultCredentialsId());
    assertTrue(after.rulesFor("team-a/agents/fix-bot").requireEnvelope());
  }
}
