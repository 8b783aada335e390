package io.jenkins.plugins.taskbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import hudson.model.Item;
import java.net.URL;
import java.util.List;
import jenkins.model.Jenkins;
import org.htmlunit.HttpMethod;
import org.htmlunit.WebRequest;
import org.htmlunit.html.HtmlPage;
import org.jenkinsci.plugins.workflow.job.WorkflowJob;
import org.jenkinsci.plugins.workflow.job.WorkflowRun;
import org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition;
import org.junit.jupiter.api.Test;
import org.jvnet.hudson.test.JenkinsRule;
import org.jvnet.hudson.test.MockAuthorizationStrategy;
import org.jvnet.hudson.test.junit.jupiter.WithJenkins;

/**
 * Issue 16: the build page's approvals. The permission model is the {@code input} step's
 * ({@code Item.BUILD}, or the named approvers), answers are POST with a crumb only, and the page lists
 * what the session's approvals socket lists. A real build (it needs the Jenkins repository to run).
 */
@WithJenkins
class ApprovalActionTest {

  private static WorkflowRun buildWith(JenkinsRule r, ApprovalAction action) throws Exception {
    WorkflowJob job = r.createProject(WorkflowJob.class, "approvals");
    job.setDefinition(new CpsFlowDefinition("echo 'no session'", true));
    WorkflowRun build = r.buildAndAssertSuccess(job);
    build.addAction(action);
    return build;
  }

  private static void secure(JenkinsRule r) {
    r.jenkins.setSecurityRealm(r.createDummySecurityRealm());
    r.jenkins.setAuthorizationStrategy(new MockAuthorizationStrategy()
        .grant(Jenkins.READ, Item.READ).everywhere().to("reader")
        .grant(Jenkins.READ, Item.READ, Item.BUILD).everywhere().to("builder", "alice"));
  }

  @Test
  void aUserWhoMayOnlyReadTheJobCannotAnswer(JenkinsRule r) throws Exception {
    secure(r);
    WorkflowRun build = buildWith(r, new ApprovalAction("built-in", "/tmp/no-such-session", "java", "/nonexistent/taskbound.jar", List.of()));
    JenkinsRule.WebClient wc = r.createWebClient().withThrowExceptionOnFailingStatusCode(false).login("reader");

    WebRequest post = new WebRequest(new URL(r.getURL(), build.getUrl() + "taskbound-approvals-no-such-session/answer?request=approval-1&grant=true"),
        HttpMethod.POST);
    wc.addCrumb(post);
    int status = wc.getPage(post).getWebResponse().getStatusCode();

    assertEquals(403, status);
  }

  /** Review finding: the launcher expanded ${NAME} in the request id and reason with the node's environment. */
  @Test
  void anAnswerWhoseRequestIsNoRequestIdIsRefusedBeforeAnythingRunsOnTheNode(JenkinsRule r) throws Exception {
    secure(r);
    WorkflowRun build = buildWith(r, new ApprovalAction("built-in", "/tmp/no-such-session", "java", "/nonexistent/taskbound.jar", List.of()));
    JenkinsRule.WebClient wc = r.createWebClient().withThrowExceptionOnFailingStatusCode(false).login("builder");

    WebRequest post = new WebRequest(new URL(r.getURL(), build.getUrl()
        + "taskbound-approvals-no-such-session/answer?request=%24%7BJENKINS_HOME%7D&grant=true"), HttpMethod.POST);
    wc.addCrumb(post);
    org.htmlunit.WebResponse response = wc.getPage(post).getWebResponse();

    assertEquals(400, response.getStatusCode());
    assertTrue(!response.getContentAsString().contains(r.jenkins.getRootDir().getPath()), response.getContentAsString());
  }

  @Test
  void anAnswerWithoutACrumbOrByGetIsRefused(JenkinsRule r) throws Exception {
    secure(r);
    WorkflowRun build = buildWith(r, new ApprovalAction("built-in", "/tmp/no-such-session", "java", "/nonexistent/taskbound.jar", List.of()));
    JenkinsRule.WebClient wc = r.createWebClient().withThrowExceptionOnFailingStatusCode(false).login("builder");

    int noCrumb = wc.getPage(new WebRequest(new URL(r.getURL(), build.getUrl()
        + "taskbound-approvals-no-such-session/answer?request=approval-1&grant=true"), HttpMethod.POST)).getWebResponse().getStatusCode();
    int get = wc.goTo(build.getUrl() + "taskbound-approvals-no-such-session/answer?request=approval-1&grant=true", null)
        .getWebResponse().getStatusCode();

    assertEquals(403, noCrumb);
    assertEquals(405, get);
  }

  @Test
  void namedApproversNarrowWhoMayAnswerBelowItemBuild(JenkinsRule r) throws Exception {
    secure(r);
    WorkflowRun build = buildWith(r, new ApprovalAction("built-in", "/tmp/no-such-session", "java", "/nonexistent/taskbound.jar", List.of("alice")));
    JenkinsRule.WebClient builder = r.createWebClient().withThrowExceptionOnFailingStatusCode(false).login("builder");
    JenkinsRule.WebClient alice = r.createWebClient().withThrowExceptionOnFailingStatusCode(false).login("alice");

    WebRequest byBuilder = new WebRequest(new URL(r.getURL(), build.getUrl()
        + "taskbound-approvals-no-such-session/answer?request=approval-1&grant=true"), HttpMethod.POST);
    builder.addCrumb(byBuilder);
    WebRequest byAlice = new WebRequest(new URL(r.getURL(), build.getUrl()
        + "taskbound-approvals-no-such-session/answer?request=approval-1&grant=true"), HttpMethod.POST);
    alice.addCrumb(byAlice);

    assertEquals(403, builder.getPage(byBuilder).getWebResponse().getStatusCode());
    // alice may answer; the session is gone, so the core's refusal comes back (409), not a permission error
    assertEquals(409, alice.getPage(byAlice).getWebResponse().getStatusCode());
  }

  @Test
  void aMemberOfANamedGroupMayAnswerWithoutItemBuild(JenkinsRule r) throws Exception {
    JenkinsRule.DummySecurityRealm realm = r.createDummySecurityRealm();
    realm.addGroups("carol", "security-reviewers");
    r.jenkins.setSecurityRealm(realm);
    r.jenkins.setAuthorizationStrategy(new MockAuthorizationStrategy()
        .grant(Jenkins.READ, Item.READ).everywhere().to("carol", "reader"));
    WorkflowRun build = buildWith(r, new ApprovalAction("built-in", "/tmp/no-such-session", "java",
        "/nonexistent/taskbound.jar", ApproverList.parse("alice, security-reviewers")));
    JenkinsRule.WebClient carol = r.createWebClient().withThrowExceptionOnFailingStatusCode(false).login("carol");
    JenkinsRule.WebClient reader = r.createWebClient().withThrowExceptionOnFailingStatusCode(false).login("reader");

    WebRequest byCarol = new WebRequest(new URL(r.getURL(), build.getUrl()
        + "taskbound-approvals-no-such-session/answer?request=approval-1&grant=true"), HttpMethod.POST);
    carol.addCrumb(byCarol);
    WebRequest byReader = new WebRequest(new URL(r.getURL(), build.getUrl()
        + "taskbound-approvals-no-such-session/answer?request=approval-1&grant=true"), HttpMethod.POST);
    reader.addCrumb(byReader);

    // carol may answer; the session is gone, so the core's refusal comes back (409), not a permission error
    assertEquals(409, carol.getPage(byCarol).getWebResponse().getStatusCode());
    assertEquals(403, reader.getPage(byReader).getWebResponse().getStatusCode());
  }

  @Test
  void thePageSaysWhoMayAnswerAndThatNothingWaitsWhenTheSessionTakesNoApprovals(JenkinsRule r) throws Exception {
    WorkflowRun build = buildWith(r, new ApprovalAction("built-in", "/tmp/no-such-session", "java", "/nonexistent/taskbound.jar", List.of()));

    HtmlPage page = r.createWebClient().goTo(build.getUrl() + "taskbound-approvals-no-such-session/");
    String text = page.asNormalizedText();

    assertNotNull(build.getAction(ApprovalAction.class));
    assertTrue(text.contains("anyone who may build this job"), text);
    assertTrue(text.contains("No request waits for approval."), text);
  }

  @Test
  void refusesAHandleThatIsNotAnAbsolutePath() {
    try {
      new ApprovalAction("built-in", "relative/path", "java", "/nonexistent/taskbound.jar", List.of());
    } catch (IllegalArgumentException e) {
      assertTrue(e.getMessage().contains("not a session handle"), e.getMessage());
      return;
    }
    throw new AssertionError("accepted a relative handle");
  }

}
