package io.jenkins.plugins.taskbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.cloudbees.plugins.credentials.CredentialsProvider;
import com.cloudbees.plugins.credentials.CredentialsScope;
import com.cloudbees.plugins.credentials.domains.Domain;
import hudson.model.Result;
import hudson.util.Secret;
import java.util.List;
import java.util.Map;
import org.jenkinsci.plugins.workflow.job.WorkflowJob;
import org.jenkinsci.plugins.workflow.job.WorkflowRun;
import org.junit.jupiter.api.Test;
import org.jvnet.hudson.test.JenkinsRule;
import org.jvnet.hudson.test.junit.jupiter.WithJenkins;

/**
 * Controller-held credentials: the Credentials-store lookup that becomes the core's environment on
 * the controller, and a configured id that is missing failing the step before the block runs. The
 * hand-off itself is tested end to end in the core (CredentialHandoffLauncherIT). They need the
 * Jenkins repository to run.
 */
@WithJenkins
class ControllerCredentialsTest {

  @Test
  void theAppAndAnAppRoleLoginBecomeTheCoresEnvironmentOnly(JenkinsRule r) throws Exception {
    TaskboundGitHubAppCredentials app = new TaskboundGitHubAppCredentials(CredentialsScope.GLOBAL, "app", "the App",
        "123456", Secret.fromString("-----BEGIN RSA PRIVATE KEY-----\nSENTINEL\n-----END RSA PRIVATE KEY-----\n"));
    app.setApiUrl("https://ghe.example.invalid/api/v3");
    var store = CredentialsProvider.lookupStores(r.jenkins).iterator().next();
    store.addCredentials(Domain.global(), app);
    store.addCredentials(Domain.global(), new com.cloudbees.plugins.credentials.impl.UsernamePasswordCredentialsImpl(
        CredentialsScope.GLOBAL, "vault", "AppRole", "role-1", "SENTINEL-secret-id"));
    TaskboundGlobalConfiguration config = TaskboundGlobalConfiguration.get();
    config.setGithubAppCredentialsId("app");
    config.setVaultAddress("https://vault.example.invalid:8200");
    config.setVaultCredentialsId("vault");
    WorkflowRun build = aBuildWithoutABlock(r, "env");

    Map<String, String> env = ControllerCredentials.issuerEnvironment(build);

    assertEquals("123456", env.get("TASKBOUND_GITHUB_APP_ID"));
    assertEquals(app.getPrivateKey().getPlainText(), env.get("TASKBOUND_GITHUB_APP_KEY"));
    assertEquals("https://ghe.example.invalid/api/v3", env.get("TASKBOUND_GITHUB_API_URL"));
    assertEquals("approle", env.get("TASKBOUND_VAULT_AUTH"));
    assertEquals("role-1", env.get("TASKBOUND_VAULT_ROLE_ID"));
    assertEquals("SENTINEL-secret-id", env.get("TASKBOUND_VAULT_SECRET_ID"));
    assertNull(env.get("TASKBOUND_VAULT_TOKEN"));
  }

  @Test
  void aSecretTextWithAJwtRoleBecomesTheCoresJwtLoginNotAToken(JenkinsRule r) throws Exception {
    var store = CredentialsProvider.lookupStores(r.jenkins).iterator().next();
    store.addCredentials(Domain.global(), new org.jenkinsci.plugins.plaincredentials.impl.StringCredentialsImpl(
        CredentialsScope.GLOBAL, "vault-jwt", "a JWT for Vault", Secret.fromString("eyJ.SENTINEL.sig")));
    TaskboundGlobalConfiguration config = TaskboundGlobalConfiguration.get();
    config.setVaultAddress("https://vault.example.invalid:8200");
    config.setVaultCredentialsId("vault-jwt");
    config.setVaultJwtRole("jenkins-controller");
    WorkflowRun build = aBuildWithoutABlock(r, "jwt-env");

    Map<String, String> env = ControllerCredentials.issuerEnvironment(build);

    assertEquals("jwt", env.get("TASKBOUND_VAULT_AUTH"));
    assertEquals("jenkins-controller", env.get("TASKBOUND_VAULT_JWT_ROLE"));
    assertEquals("eyJ.SENTINEL.sig", env.get("TASKBOUND_VAULT_JWT"));
    assertNull(env.get("TASKBOUND_VAULT_TOKEN"));
  }

  @Test
  void aConfiguredAppThatIsNotInTheStoreFailsTheStepBeforeTheBlockRuns(JenkinsRule r) throws Exception {
    TaskboundGlobalConfiguration.get().setGithubAppCredentialsId("missing-app");
    WorkflowJob job = PipelineScripts.job(r, "missing", "task: 'T-40', policy: 'p.yml'", "sh 'echo ran'");

    WorkflowRun build = r.buildAndAssertStatus(Result.FAILURE, job);

    r.assertLogContains("the GitHub App credentials 'missing-app'", build);
    r.assertLogNotContains("ran", build);
  }

  @Test
  void theValuesOfAHandoffAreWhatTheLogMasks(JenkinsRule r) {
    String handoff = "{\"format\":\"taskbound-credential-handoff/1\",\"credentials\":[{\"name\":\"db\",\"kind\":\"vault-secret\","
        + "\"value\":\"pw-SENTINEL\",\"environment\":{\"DB_PASSWORD\":\"pw-SENTINEL\",\"DB_URL\":\"postgres://u:pw-SENTINEL@db\"},"
        + "\"files\":{},\"scope\":{}}]}";

    assertEquals(List.of("pw-SENTINEL", "postgres://u:pw-SENTINEL@db"), ControllerCredentials.values(handoff));
  }

  /** A finished build of a new job, for the Credentials store lookups a build makes. */
  private static WorkflowRun aBuildWithoutABlock(JenkinsRule r, String name) throws Exception {
    WorkflowJob job = r.createProject(WorkflowJob.class, name);
    job.setDefinition(new org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition("echo 'no block'", true));
    return r.buildAndAssertSuccess(job);
  }
}
