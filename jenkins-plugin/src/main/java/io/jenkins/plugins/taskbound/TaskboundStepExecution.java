package io.jenkins.plugins.taskbound;

import edu.umd.cs.findbugs.annotations.CheckForNull;
import edu.umd.cs.findbugs.annotations.SuppressFBWarnings;
import hudson.AbortException;
import hudson.EnvVars;
import hudson.FilePath;
import hudson.Launcher;
import hudson.LauncherDecorator;
import hudson.console.ConsoleLogFilter;
import hudson.model.Computer;
import hudson.model.Node;
import hudson.model.Run;
import hudson.model.StreamBuildListener;
import hudson.model.TaskListener;
import hudson.remoting.VirtualChannel;
import hudson.slaves.WorkspaceList;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import jenkins.MasterToSlaveFileCallable;
import jenkins.security.MasterToSlaveCallable;
import org.jenkinsci.plugins.workflow.steps.BodyInvoker;
import org.jenkinsci.plugins.workflow.steps.GeneralNonBlockingStepExecution;
import org.jenkinsci.plugins.workflow.steps.StepContext;

/**
 * Runs one {@code taskbound} step. Off the CPS thread it copies the core CLI to the agent, writes
 * the ceiling there, runs {@code taskbound policy check} (so bad input fails the step with the
 * core's one-line message before any command runs), snapshots the checked policies
 * ({@link EnvelopeInputs}), records a {@link TaskboundAction} and starts the body with an
 * {@link EnvelopeDecorator} and a {@link MaskingConsoleLogFilter}. When the body ends, successfully or not, the tail call records the
 * bundles the block wrote, prints one summary line, and fails the step if any envelope input was
 * rewritten while the block ran.
 *
 * <p>The block has one session ({@code taskbound session start} on the agent, {@link AgentSession}):
 * each command of the block runs in a fresh sandbox of it ({@code session exec}), and the tail call
 * ends it ({@code session end}) however the body ended; the handle is recorded in the build's
 * {@link TaskboundAction} first, so {@link SessionBackstop} ends it if the build dies.
 */
final class TaskboundStepExecution extends GeneralNonBlockingStepExecution {
  private static final long serialVersionUID = 1L;

  /** Where bundles go, relative to the workspace (archive it with {@code archiveArtifacts}). */
  static final String EVIDENCE_DIR = "taskbound-evidence";

  @SuppressFBWarnings(value = "SE_TRANSIENT_FIELD_NOT_RESTORED", justification = "only read in start(), before any serialization")
  private final transient TaskboundStep step;

  TaskboundStepExecution(TaskboundStep step, StepContext context) {
    super(context);
    this.step = step;
  }

  @Override
  public boolean start() {
    run(this::doStart);
    return false;
  }

  private void doStart() throws Exception {
    StepContext context = getContext();
    FilePath workspace = context.get(FilePath.class);
    Launcher launcher = context.get(Launcher.class);
    TaskListener listener = context.get(TaskListener.class);
    Run<?, ?> run = context.get(Run.class);
    // what decides the sandbox's view comes from the controller, not from withEnv around the block
    EnvVars env = new EnvVars(HostLaunchEnvironment.forSession(context.get(EnvVars.class),
        jenkins.model.Jenkins.get().getRootDir().getPath(), run.getParent().getFullName(),
        BuildWorkspace.around(jobWorkspace(context, run), workspace.getRemote())));

    String task = step.getTask();
    if (task == null) {
      throw new AbortException("taskbound: 'task' is required: give the approved task ID, e.g. taskbound(task: 'FIX-123') { ... }");
    }
    BlockSettings settings = step.settings();
    String sandbox = settings.sandbox();
    List<String> approvers;
    try {
      approvers = settings.check(); // the same checks and messages as the freestyle wrapper's
    } catch (IllegalArgumentException e) {
      throw new AbortException(e.getMessage());
    }
    if (!launcher.isUnix()) {
      throw new AbortException("taskbound: the agent is not a Unix machine; task envelopes need a Linux agent");
    }
    FilePath tmp = WorkspaceList.tempDir(workspace);
    if (tmp == null) {
      throw new AbortException("taskbound: the workspace " + workspace.getRemote() + " has no temporary sibling directory");
    }
    String profile;
    try {
      // An administrator's folder rule may fix the profile (a narrowing of the ceiling) for every block under it.
      profile = FolderRules.profile(TaskboundGlobalConfiguration.get().rulesFor(run.getParent().getFullName()),
          settings.profile());
    } catch (IllegalArgumentException e) {
      throw new AbortException(e.getMessage());
    }
    // Read once on the controller: the node gets a copy for its checks, the controller issues against this text.
    String ceilingText = TaskboundGlobalConfiguration.get().getCeilingPolicy();
    EnvelopeInputs inputs = EnvelopeInputs.install(nodeRoot(context, tmp), tmp.child("taskbound"), ceilingText);
    FilePath evidence = workspace.child(EVIDENCE_DIR);
    evidence.mkdirs();

    // Checked against the workspace's files, so the core's messages name the user's paths; the
    // envelopes then read snapshots taken right after the check.
    EnvelopeCommand checked = settings.command(workspace.act(new AgentJava()), inputs.jar(), task, inputs.ceiling(),
        profile, evidence.getRemote());
    try {
      check(checked, workspace, launcher, env, listener);
      inputs = inputs.withPolicySnapshots(workspace, settings.policyFiles());
    } catch (Exception e) {
      inputs.cleanUp(workspace.getChannel());
      throw e;
    }
    EnvelopeCommand command = checked.withPolicies(inputs.policies());

    String id = UUID.randomUUID().toString();
    // the node the step runs on, not the build's NODE_NAME, which withEnv can change
    String node = nodeName(context.get(Computer.class));
    TaskboundAction action = new TaskboundAction(id, task, node, evidence.getRemote());
    run.addAction(action);
    run.save();
    // The controller issues the block's credentials when it holds the App key or the Vault login:
    // only the issued values reach the agent, on its session start's standard input, never in a file there.
    ControllerCredentials.Issued issued;
    try {
      // The journal is recorded in the action before the core runs (the backstop's if the controller dies).
      issued = ControllerCredentials.issue(run, command, ceilingText, tmp.child("taskbound"), action, listener);
    } catch (Exception e) {
      inputs.cleanUp(workspace.getChannel());
      throw e;
    }
    AgentSession.Opened opened;
    try {
      opened = AgentSession.start(command, issued == null ? null : issued.handoff(), claims(run, node), workspace,
          launcher, env, listener);
    } catch (Exception e) {
      inputs.cleanUp(workspace.getChannel());
      if (issued != null) {
        if (ControllerCredentials.revoke(run, issued.journal(), listener)) {
          action.credentialsRevoked();
          run.save();
        }
      }
      throw e;
    }
    SessionHandle session = opened.handle();
    // Recorded before any command runs: a build that dies from here on is ended by the backstop, and
    // the evidence key's kid is in the build (the host record), out of the agent's reach.
    action.sessionOpened(session, opened.opening(), command.java(), command.jar());
    run.addAction(new ApprovalAction(node, session.path(), command.java(), command.jar(), approvers)); // issue 16: Approve/Deny on the build page
    run.save();
    listener.getLogger().println("taskbound: task " + task + ": one session for this block (" + session.path()
        + "); each command runs in its own sandbox; evidence goes to " + evidence.getRemote()
        + "; evidence key kid " + opened.opening().kid() + " recorded in this build");

    context
        .newBodyInvoker()
        .withContext(BodyInvoker.mergeLauncherDecorators(context.get(LauncherDecorator.class),
            new EnvelopeDecorator(command.sessionExec(session), sandbox)))
        .withContext(BodyInvoker.mergeConsoleLogFilters(context.get(ConsoleLogFilter.class),
            new MaskingConsoleLogFilter(run.getCharset(), issued == null ? List.of() : issued.values())))
        .withCallback(new Finish(new BlockEnd(id, task, bundleNames(evidence, task), inputs, command.sessionEnd(session),
            List.of(command.java(), "-jar", command.jar()), opened.opening(), settings.archive(),
            issued == null ? null : issued.journal())))
        .start();
  }

  /** A node's name as blocks record it: {@code built-in} for the controller, {@code unknown} without one. */
  static String nodeName(@CheckForNull Computer computer) {
    if (computer == null) {
      return "unknown";
    }
    return computer.getName().isEmpty() ? "built-in" : computer.getName();
  }

  /** The identity claims of a block of {@code run} on {@code node} ({@link JenkinsClaims}). */
  static Map<String, String> claims(Run<?, ?> run, String node) {
    return JenkinsClaims.of(jenkins.model.Jenkins.get().getRootUrl(), run.getParent().getFullName(), run.getNumber(),
        run.getUrl(), node);
  }

  /** The job's workspace on the step's node as Jenkins allots it ({@code Node.getWorkspaceFor}), or null. */
  @CheckForNull
  private static String jobWorkspace(StepContext context, Run<?, ?> run) throws Exception {
    Computer computer = context.get(Computer.class);
    Node node = computer == null ? null : computer.getNode();
    if (node == null || !(run.getParent() instanceof hudson.model.TopLevelItem job)) {
      return null;
    }
    FilePath allotted = node.getWorkspaceFor(job);
    return allotted == null ? null : allotted.getRemote();
  }

  /**
   * Where the node keeps its copy of the core across builds: its root directory (the agent's remote
   * FS root, {@code JENKINS_HOME} for the built-in node), else the workspace's temporary sibling.
   */
  private static FilePath nodeRoot(StepContext context, FilePath tmp) throws Exception {
    Computer computer = context.get(Computer.class);
    return nodeRoot(computer == null ? null : computer.getNode(), tmp);
  }

  /** As {@link #nodeRoot(StepContext, FilePath)} for a known node (null: unknown). */
  static FilePath nodeRoot(Node node, FilePath tmp) {
    FilePath root = node == null ? null : node.getRootPath();
    return root != null ? root : tmp;
  }

  /** Runs {@code taskbound policy check} and fails the step with the core's one-line message if it objects. */
  static void check(EnvelopeCommand command, FilePath workspace, Launcher launcher, EnvVars env, TaskListener listener)
      throws Exception {
    ByteArrayOutputStream output = new ByteArrayOutputStream();
    int status =
        launcher.launch()
            .cmds(command.policyCheck().stream().map(DurableShellLaunch::escape).toList()) // the launcher expands $NAME
            .envs(HostLaunchEnvironment.of(env)).pwd(workspace).stdout(output).stderr(output).quiet(true).join();
    List<String> lines =
        output.toString(StandardCharsets.UTF_8).lines().map(String::strip).filter(s -> !s.isEmpty()).toList();
    if (status != 0) {
      throw new AbortException(
          "taskbound: policy check refused the step (exit " + status + "): "
              + (lines.isEmpty() ? "no message" : lines.get(lines.size() - 1)));
    }
    lines.forEach(listener.getLogger()::println);
  }

  static Set<String> bundleNames(FilePath evidence, String task) throws Exception {
    Set<String> names = new TreeSet<>();
    if (evidence.isDirectory()) {
      for (FilePath bundle : evidence.list(task + "-*.zip")) {
        names.add(bundle.getName());
      }
    }
    return names;
  }

  /**
   * Ends the block (on success, failure, abort and {@code timeout} alike: the body's end in any
   * form) with the shared {@link BlockEnd}; runs off the CPS thread.
   *
   * <p>Serialized in the Pipeline program state. Builds whose state was written before the end was
   * shared hold the eight fields below instead of {@link #block} (same serialVersionUID, so they
   * still load); {@link #block()} rebuilds the end from them. New builds write only {@link #block}.
   */
  private final class Finish extends TailCall {
    private static final long serialVersionUID = 2L;

    @CheckForNull private final BlockEnd block;

    // Read only from program state written by the previous version of this class.
    @CheckForNull private String actionId;
    @CheckForNull private String task;
    @CheckForNull private TreeSet<String> before;
    @CheckForNull private EnvelopeInputs inputs;
    @CheckForNull private ArrayList<String> end;
    @CheckForNull private ArrayList<String> core;
    @CheckForNull private SessionOpening opening;
    private boolean archive;

    Finish(BlockEnd block) {
      this.block = block;
    }

    private BlockEnd block() {
      return block != null ? block : new BlockEnd(actionId, task, before, inputs, end, core, opening, archive, null);
    }

    @Override
    protected void finished(StepContext context) throws Exception {
      block().finish(context.get(Run.class), context.get(FilePath.class), context.get(Launcher.class),
          context.get(EnvVars.class), context.get(TaskListener.class), "block");
    }
  }

  /**
   * Verifies the session's bundle against the kid recorded at open, reads what it says onto the
   * build page and archives it (unless told not to). Returns false only when the bundle is there
   * and did not verify; a missing bundle is reported by the session's end. Shared with the
   * freestyle wrapper.
   */
  static boolean recordSealed(Run<?, ?> run, TaskListener listener, FilePath workspace, Launcher launcher, EnvVars env,
      TaskboundAction action, FilePath evidence, String task, List<String> written, List<String> core,
      SessionOpening opening, boolean archive) throws Exception {
    // its exact name: the agent can write the evidence directory, and a planted <task>-<session>-x.zip sorted first
    String name = written.stream().filter(n -> n.equals(task + "-" + opening.session() + ".zip")).findFirst().orElse(null);
    if (name == null) {
      listener.getLogger().println("taskbound: no bundle of session " + opening.session() + " in " + evidence.getRemote());
      return true;
    }
    FilePath bundle = evidence.child(name);
    AgentSession.Verified verified = AgentSession.verify(core, opening, bundle.getRemote(), workspace, launcher, env);
    EvidenceFacts facts = bundle.act(new ReadFacts());
    listener.getLogger().println("taskbound: session " + opening.session() + ": " + facts.describe());
    listener.getLogger().println("taskbound: " + (verified.status() == 0 ? "verified" : "NOT verified (exit " + verified.status() + ")")
        + " against kid " + opening.kid() + ": " + verified.lines().replace('\n', ' '));
    if (action != null) {
      action.sealed(name, facts, verified.status(), verified.lines());
      run.save();
    }
    if (archive) {
      run.pickArtifactManager().archive(workspace, launcher, new StreamBuildListener(listener.getLogger(), run.getCharset()),
          Map.of(EVIDENCE_DIR + "/" + name, EVIDENCE_DIR + "/" + name));
      listener.getLogger().println("taskbound: archived " + EVIDENCE_DIR + "/" + name + " as a build artifact");
    }
    return verified.status() == 0;
  }

  /** Reads {@link EvidenceFacts} from a bundle on the agent. */
  private static final class ReadFacts extends MasterToSlaveFileCallable<EvidenceFacts> {
    private static final long serialVersionUID = 1L;

    @Override
    public EvidenceFacts invoke(File bundle, VirtualChannel channel) throws IOException {
      return EvidenceFacts.ofBundle(bundle.toPath());
    }
  }

  /** The {@code java} that runs the (Unix) agent itself: the core needs Java 17, which every supported agent has. */
  static final class AgentJava extends MasterToSlaveCallable<String, RuntimeException> {
    private static final long serialVersionUID = 1L;

    @Override
    public String call() {
      return System.getProperty("java.home") + "/bin/java";
    }
  }
}
