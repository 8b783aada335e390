package io.jenkins.plugins.taskbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import hudson.model.Result;
import java.util.List;
import org.jenkinsci.plugins.workflow.job.WorkflowJob;
import org.jenkinsci.plugins.workflow.job.WorkflowRun;
import org.jenkinsci.plugins.workflow.steps.StepConfigTester;
import org.junit.jupiter.api.Test;
import org.jvnet.hudson.test.JenkinsRule;
import org.jvnet.hudson.test.junit.jupiter.WithJenkins;

/**
 * Runs real Pipelines on the built-in node with the real core CLI. Needs a Linux controller that
 * can create network namespaces (root, or unprivileged user namespaces allowed).
 */
@WithJenkins
class TaskboundStepTest {

  @Test
  void runsShellCommandInsideAnEnvelopeAndRecordsItsBundle(JenkinsRule r) throws Exception {
    WorkflowJob job = PipelineScripts.job(r, "envelope", "task: 'T-1', policy: 'p.yml'", "sh 'echo hi'");

    WorkflowRun build = r.buildAndAssertSuccess(job);

    r.assertLogContains("hi", build);
    r.assertLogContains("taskbound: task T-1: each command in this block runs in its own envelope", build);
    r.assertLogContains("taskbound: task T-1: 1 evidence bundle(s) in ", build);
    List<TaskboundAction> actions = build.getActions(TaskboundAction.class);
    assertEquals(1, actions.size());
    assertEquals("T-1", actions.get(0).getTask());
    assertEquals(1, actions.get(0).getBundles().size());
    assertTrue(actions.get(0).getBundles().get(0).matches("T-1-.+\\.zip"), actions.get(0).getBundles().toString());
  }

  @Test
  void failsBeforeTheBlockWithTheCoreMessageForABadTaskId(JenkinsRule r) throws Exception {
    WorkflowJob job = PipelineScripts.job(r, "bad-task", "task: 'FIX 123', policy: 'p.yml'", "sh 'echo block-ran'");

    WorkflowRun build = r.buildAndAssertStatus(Result.FAILURE, job);

    r.assertLogContains("'FIX 123'", build);
    r.assertLogNotContains("block-ran", build);
    r.assertLogNotContains("\tat ", build);
    assertTrue(build.getActions(TaskboundAction.class).isEmpty());
  }

  @Test
  void rejectsUnknownSandboxNamingTheAcceptedValues(JenkinsRule r) throws Exception {
    WorkflowJob job = PipelineScripts.job(r, "bad-sandbox", "task: 'T-2', policy: 'p.yml', sandbox: 'docker'", "sh 'echo block-ran'");

    WorkflowRun build = r.buildAndAssertStatus(Result.FAILURE, job);

    r.assertLogContains(
        "taskbound: 'sandbox' is 'docker': accepted values are netns, container, proxy, or leave it out for the policy's choice",
        build);
    r.assertLogNotContains("block-ran", build);
  }

  @Test
  void laterCommandsReadThePolicyAsCheckedNotAsTheAgentEditedIt(JenkinsRule r) throws Exception {
    WorkflowJob job = PipelineScripts.job(r, "edited-policy", "task: 'T-3', policy: 'p.yml'", "sh 'echo not-a-policy > p.yml'; sh 'true'");

    WorkflowRun build = r.buildAndAssertSuccess(job);

    // Had the second command read the edited p.yml, its envelope would have refused it (status 120).
    r.assertLogContains("taskbound: task T-3: 2 evidence bundle(s)", build);
  }

  @Test
  void failsTheStepWhenAnEnvelopeInputIsRewrittenDuringTheBlock(JenkinsRule r) throws Exception {
    WorkflowJob job =
        PipelineScripts.job(
            r,
            "tampered-input",
            "task: 'T-4', policy: 'p.yml'",
            "sh 'for f in \"$WORKSPACE@tmp\"/taskbound/policy-*; do [ -f \"$f\" ] && echo widened >> \"$f\" && echo rewrote-input; done; true'");

    WorkflowRun build = job.scheduleBuild2(0).get();

    // Either the sandbox kept the input read-only, or the step noticed the rewrite; never a silent success.
    if (JenkinsRule.getLog(build).contains("rewrote-input")) {
      r.assertBuildStatus(Result.FAILURE, build);
      r.assertLogContains("changed on the agent while the block ran", build);
    } else {
      r.assertBuildStatusSuccess(build);
    }
  }

  @Test
  void keepsEveryArgumentThroughTheSnippetGenerator(JenkinsRule r) throws Exception {
    TaskboundStep step = new TaskboundStep("FIX-123");
    step.setPolicy("org.yml, taskbound/policy.yml");
    step.setProfile("coding-agent");
    step.setSandbox("netns");
    step.setTtl("45m");

    TaskboundStep after = new StepConfigTester(r).configRoundTrip(step);

    r.assertEqualDataBoundBeans(step, after);
  }

  @Test
  void keepsOnlyTheTaskWhenNothingElseIsGiven(JenkinsRule r) throws Exception {
    TaskboundStep step = new TaskboundStep("FIX-123");

    TaskboundStep after = new StepConfigTester(r).configRoundTrip(step);

    r.assertEqualDataBoundBeans(step, after);
    assertEquals(List.of(TaskboundStep.DEFAULT_POLICY), after.policyFiles());
  }
}
