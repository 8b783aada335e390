package io.jenkins.plugins.taskbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import hudson.model.Result;
import org.htmlunit.html.HtmlPage;
import org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition;
import org.jenkinsci.plugins.workflow.job.WorkflowJob;
import org.jenkinsci.plugins.workflow.job.WorkflowRun;
import org.junit.jupiter.api.Test;
import org.jvnet.hudson.test.JenkinsRule;
import org.jvnet.hudson.test.junit.jupiter.WithJenkins;

/**
 * The build page (the host record of the evidence key, what the bundle says, its verification and
 * archive) and "require the envelope". Real Pipelines on the built-in node with the real core, as
 * {@link TaskboundStepTest}; they need the Jenkins repository to run.
 */
@WithJenkins
class BuildPageAndRequirementTest {

  @Test
  void recordsTheKidAtOpenVerifiesTheBundleAgainstItAndShowsTheSessionOnTheBuildPage(JenkinsRule r) throws Exception {
    WorkflowJob job = PipelineScripts.job(r, "page", "task: 'T-20', policy: 'p.yml'", "sh 'echo one'; sh 'exit 0'");

    WorkflowRun build = r.buildAndAssertSuccess(job);

    TaskboundAction action = build.getAction(TaskboundAction.class);
    assertNotNull(action.getKid(), "the kid session start printed is in the build");
    assertTrue(action.getSpiffeId().startsWith("spiffe://"), action.getSpiffeId());
    assertEquals(Boolean.TRUE, action.getVerified(), action.getVerifyLines());
    assertEquals("succeeded", action.getFacts().outcome());
    assertEquals(2, action.getFacts().commands());
    assertEquals("taskbound verify --expect-kid " + action.getKid() + " " + action.getBundle(), action.getVerifyCommand());
    r.assertLogContains("evidence key kid " + action.getKid() + " recorded in this build", build);
    r.assertLogContains("verified against kid " + action.getKid(), build);
    var archived = build.getArtifacts().get(0);
    assertEquals(TaskboundStepExecution.EVIDENCE_DIR + "/" + action.getBundle(), archived.relativePath);
    HtmlPage page = r.createWebClient().getPage(build);
    String text = page.asNormalizedText();
    assertTrue(text.contains(action.getKid()), text);
    assertTrue(text.contains(action.getSessionId()), text);
    assertTrue(text.contains("taskbound verify --expect-kid " + action.getKid()), text);
    assertTrue(text.contains("bundle verified against that kid"), text);
  }

  @Test
  void aFailedCommandIsTheSessionsOutcomeOnThePage(JenkinsRule r) throws Exception {
    WorkflowJob job = PipelineScripts.job(r, "failed-command", "task: 'T-21', policy: 'p.yml', archive: false",
        "sh 'true'; catchError { sh 'exit 7' }; sh 'true'");

    WorkflowRun build = r.buildAndAssertStatus(Result.FAILURE, job);

    TaskboundAction action = build.getAction(TaskboundAction.class);
    assertEquals("failed (command 2 of 3 exited 7)", action.getFacts().outcome());
    assertEquals("7", action.getFacts().exitCode());
    assertTrue(build.getArtifacts().isEmpty(), "archive: false");
  }

  @Test
  void refusesAShStepOutsideABlockWhenTheEnvelopeIsRequiredAndRunsTheSameStepInsideOne(JenkinsRule r) throws Exception {
    TaskboundGlobalConfiguration.get().setRequireEnvelope(true);
    WorkflowJob outside = r.createProject(WorkflowJob.class, "outside");
    outside.setDefinition(new CpsFlowDefinition("node { sh 'echo should-not-run' }", true));
    WorkflowJob inside = PipelineScripts.job(r, "inside", "task: 'T-22', policy: 'p.yml'", "sh 'echo ran-inside'");

    WorkflowRun refused = r.buildAndAssertStatus(Result.FAILURE, outside);
    WorkflowRun allowed = r.buildAndAssertSuccess(inside);

    r.assertLogContains("this sh step runs outside a taskbound block", refused);
    r.assertLogContains("taskbound(task: 'FIX-123') { sh '...' }", refused);
    r.assertLogNotContains("should-not-run", refused);
    r.assertLogContains("ran-inside", allowed);
  }

  @Test
  void keepsRequireTheEnvelopeThroughTheConfigForm(JenkinsRule r) throws Exception {
    TaskboundGlobalConfiguration.get().setRequireEnvelope(true);

    r.configRoundtrip();

    assertTrue(TaskboundGlobalConfiguration.get().isRequireEnvelope());
    assertTrue(new TaskboundGlobalConfiguration().isRequireEnvelope());
  }
}
