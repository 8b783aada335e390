package io.jenkins.plugins.taskbound;

import edu.umd.cs.findbugs.annotations.NonNull;
import hudson.Extension;
import hudson.Launcher;
import hudson.LauncherDecorator;
import hudson.Proc;
import hudson.model.Node;
import java.io.IOException;

/**
 * Enforces "require the envelope" ({@link TaskboundGlobalConfiguration#isRequireEnvelope}) on every
 * node: Jenkins applies this decorator to each node's launcher, under the one a {@code taskbound}
 * block adds, so it sees each command as it finally runs. A durable-task step's script that no block
 * wrapped is refused before it starts ({@link EnvelopeRequirement}); the step fails with that line.
 * The setting is read at each launch, so turning it on applies to running builds' next steps.
 */
@Extension
public final class RequireEnvelopeDecorator extends LauncherDecorator {
  @NonNull
  @Override
  public Launcher decorate(@NonNull Launcher launcher, @NonNull Node node) {
    return new Requiring(launcher);
  }

  private static final class Requiring extends Launcher.DecoratedLauncher {
    Requiring(Launcher inner) {
      super(inner);
    }

    @Override
    public Proc launch(ProcStarter starter) throws IOException {
      if (TaskboundGlobalConfiguration.get().isRequireEnvelope()) {
        String refusal = EnvelopeRequirement.refusal(starter.cmds());
        if (refusal != null) {
          throw new IOException(refusal);
        }
      }
      return super.launch(starter);
    }
  }
}
