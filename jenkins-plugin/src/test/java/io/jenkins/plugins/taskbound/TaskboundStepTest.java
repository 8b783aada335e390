package io.jenkins.plugins.taskbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import hudson.FilePath;
import hudson.model.Result;
import java.util.List;
import org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition;
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
    r.assertLogContains("taskbound: task T-1: one session for this block", build);
    r.assertLogContains("seal-evidence", build);
    r.assertLogContains("taskbound: task T-1: 1 evidence bundle(s) in ", build);
    List<TaskboundAction> actions = build.getActions(TaskboundAction.class);
    assertEquals(1, actions.size());
    assertEquals("T-1", actions.get(0).getTask());
    assertEquals(1, actions.get(0).getBundles().size());
    assertNull(actions.get(0).getSession(), "the tail call ended the session");
    assertTrue(actions.get(0).getBundles().get(0).matches("T-1-.+\\.zip"), actions.get(0).getBundles().toString());
  }

  @Test
  void failsBeforeTheBlockWithTheCoreMessageForABadTaskId(JenkinsRule r) throws Exception {
    WorkflowJob job = PipelineScripts.job(r, "bad-task", "task: 'FIX 123', policy: 'p.yml'", "sh 'echo block-ran'");

    WorkflowRun build = r.buildAndAssertStatus(Result.FAILURE, job);

    // The policy is valid (PluginPolicyFixturesTest), so the only thing the core can refuse is the task ID.
    r.assertLogContains("taskbound: policy check refused the step (exit 120): error: task id 'FIX 123' has character", build);
    r.assertLogNotContains("block-ran", build);
    r.assertLogNotContains("\tat ", build);
    assertTrue(build.getActions(TaskboundAction.class).isEmpty());
  }

  @Test
  void rejectsAnImageForAnotherSandboxBeforeAnythingRuns(JenkinsRule r) throws Exception {
    WorkflowJob job =
        PipelineScripts.job(r, "image-netns", "task: 'T-5', policy: 'p.yml', sandbox: 'netns', image: 'node:22'", "sh 'echo block-ran'");

    WorkflowRun build = r.buildAndAssertStatus(Result.FAILURE, job);

    r.assertLogContains("taskbound: 'image' is set but 'sandbox' is 'netns': the image is only used by the container sandbox", build);
    r.assertLogNotContains("block-ran", build);
  }

  @Test
  void runsTheNextBuildAndASecondBlockOnTheSameNodeWithOneCachedCore(JenkinsRule r) throws Exception {
    WorkflowJob job = PipelineScripts.job(r, "twice", "task: 'T-6', policy: 'p.yml'", "sh 'echo first-block'");
    r.buildAndAssertSuccess(job);
    job.setDefinition(new CpsFlowDefinition(
        PipelineScripts.withPolicy(
            "task: 'T-6', policy: 'p.yml'", "sh 'echo first-block'", "taskbound(task: 'T-6', policy: 'p.yml') { sh 'echo second-block' }"),
        true));

    WorkflowRun second = r.buildAndAssertSuccess(job);

    r.assertLogContains("second-block", second);
    r.assertLogNotContains("FileAlreadyExistsException", second);
    FilePath cache = r.jenkins.getRootPath().child("taskbound");
    assertEquals(1, cache.listDirectories().size(), "one digest directory for one plugin build");
    assertEquals(0, cache.list("**/*.part").length, "no partial copy left behind");
  }

  @Test
  void failsTheStepWithTheCoresMessageWhenTheSessionRefusesWhatCheckAccepted(JenkinsRule r) throws Exception {
    // policy check does not see --ttl; session start refuses a TTL longer than the policy's, before any command.
    WorkflowJob job = PipelineScripts.job(r, "ttl-too-long", "task: 'T-7', policy: 'p.yml', ttl: '999h'", "sh 'echo block-ran'");

    WorkflowRun build = r.buildAndAssertStatus(Result.FAILURE, job);

    r.assertLogContains("taskbound: the block's session could not open (exit 120)", build);
    r.assertLogContains(EnvelopeExit.message(120), build);
    r.assertLogNotContains("block-ran", build);
    r.assertLogNotContains("process apparently never started", build);
  }

  @Test
  void failsWith124WhenTheTtlExpires(JenkinsRule r) throws Exception {
    WorkflowJob job = PipelineScripts.job(r, "ttl-expiry", "task: 'T-8', policy: 'p.yml', ttl: '3s'", "sh 'sleep 60; echo slept'");

    WorkflowRun build = r.buildAndAssertStatus(Result.FAILURE, job);

    r.assertLogContains(EnvelopeExit.message(124), build);
    r.assertLogContains("script returned exit code 124", build);
    r.assertLogNotContains("slept", build);
    assertNull(build.getAction(TaskboundAction.class).getSession(), "the TTL's teardown counts as ended");
  }

  @Test
  void givesTwoBlocksOfOneBuildASessionEachAndEachItsBundle(JenkinsRule r) throws Exception {
    WorkflowJob job = r.createProject(WorkflowJob.class, "two-blocks");
    job.setDefinition(new CpsFlowDefinition(PipelineScripts.withPolicy(
        "task: 'T-10', policy: 'p.yml'", "sh 'echo first-a'; sh 'echo first-b'",
        "taskbound(task: 'T-11', policy: 'p.yml') { sh 'echo second-block' }"), true));

    WorkflowRun build = r.buildAndAssertSuccess(job);

    r.assertLogContains("first-b", build);
    r.assertLogContains("second-block", build);
    List<TaskboundAction> actions = build.getActions(TaskboundAction.class);
    assertEquals(2, actions.size());
    for (TaskboundAction action : actions) {
      assertEquals(1, action.getBundles().size(), action.getTask() + ": one session, one bundle");
      assertNull(action.getSession(), action.getTask() + ": ended by the tail call");
    }
  }

  @Test
  void endsTheSessionWhenTheBuildIsAborted(JenkinsRule r) throws Exception {
    WorkflowJob job = PipelineScripts.job(r, "abort", "task: 'T-12', policy: 'p.yml'", "sh 'echo sleeping; sleep 300'");
    WorkflowRun build = job.scheduleBuild2(0).waitForStart();
    r.waitForMessage("sleeping", build);

    build.doStop();
    r.waitForCompletion(build);

    r.assertBuildStatus(Result.ABORTED, build);
    r.assertLogContains("seal-evidence", build);
    TaskboundAction action = build.getAction(TaskboundAction.class);
    assertNull(action.getSession(), "the tail call ended the session on abort");
    assertEquals(1, action.getBundles().size());
  }

  @Test
  void endsTheSessionWhenATimeoutInsideTheBlockFires(JenkinsRule r) throws Exception {
    WorkflowJob job = PipelineScripts.job(r, "timeout", "task: 'T-13', policy: 'p.yml'",
        "timeout(time: 5, unit: 'SECONDS') { sh 'sleep 300' }");

    WorkflowRun build = r.buildAndAssertStatus(Result.ABORTED, job);

    r.assertLogContains("seal-evidence", build);
    assertNull(build.getAction(TaskboundAction.class).getSession());
  }

  @Test
  void theBackstopEndsTheSessionOfABuildKilledHard(JenkinsRule r) throws Exception {
    WorkflowJob job = PipelineScripts.job(r, "killed", "task: 'T-14', policy: 'p.yml'", "sh 'echo sleeping; sleep 300'");
    WorkflowRun build = job.scheduleBuild2(0).waitForStart();
    r.waitForMessage("sleeping", build);
    String handle = build.getAction(TaskboundAction.class).getSession();

    build.doKill(); // no tail call runs
    r.waitForCompletion(build);

    assertNotNull(handle);
    r.assertLogContains("the build ended inside a taskbound block; ending its session", build);
    assertNull(build.getAction(TaskboundAction.class).getSession());
    assertFalse(new java.io.File(handle, "session.json").exists(), "the session's state is gone");
  }

  @Test
  void masksAnInstallationTokenTheBlockPrints(JenkinsRule r) throws Exception {
    String token = "ghs_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8";
    WorkflowJob job = PipelineScripts.job(r, "masking", "task: 'T-9', policy: 'p.yml'", "sh 'echo token=" + token + "'");

    WorkflowRun build = r.buildAndAssertSuccess(job);

    r.assertLogContains("token=" + TokenMasker.MASK, build);
    r.assertLogNotContains(token, build);
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
  void laterCommandsRunUnderThePolicyTheSessionOpenedWith(JenkinsRule r) throws Exception {
    WorkflowJob job = PipelineScripts.job(r, "edited-policy", "task: 'T-3', policy: 'p.yml'", "sh 'echo not-a-policy > p.yml'; sh 'true'");

    WorkflowRun build = r.buildAndAssertSuccess(job);

    // The session read the policy once, at start: the second command ran although p.yml is now invalid.
    r.assertLogContains("taskbound: task T-3: 1 evidence bundle(s)", build);
  }

  @Test
  void failsTheStepWhenAnEnvelopeInputIsRewrittenDuringTheBlock(JenkinsRule r) throws Exception {
    WorkflowJob job =
        PipelineScripts.job(
            r,
            "tampered-input",
            "task: 'T-4', policy: 'p.yml'",
            "sh 'for f in \"$WORKSPACE@tmp\"/taskbound/policy-*; do [ -f \"$f\" ] && echo widened >> \"$f\" && echo rewrote-input; done; true'");

    WorkflowRun build = r.buildAndAssertStatus(Result.FAILURE, job);

    // The snapshots sit outside the workspace but are writable by the agent's user (the netns sandbox
    // shares the file system): the rewrite succeeds, and the step must notice it.
    r.assertLogContains("rewrote-input", build);
    r.assertLogContains("changed on the agent while the block ran", build);
  }

  @Test
  void keepsEveryArgumentThroughTheSnippetGenerator(JenkinsRule r) throws Exception {
    TaskboundStep step = new TaskboundStep("FIX-123");
    step.setPolicy("org.yml, taskbound/policy.yml");
    step.setProfile("coding-agent");
    step.setSandbox("container");
    step.setImage("node:22-bookworm");
    step.setTtl("45m");
    step.setApprovers("alice, security-reviewers");

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
