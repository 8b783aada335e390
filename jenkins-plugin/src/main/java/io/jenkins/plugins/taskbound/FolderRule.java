package io.jenkins.plugins.taskbound;

import edu.umd.cs.findbugs.annotations.CheckForNull;
import edu.umd.cs.findbugs.annotations.NonNull;
import hudson.Extension;
import hudson.Util;
import hudson.model.Describable;
import hudson.model.Descriptor;
import org.jenkinsci.Symbol;
import org.kohsuke.stapler.DataBoundConstructor;
import org.kohsuke.stapler.DataBoundSetter;

/**
 * One folder-scoped rule of the global configuration ({@link TaskboundGlobalConfiguration#getFolders}):
 * the folder's full name, the profile of the global ceiling that every block in it runs under, and
 * whether steps outside a block are refused there. Kept in the global configuration (admin-only,
 * JCasC) rather than as a folder property, so a folder's own configurers cannot change it; see
 * {@link FolderRules} for how rules combine.
 */
public final class FolderRule implements Describable<FolderRule> {
  private final String folder;
  @CheckForNull private String profile;
  private boolean requireEnvelope;

  @DataBoundConstructor
  public FolderRule(@NonNull String folder) {
    this.folder = Util.fixNull(Util.fixEmptyAndTrim(folder));
  }

  @NonNull
  public String getFolder() {
    return folder;
  }

  @CheckForNull
  public String getProfile() {
    return profile;
  }

  @DataBoundSetter
  public void setProfile(@CheckForNull String profile) {
    this.profile = BlockSettings.text(profile); // read as the step's and the wrapper's profile is
  }

  public boolean isRequireEnvelope() {
    return requireEnvelope;
  }

  @DataBoundSetter
  public void setRequireEnvelope(boolean requireEnvelope) {
    this.requireEnvelope = requireEnvelope;
  }

  /** The Jenkins-free form {@link FolderRules} resolves. */
  @NonNull
  FolderRules.Rule rule() {
    return new FolderRules.Rule(folder, profile, requireEnvelope);
  }

  /** Registers the rule's form. */
  @Extension
  @Symbol("folder")
  public static final class DescriptorImpl extends Descriptor<FolderRule> {
    @NonNull
    @Override
    public String getDisplayName() {
      return "Folder rule";
    }
  }
}
