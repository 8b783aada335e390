package io.jenkins.plugins.taskbound;

import edu.umd.cs.findbugs.annotations.NonNull;
import hudson.Launcher;
import hudson.LauncherDecorator;
import hudson.model.Node;
import java.io.Serializable;
import java.util.List;

/**
 * Puts {@code taskbound run ... --} in front of every command launched inside the step's block, so
 * each {@code sh} runs in its own task envelope. {@link Launcher#decorateByPrefix} keeps the masks
 * of the original command (masked arguments stay masked in the log) and delegates {@code kill}, so
 * an aborted build signals the envelope, which then tears down. Serializable because it lives in
 * the Pipeline program state.
 */
final class EnvelopeDecorator extends LauncherDecorator implements Serializable {
  private static final long serialVersionUID = 1L;

  private final String[] prefix;

  EnvelopeDecorator(List<String> prefix) {
    this.prefix = prefix.toArray(new String[0]);
  }

  @NonNull
  @Override
  public Launcher decorate(@NonNull Launcher launcher, @NonNull Node node) {
    return launcher.decorateByPrefix(prefix);
  }
}
