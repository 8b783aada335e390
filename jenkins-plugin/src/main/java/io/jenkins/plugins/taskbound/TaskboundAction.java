package io.jenkins.plugins.taskbound;

import edu.umd.cs.findbugs.annotations.CheckForNull;
import edu.umd.cs.findbugs.annotations.NonNull;
import edu.umd.cs.findbugs.annotations.SuppressFBWarnings;
import hudson.model.Run;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import jenkins.model.RunAction2;

/**
 * One {@code taskbound} step of a build, shown on the build page: the task, the agent and the
 * evidence directory, and the bundles the block's commands wrote there. Recorded when the block
 * starts (so a build that dies still says where its evidence and sessions are) and completed when
 * it ends. Persisted with the build; thread-safe.
 */
public final class TaskboundAction implements RunAction2, Serializable {
  private static final long serialVersionUID = 1L;

  private final String id;
  private final String task;
  private final String node;
  private final String evidenceDir;
  private final List<String> bundles = new ArrayList<>();
  /** The block's open session, and how to end it on its node; null once it has ended. */
  @CheckForNull private SessionHandle session;
  @CheckForNull private String java;
  @CheckForNull private String jar;
  @SuppressFBWarnings(value = "SE_TRANSIENT_FIELD_NOT_RESTORED", justification = "set again by onLoad")
  private transient Run<?, ?> run;

  TaskboundAction(@NonNull String id, @NonNull String task, @NonNull String node, @NonNull String evidenceDir) {
    this.id = id;
    this.task = task;
    this.node = node;
    this.evidenceDir = evidenceDir;
  }

  /** Finds the action a step recorded in {@code run}, or {@code null} if it is gone. */
  @CheckForNull
  static TaskboundAction find(@NonNull Run<?, ?> run, @NonNull String id) {
    return run.getActions(TaskboundAction.class).stream().filter(a -> a.id.equals(id)).findFirst().orElse(null);
  }

  /** The task ID as the step was given it. */
  public String getTask() {
    return task;
  }

  /** The name of the agent the block ran on ({@code built-in} for the controller). */
  public String getNode() {
    return node;
  }

  /** The evidence directory on that agent. */
  public String getEvidenceDir() {
    return evidenceDir;
  }

  /** File names of the bundles written by the block, in the order they were found. */
  public synchronized List<String> getBundles() {
    return List.copyOf(bundles);
  }

  synchronized void addBundles(List<String> names) {
    bundles.addAll(names);
  }

  /**
   * Records the block's session as open, with the {@code java} and core jar on its node that end it:
   * if the build dies before the block's end, {@link SessionBackstop} ends it from here.
   */
  synchronized void sessionOpened(@NonNull SessionHandle handle, @NonNull String javaOnNode, @NonNull String jarOnNode) {
    this.session = handle;
    this.java = javaOnNode;
    this.jar = jarOnNode;
  }

  /** Records that the block's session has ended (its teardown ran). */
  synchronized void sessionEnded() {
    this.session = null;
  }

  /** The session still open, as the command that ends it on its node; null when there is none. */
  @CheckForNull
  synchronized List<String> pendingSessionEnd() {
    return session == null || java == null || jar == null ? null : EnvelopeCommand.sessionEnd(java, jar, session);
  }

  /** The handle of the block's session while it is open, else null. */
  @CheckForNull
  public synchronized String getSession() {
    return session == null ? null : session.path();
  }

  /** The build this action belongs to, or {@code null} before it is attached. */
  @CheckForNull
  public Run<?, ?> getRun() {
    return run;
  }

  @Override
  public void onAttached(Run<?, ?> r) {
    this.run = r;
  }

  @Override
  public void onLoad(Run<?, ?> r) {
    this.run = r;
  }

  /** No side-panel link: the action shows itself in the build summary. */
  @Override
  public String getIconFileName() {
    return null;
  }

  @Override
  public String getDisplayName() {
    return "Taskbound " + task;
  }

  @Override
  public String getUrlName() {
    return null;
  }
}
