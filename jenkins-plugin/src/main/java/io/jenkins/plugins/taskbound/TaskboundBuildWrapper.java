package io.jenkins.plugins.taskbound;

import edu.umd.cs.findbugs.annotations.CheckForNull;
import edu.umd.cs.findbugs.annotations.NonNull;
import hudson.AbortException;
import hudson.EnvVars;
import hudson.Extension;
import hudson.FilePath;
import hudson.Launcher;
import hudson.Util;
import hudson.console.ConsoleLogFilter;
import hudson.model.AbstractBuild;
import hudson.model.AbstractProject;
import hudson.model.BuildListener;
import hudson.model.Node;
import hudson.model.Computer;
import hudson.model.Run;
import hudson.model.TaskListener;
import hudson.slaves.WorkspaceList;
import hudson.tasks.BuildWrapperDescriptor;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import jenkins.tasks.SimpleBuildWrapper;
import org.jenkinsci.Symbol;
import org.kohsuke.stapler.DataBoundConstructor;
import org.kohsuke.stapler.DataBoundSetter;

/**
 * The {@code taskbound} block for freestyle jobs ("Run the build's commands in a Taskbound task
 * envelope"): the same semantics as the Pipeline step. {@link #setUp} checks the policy and opens
 * one session on the build's node, recording it (and the evidence key's kid) in the build; every
 * process the build steps launch while it is open runs in a fresh sandbox of it
 * ({@code session exec}); the disposer ends it, verifies and archives the bundle, whatever the
 * build's result. Checkout runs before it and is not enveloped.
 *
 * <p>Jenkins asks a wrapper for its launcher before {@code setUp}, so the launcher it gets looks up
 * the build's open session at each launch; the wrapper's own commands use the node's launcher.
 */
public final class TaskboundBuildWrapper extends SimpleBuildWrapper {
  private final String task;
  /** Non-final: XStream does not run initialisers, and {@link #readResolve} makes it for an old job. */
  private BlockSettings settings = new BlockSettings();

  // The wrapper's fields before BlockSettings: read from jobs saved then, moved into settings by
  // readResolve, never written again (XStream omits nulls).
  @Deprecated @CheckForNull private String policy;
  @Deprecated @CheckForNull private String profile;
  @Deprecated @CheckForNull private String sandbox;
  @Deprecated @CheckForNull private String image;
  @Deprecated @CheckForNull private String ttl;
  @Deprecated @CheckForNull private Boolean archive;

  @DataBoundConstructor
  public TaskboundBuildWrapper(String task) {
    this.task = Util.fixEmptyAndTrim(task);
  }

  /** A job saved before {@link BlockSettings}: its settings moved over, as they were. */
  @SuppressWarnings("deprecation")
  Object readResolve() {
    if (settings == null) {
      settings = new BlockSettings();
      settings.policy(policy);
      settings.profile(profile);
      settings.sandbox(sandbox);
      settings.image(image);
      settings.ttl(ttl);
      settings.archive(archive == null || archive);
    }
    policy = null;
    profile = null;
    sandbox = null;
    image = null;
    ttl = null;
    archive = null;
    return this;
  }

  @CheckForNull
  public String getTask() {
    return task;
  }

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

  @CheckForNull
  public String getSandbox() {
    return settings.sandbox();
  }

  @DataBoundSetter
  public void setSandbox(@CheckForNull String sandbox) {
    settings.sandbox(sandbox);
  }

  @CheckForNull
  public String getImage() {
    return settings.image();
  }

  @DataBoundSetter
  public void setImage(@CheckForNull String image) {
    settings.image(image);
  }

  @CheckForNull
  public String getTtl() {
    return settings.ttl();
  }

  @DataBoundSetter
  public void setTtl(@CheckForNull String ttl) {
    settings.ttl(ttl);
  }

  public boolean isArchive() {
    return settings.archive();
  }

  @DataBoundSetter
  public void setArchive(boolean archive) {
    settings.archive(archive);
  }

  /**
   * Who may answer the build's approval requests on the build page: Jenkins user ids and group names,
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

  @Override
  public void setUp(Context context, Run<?, ?> build, FilePath workspace, Launcher launcher, TaskListener listener,
      EnvVars env) throws IOException, InterruptedException {
    if (task == null) {
      throw new AbortException("taskbound: 'task' is required: give the approved task ID, e.g. FIX-123");
    }
    List<String> approverList;
    try {
      approverList = settings.check(); // the same checks and messages as the Pipeline step's
    } catch (IllegalArgumentException e) {
      throw new AbortException(e.getMessage());
    }
    Node node = build instanceof AbstractBuild<?, ?> b ? b.getBuiltOn() : null;
    if (node == null) {
      throw new AbortException("taskbound: the build's node is gone");
    }
    Launcher own = node.createLauncher(listener); // not the build's: that one envelopes what it launches
    if (!own.isUnix()) {
      throw new AbortException("taskbound: the agent is not a Unix machine; task envelopes need a Linux agent");
    }
    FilePath tmp = WorkspaceList.tempDir(workspace);
    if (tmp == null) {
      throw new AbortException("taskbound: the workspace " + workspace.getRemote() + " has no temporary sibling directory");
    }
    try {
      // what decides the sandbox's view comes from the controller, not from the build's variables
      EnvVars session = new EnvVars(HostLaunchEnvironment.forSession(env, jenkins.model.Jenkins.get().getRootDir().getPath(),
          build.getParent().getFullName(), workspace.getRemote()));
      open(context, build, workspace, own, listener, session, node, tmp, approverList);
    } catch (IOException | InterruptedException | RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IOException(e);
    }
  }

  private void open(Context context, Run<?, ?> build, FilePath workspace, Launcher own, TaskListener listener, EnvVars env,
      Node node, FilePath tmp, List<String> approverList) throws Exception {
    String chosenProfile;
    try {
      chosenProfile = FolderRules.profile(TaskboundGlobalConfiguration.get().rulesFor(build.getParent().getFullName()),
          settings.profile());
    } catch (IllegalArgumentException e) {
      throw new AbortException(e.getMessage());
    }
    // Read once on the controller: the node gets a copy for its checks, the controller issues against this text.
    String ceilingText = TaskboundGlobalConfiguration.get().getCeilingPolicy();
    EnvelopeInputs inputs = EnvelopeInputs.install(TaskboundStepExecution.nodeRoot(node, tmp), tmp.child("taskbound"),
        ceilingText);
    FilePath evidence = workspace.child(TaskboundStepExecution.EVIDENCE_DIR);
    evidence.mkdirs();
    EnvelopeCommand checked = settings.command(workspace.act(new TaskboundStepExecution.AgentJava()), inputs.jar(), task,
        inputs.ceiling(), chosenProfile, evidence.getRemote());
    try {
      TaskboundStepExecution.check(checked, workspace, own, env, listener);
      inputs = inputs.withPolicySnapshots(workspace, settings.policyFiles());
    } catch (Exception e) {
      inputs.cleanUp(workspace.getChannel());
      throw e;
    }
    EnvelopeCommand command = checked.withPolicies(inputs.policies());
    String id = UUID.randomUUID().toString();
    TaskboundAction action = new TaskboundAction(id, task, TaskboundStepExecution.nodeName(Computer.currentComputer()), evidence.getRemote());
    build.addAction(action);
    build.save();
    Set<String> before = TaskboundStepExecution.bundleNames(evidence, task);
    ControllerCredentials.Issued issued;
    try {
      // The journal is recorded in the action before the core runs (the backstop's if the controller dies).
      issued = ControllerCredentials.issue(build, command, ceilingText, tmp.child("taskbound"), action, listener);
    } catch (Exception e) {
      inputs.cleanUp(workspace.getChannel());
      throw e;
    }
    if (issued != null) {
      action.masking(issued.values());
      build.save();
    }
    AgentSession.Opened opened;
    try {
      opened = AgentSession.start(command, issued == null ? null : issued.handoff(),
          TaskboundStepExecution.claims(build, TaskboundStepExecution.nodeName(Computer.currentComputer())), workspace, own, env, listener);
    } catch (Exception e) {
      inputs.cleanUp(workspace.getChannel());
      if (issued != null) {
        if (ControllerCredentials.revoke(build, issued.journal(), listener)) {
          action.credentialsRevoked();
          build.save();
        }
      }
      throw e;
    }
    action.sessionOpened(opened.handle(), opened.opening(), command.java(), command.jar());
    action.enveloping(command.sessionExec(opened.handle()), settings.sandbox());
    // issue 16: Approve/Deny on the build page, as the Pipeline step registers it
    build.addAction(new ApprovalAction(TaskboundStepExecution.nodeName(Computer.currentComputer()), opened.handle().path(), command.java(),
        command.jar(), approverList));
    build.save();
    listener.getLogger().println("taskbound: task " + task + ": one session for this build's steps (" + opened.handle().path()
        + "); evidence key kid " + opened.opening().kid() + " recorded in this build");
    context.setDisposer(new End(new BlockEnd(id, task, before, inputs, command.sessionEnd(opened.handle()),
        List.of(command.java(), "-jar", command.jar()), opened.opening(), settings.archive(),
        issued == null ? null : issued.journal())));
  }

  @Override
  @SuppressWarnings("rawtypes") // the signature BuildWrapper declares
  public Launcher decorateLauncher(AbstractBuild build, Launcher launcher, BuildListener listener) {
    return new SessionLauncher(launcher, build);
  }

  @Override
  public ConsoleLogFilter createLoggerDecorator(@NonNull Run<?, ?> build) {
    return new IssuedValuesFilter();
  }

  /** Masks token shapes, and the values the controller issued once {@link #setUp} has them (read per line). */
  private static final class IssuedValuesFilter extends ConsoleLogFilter {
    @Override
    @SuppressWarnings("rawtypes") // the signature ConsoleLogFilter declares
    public java.io.OutputStream decorateLogger(Run build, java.io.OutputStream logger) {
      Run<?, ?> run = build;
      return MaskingConsoleLogFilter.masking(logger, run.getCharset(), () -> {
        List<String> values = new ArrayList<>();
        run.getActions(TaskboundAction.class).forEach(a -> values.addAll(a.maskValues()));
        return values;
      });
    }
  }

  /** Runs each launch in the build's open session, once {@link #setUp} opened it; before that, as it is. */
  private static final class SessionLauncher extends Launcher.DecoratedLauncher {
    private final Run<?, ?> build;

    SessionLauncher(Launcher inner, Run<?, ?> build) {
      super(inner);
      this.build = build;
    }

    @Override
    public hudson.Proc launch(ProcStarter starter) throws IOException {
      for (TaskboundAction action : build.getActions(TaskboundAction.class)) {
        EnvelopeDecorator envelope = action.openEnvelope();
        if (envelope != null) {
          Node node = build instanceof AbstractBuild<?, ?> b ? b.getBuiltOn() : null;
          if (node == null) {
            throw new IOException("taskbound: the build's node is gone; its session is not reachable");
          }
          return envelope.decorate(getInner(), node).launch(starter);
        }
      }
      return super.launch(starter);
    }
  }

  /**
   * Ends the build's session with the shared {@link BlockEnd}. A freestyle build's disposer lives
   * only in memory while the build runs (such builds do not survive a restart), so no earlier
   * serialized form needs reading.
   */
  private static final class End extends Disposer {
    private static final long serialVersionUID = 2L;

    private final BlockEnd block;

    End(BlockEnd block) {
      this.block = block;
    }

    @Override
    public void tearDown(Run<?, ?> build, FilePath workspace, Launcher launcher, TaskListener listener)
        throws IOException, InterruptedException {
      Node node = build instanceof AbstractBuild<?, ?> b ? b.getBuiltOn() : null;
      if (node == null) {
        throw new AbortException("taskbound: the build's node is gone; the backstop ends its session when the build completes");
      }
      TaskboundAction action = TaskboundAction.find(build, block.actionId());
      if (action != null) {
        action.enveloping(null, null); // from here on nothing is launched in the session
      }
      try {
        block.finish(build, workspace, node.createLauncher(listener), build.getEnvironment(listener), listener, "build");
      } catch (IOException | InterruptedException | RuntimeException e) {
        throw e;
      } catch (Exception e) {
        throw new IOException(e);
      }
    }
  }

  /** Registers the wrapper for freestyle (and other {@code AbstractProject}) jobs. */
  @Extension
  @Symbol("taskbound")
  public static final class DescriptorImpl extends BuildWrapperDescriptor {
    @Override
    public boolean isApplicable(AbstractProject<?, ?> item) {
      return true;
    }

    @NonNull
    @Override
    public String getDisplayName() {
      return "Run the build's commands in a Taskbound task envelope";
    }
  }
}
