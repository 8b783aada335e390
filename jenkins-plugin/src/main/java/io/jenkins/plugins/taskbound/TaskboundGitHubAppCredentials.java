package io.jenkins.plugins.taskbound;

import com.cloudbees.plugins.credentials.CredentialsScope;
import com.cloudbees.plugins.credentials.impl.BaseStandardCredentials;
import edu.umd.cs.findbugs.annotations.CheckForNull;
import edu.umd.cs.findbugs.annotations.NonNull;
import hudson.Extension;
import hudson.Util;
import hudson.util.Secret;
import org.jenkinsci.Symbol;
import org.kohsuke.stapler.DataBoundConstructor;
import org.kohsuke.stapler.DataBoundSetter;

/**
 * A GitHub App for Taskbound, in the Jenkins Credentials store: its id (or client id), its private
 * key (PEM, stored encrypted as a {@link Secret}) and the API URL for GitHub Enterprise Server. The
 * controller mints each block's installation token with it ({@link ControllerCredentials}); the key
 * never reaches an agent. github-branch-source's App credential is not used because this plugin does
 * not depend on it.
 */
public final class TaskboundGitHubAppCredentials extends BaseStandardCredentials {
  private static final long serialVersionUID = 1L;

  private final String appId;
  private final Secret privateKey;
  @CheckForNull private String apiUrl;

  @DataBoundConstructor
  public TaskboundGitHubAppCredentials(@CheckForNull CredentialsScope scope, @CheckForNull String id,
      @CheckForNull String description, @NonNull String appId, @NonNull Secret privateKey) {
    super(scope, id, description);
    this.appId = Util.fixEmptyAndTrim(appId);
    this.privateKey = privateKey;
  }

  /** The App's id or client id. */
  @CheckForNull
  public String getAppId() {
    return appId;
  }

  /** The App's private key (PEM), encrypted at rest. */
  @NonNull
  public Secret getPrivateKey() {
    return privateKey;
  }

  /** The GitHub API URL, or null for {@code https://api.github.com}. */
  @CheckForNull
  public String getApiUrl() {
    return apiUrl;
  }

  @DataBoundSetter
  public void setApiUrl(@CheckForNull String apiUrl) {
    this.apiUrl = Util.fixEmptyAndTrim(apiUrl);
  }

  /** Registers the type ("Taskbound GitHub App") with the Credentials store. */
  @Extension
  @Symbol("taskboundGitHubApp")
  public static final class DescriptorImpl extends BaseStandardCredentialsDescriptor {
    @NonNull
    @Override
    public String getDisplayName() {
      return "Taskbound GitHub App (key kept on the controller)";
    }
  }
}
