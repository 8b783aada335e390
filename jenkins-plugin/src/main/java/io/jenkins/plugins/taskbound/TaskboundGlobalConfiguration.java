package io.jenkins.plugins.taskbound;

import edu.umd.cs.findbugs.annotations.CheckForNull;
import edu.umd.cs.findbugs.annotations.NonNull;
import hudson.Extension;
import hudson.ExtensionList;
import hudson.Util;
import java.util.ArrayList;
import java.util.List;
import jenkins.model.GlobalConfiguration;
import org.jenkinsci.Symbol;
import org.kohsuke.stapler.DataBoundSetter;

/**
 * Controller-wide Taskbound settings (Manage Jenkins » System, or Configuration as Code under
 * {@code unclassified: taskbound:}). The organisation ceiling policy is written to the agent for
 * each step and passed to the core as {@code --ceiling}; the core enforces that nothing a job asks
 * for exceeds it. The plugin does not read the YAML itself.
 */
@Extension
@Symbol("taskbound")
public final class TaskboundGlobalConfiguration extends GlobalConfiguration {
  private String ceilingPolicy;
  private boolean requireEnvelope;
  private List<FolderRule> folders = new ArrayList<>();
  @CheckForNull private String githubAppCredentialsId;
  @CheckForNull private String vaultAddress;
  @CheckForNull private String vaultNamespace;
  @CheckForNull private String vaultCredentialsId;
  @CheckForNull private String vaultAuthMount;
  @CheckForNull private String vaultJwtRole;
  /**
   * The key that seals the GitHub token in the controller's issue journals (issue 13). A {@link
   * hudson.util.Secret}: on disk only encrypted with the controller's own secret key, never beside the
   * journals, never in the form or Configuration as Code (no getter or setter).
   */
  @CheckForNull private hudson.util.Secret journalKey;

  public TaskboundGlobalConfiguration() {
    load();
  }

  /** The singleton instance. */
  @NonNull
  public static TaskboundGlobalConfiguration get() {
    return ExtensionList.lookupSingleton(TaskboundGlobalConfiguration.class);
  }

  /** The ceiling policy YAML with {@code \n} line ends, or {@code null} when none is configured. */
  @CheckForNull
  public String getCeilingPolicy() {
    return ceilingPolicy;
  }

  /**
   * Sets and saves the ceiling. Blank text clears it; CRLF line ends (as browsers submit text areas)
   * become LF, so the YAML the core reads is what the administrator typed.
   */
  @DataBoundSetter
  public void setCeilingPolicy(@CheckForNull String ceilingPolicy) {
    this.ceilingPolicy =
        ceilingPolicy == null || ceilingPolicy.isBlank() ? null : ceilingPolicy.replace("\r\n", "\n");
    save();
  }

  /**
   * Whether a durable-task step ({@code sh}, {@code bat}, {@code powershell}) outside a
   * {@code taskbound} block is refused, on every node of this controller ({@link RequireEnvelopeDecorator}).
   */
  public boolean isRequireEnvelope() {
    return requireEnvelope;
  }

  @DataBoundSetter
  public void setRequireEnvelope(boolean requireEnvelope) {
    this.requireEnvelope = requireEnvelope;
    save();
  }
  /**
   * Folder-scoped rules, each narrowing what applies to the items under one folder (a profile of the
   * ceiling, "require the envelope"). Admin-only like the rest of this page, and JCasC-able.
   */
  @NonNull
  public List<FolderRule> getFolders() {
    return folders == null ? List.of() : List.copyOf(folders);
  }

  @DataBoundSetter
  public void setFolders(@CheckForNull List<FolderRule> folders) {
    this.folders = folders == null ? new ArrayList<>() : new ArrayList<>(folders);
    save();
  }

  /** The folder rules that apply to the item {@code fullName}, with the global switch. */
  @NonNull
  FolderRules.Resolved rulesFor(@CheckForNull String fullName) {
    return FolderRules.forItem(fullName, getFolders().stream().map(FolderRule::rule).toList(), requireEnvelope);
  }

  /**
   * The id of a {@link TaskboundGitHubAppCredentials} in the Credentials store: when set, the
   * controller mints each block's installation token and the App key never reaches an agent.
   */
  @CheckForNull
  public String getGithubAppCredentialsId() {
    return githubAppCredentialsId;
  }

  @DataBoundSetter
  public void setGithubAppCredentialsId(@CheckForNull String id) {
    this.githubAppCredentialsId = Util.fixEmptyAndTrim(id);
    save();
  }

  /** Vault's address (e.g. {@code https://vault.example.com:8200}), for the controller's Vault login. */
  @CheckForNull
  public String getVaultAddress() {
    return vaultAddress;
  }

  @DataBoundSetter
  public void setVaultAddress(@CheckForNull String vaultAddress) {
    this.vaultAddress = Util.fixEmptyAndTrim(vaultAddress);
    save();
  }

  @CheckForNull
  public String getVaultNamespace() {
    return vaultNamespace;
  }

  @DataBoundSetter
  public void setVaultNamespace(@CheckForNull String vaultNamespace) {
    this.vaultNamespace = Util.fixEmptyAndTrim(vaultNamespace);
    save();
  }

  /**
   * The id of the controller's Vault login in the Credentials store: a secret text (a Vault token)
   * or a username with password (AppRole: role id and secret id).
   */
  @CheckForNull
  public String getVaultCredentialsId() {
    return vaultCredentialsId;
  }

  @DataBoundSetter
  public void setVaultCredentialsId(@CheckForNull String id) {
    this.vaultCredentialsId = Util.fixEmptyAndTrim(id);
    save();
  }

  /**
   * The Vault JWT role the controller logs in with, when the Vault login credentials are a secret text
   * holding a JWT (or an id token credential that mints one) rather than a Vault token; null: a token.
   */
  @CheckForNull
  public String getVaultJwtRole() {
    return vaultJwtRole;
  }

  @DataBoundSetter
  public void setVaultJwtRole(@CheckForNull String vaultJwtRole) {
    this.vaultJwtRole = Util.fixEmptyAndTrim(vaultJwtRole);
    save();
  }

  /** The AppRole or JWT auth mount, when it is not {@code approle} or {@code jwt}. */
  @CheckForNull
  public String getVaultAuthMount() {
    return vaultAuthMount;
  }

  @DataBoundSetter
  public void setVaultAuthMount(@CheckForNull String vaultAuthMount) {
    this.vaultAuthMount = Util.fixEmptyAndTrim(vaultAuthMount);
    save();
  }

  /**
   * The journal key as {@code credentials issue} and {@code credentials revoke} take it in {@code
   * TASKBOUND_JOURNAL_KEY}: 32 random bytes in base64, created and saved on first use. Never logged.
   */
  @NonNull
  synchronized String journalKey() {
    if (journalKey == null || journalKey.getPlainText().isEmpty()) {
      byte[] random = new byte[32];
      new java.security.SecureRandom().nextBytes(random);
      journalKey = hudson.util.Secret.fromString(java.util.Base64.getEncoder().encodeToString(random));
      save();
    }
    return journalKey.getPlainText();
  }
}
