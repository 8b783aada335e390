package io.jenkins.plugins.taskbound;

import edu.umd.cs.findbugs.annotations.CheckForNull;
import edu.umd.cs.findbugs.annotations.NonNull;
import hudson.Extension;
import hudson.ExtensionList;
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
}
