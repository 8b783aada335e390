package io.jenkins.plugins.taskbound;

import edu.umd.cs.findbugs.annotations.CheckForNull;
import edu.umd.cs.findbugs.annotations.NonNull;
import hudson.EnvVars;
import hudson.Extension;
import hudson.FilePath;
import hudson.Launcher;
import hudson.Util;
import hudson.model.Run;
import hudson.model.TaskListener;
import java.util.List;
import java.util.Set;
import org.jenkinsci.Symbol;
import org.jenkinsci.plugins.workflow.steps.Step;
import org.jenkinsci.plugins.workflow.steps.StepContext;
import org.jenkinsci.plugins.workflow.steps.StepDescriptor;
import org.jenkinsci.plugins.workflow.steps.StepExecution;
import org.kohsuke.stapler.DataBoundConstructor;
import org.kohsuke.stapler.DataBoundSetter;

/**
 * {@code taskbound(task: 'FIX-123', policy: 'taskbound/policy.yml', profile: 'coding-agent') { sh '...' }}:
 * runs every command launched in the block inside its own Taskbound task envelope on the current
 * agent. The step only translates its arguments into core CLI flags; the core validates them.
 */
public final class TaskboundStep extends Step {
  /** The policy file used when {@code policy} is not given. */
  public static final String DEFAULT_POLICY = BlockSettings.DEFAULT_POLICY;

  /** The sandbox backends the core offers. */
  public static final List<String> SANDBOXES = BlockSettings.SANDBOXES;

  private final String task;
  private final BlockSettings settings = new BlockSettings();

  /** @param task the approved task ID, e.g. {@code FIX-123}; the core checks its syntax */
  @DataBoundConstructor
  public TaskboundStep(String task) {
    this.task = Util.fixEmptyAndTrim(task);
  }

  @CheckForNull
  public String getTask() {
    return task;
  }

  /** Workspace-relative policy files, comma-separated, as given; {@code null} means {@link #DEFAULT_POLICY}. */
  @CheckForNull
  public String getPolicy() {
    return settings.policy();
  }

  @DataBoundSetter
  public void setPolicy(@CheckForNull String policy) {
    settings.policy(policy);
  }

  @CheckForNull
  public String getProfile() {
    return settings.profile();
  }

  @DataBoundSetter
  public void setProfile(@CheckForNull String profile) {
    settings.profile(profile);
  }

  /** One of {@link #SANDBOXES}, or {@code null} for the policy's choice. */
  @CheckForNull
  public String getSandbox() {
    return settings.sandbox();
  }

  @DataBoundSetter
  public void setSandbox(@CheckForNull String sandbox) {
    settings.sandbox(sandbox);
  }

  /** The agent's image for the {@code container} sandbox (the core's {@code --image}), or {@code null}. */
  @CheckForNull
  public String getImage() {
    return settings.image();
  }

  @DataBoundSetter
  public void setImage(@CheckForNull String image) {
    settings.image(image);
  }

  /** The session TTL in the core's duration syntax (e.g. {@code 45m}), or {@code null} for the policy's. */
  @CheckForNull
  public String getTtl() {
    return settings.ttl();
  }

  @DataBoundSetter
  public void setTtl(@CheckForNull String ttl) {
    settings.ttl(ttl);
  }

  /** Whether the block's sealed bundle is archived as a build artifact (default true). */
  public boolean isArchive() {
    return settings.archive();
  }

  @DataBoundSetter
  public void setArchive(boolean archive) {
    settings.archive(archive);
  }

  /**
   * Who may answer the block's approval requests on the build page: Jenkins user ids and group names,
   * comma-separated ({@link ApproverList}); {@code null}: anyone with {@code Item.BUILD} on the job.
   */
  @CheckForNull
  public String getApprovers() {
    return settings.approvers();
  }

  @DataBoundSetter
  public void setApprovers(@CheckForNull String approvers) {
    settings.approvers(approvers);
  }

  /** The policy files to pass to the core: {@link #getPolicy} split on commas, or the default. */
  @NonNull
  List<String> policyFiles() {
    return settings.policyFiles();
  }

  /** The settings besides the task, normalised, checked and translated as the freestyle wrapper's are. */
  @NonNull
  BlockSettings settings() {
    return settings;
  }

  @Override
  public StepExecution start(StepContext context) {
    return new TaskboundStepExecution(this, context);
  }

  /** Registers the {@code taskbound} Pipeline step. */
  @Extension
  @Symbol("taskbound")
  public static final class DescriptorImpl extends StepDescriptor {
    @Override
    public String getFunctionName() {
      return "taskbound";
    }

    @NonNull
    @Override
    public String getDisplayName() {
      return "Run the block's commands in Taskbound task envelopes";
    }

    @Override
    public boolean takesImplicitBlockArgument() {
      return true;
    }

    @Override
    public Set<? extends Class<?>> getRequiredContext() {
      return Set.of(FilePath.class, Launcher.class, EnvVars.class, TaskListener.class, Run.class);
    }
  }
}
