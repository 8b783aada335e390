package io.jenkins.plugins.taskbound;

import edu.umd.cs.findbugs.annotations.NonNull;
import hudson.Extension;
import hudson.Launcher;
import hudson.LauncherDecorator;
import hudson.Proc;
import hudson.model.Node;
import java.io.IOException;

/**
 * Enforces "require the envelope" ({@link TaskboundGlobalConfiguration#isRequireEnvelope}, and the
 * folder rules' own, for the launch's job) on every node: Jenkins applies this decorator to each node's launcher, under the one a {@code taskbound}
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

  /**
   * The launch's {@code JOB_NAME} (the job's full name, which durable-task and freestyle builds put in
   * every launch's environment), for the folder rules. A Pipeline can override it with {@code
   * withEnv}: the folder-level requirement is a guard rail, the global switch the guarantee
   * (docs/jenkins.md).
   */
  static String jobName(String[] envs) {
    if (envs != null) {
      for (String kv : envs) {
        if (kv != null && kv.startsWith("JOB_NAME=")) {
          return kv.substring("JOB_NAME=".length());
        }
      }
    }
    return null;
  }

  private static final class Requiring extends Launcher.DecoratedLauncher {
    Requiring(Launcher inner) {
      super(inner);
    }

    @Override
    public Proc launch(ProcStarter starter) throws IOException {
      if (TaskboundGlobalConfiguration.get().rulesFor(jobName(starter.envs())).requireEnvelope()) {
        String refusal = EnvelopeRequirement.refusal(starter.cmds());
        if (refusal != null) {
          throw new IOException(refusal);
        }
      }
      return super.launch(starter);
    }
  }
}
