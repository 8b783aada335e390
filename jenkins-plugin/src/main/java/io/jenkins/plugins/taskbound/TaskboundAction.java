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
  // Plain strings, not the records they come from: Jenkins keeps this action in build.xml, and its
  // XStream cannot read records back (jenkinsci/jenkins#26077): after a restart the backstop lost the
  // session to end and the build page the recorded kid.
  /** The block's open session (its handle), and how to end it on its node; null once it has ended. */
  @CheckForNull private String session;
  @CheckForNull private String java;
  @CheckForNull private String jar;
  /** The host record: what {@code session start} printed before any command ran (kid, identity). */
  @CheckForNull private String sessionId;
  @CheckForNull private String spiffeId;
  @CheckForNull private String kid;
  /** What the block's sealed bundle says, once the block ended. */
  @CheckForNull private EvidenceFacts facts;
  /** The bundle of the block's session, once sealed. */
  @CheckForNull private String bundle;
  /** {@code taskbound verify --expect-kid}'s result on that bundle: its status and lines. */
  @CheckForNull private Integer verifyStatus;
  @CheckForNull private String verifyLines;
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
  synchronized void sessionOpened(
      @NonNull SessionHandle handle, @NonNull SessionOpening opened, @NonNull String javaOnNode, @NonNull String jarOnNode) {
    this.session = handle.path();
    this.sessionId = opened.session();
    this.spiffeId = opened.spiffeId();
    this.kid = opened.kid();
    this.java = javaOnNode;
    this.jar = jarOnNode;
  }

  /** The controller's journal of the credentials it issued for the block, until they are revoked. */
  @CheckForNull private String credentialsJournal;

  /** Records that the controller issued the block's credentials: the backstop revokes them if the build dies. */
  synchronized void credentialsIssued(@NonNull String journal) {
    this.credentialsJournal = journal;
  }

  /** Records that the controller revoked what it issued. */
  synchronized void credentialsRevoked() {
    this.credentialsJournal = null;
  }

  /** The journal of credentials the controller issued and has not revoked yet, else null. */
  @CheckForNull
  synchronized String pendingCredentialsJournal() {
    return credentialsJournal;
  }

  /** A freestyle build's issued values, for its log's masking; in memory only, never persisted. */
  @CheckForNull private transient List<String> maskValues;

  synchronized void masking(@NonNull List<String> values) {
    this.maskValues = List.copyOf(values);
  }

  @NonNull
  synchronized List<String> maskValues() {
    return maskValues == null ? List.of() : maskValues;
  }

  /** Records that the block's session has ended (its teardown ran). */
  synchronized void sessionEnded() {
    this.session = null;
  }

  /**
   * Records the block's sealed bundle, what it says, and its verification against the kid recorded
   * at open ({@code status} 0: verified).
   */
  synchronized void sealed(@NonNull String bundleName, @NonNull EvidenceFacts bundleFacts, int status, @NonNull String lines) {
    this.bundle = bundleName;
    this.facts = bundleFacts;
    this.verifyStatus = status;
    this.verifyLines = lines;
  }

  /** The block's session id, once it opened. */
  @CheckForNull
  public synchronized String getSessionId() {
    return sessionId;
  }

  /** The task identity (SPIFFE ID) of the block's session. */
  @CheckForNull
  public synchronized String getSpiffeId() {
    return spiffeId;
  }

  /** The evidence key's kid as Jenkins recorded it when the session opened, before any command ran. */
  @CheckForNull
  public synchronized String getKid() {
    return kid;
  }

  /** The command a reviewer runs on the archived bundle to check it against {@link #getKid}. */
  @CheckForNull
  public synchronized String getVerifyCommand() {
    return sessionId == null || spiffeId == null || kid == null ? null
        : new SessionOpening(sessionId, spiffeId, kid).verifyCommand(bundle);
  }

  /** What the sealed bundle says (outcome, exit, commands, denials, credentials), or null before the end. */
  @CheckForNull
  public synchronized EvidenceFacts getFacts() {
    return facts;
  }

  /** The sealed bundle of the block's session (a file name in the evidence directory and the artifacts). */
  @CheckForNull
  public synchronized String getBundle() {
    return bundle;
  }

  /** Whether {@code taskbound verify --expect-kid} verified the bundle; null before it ran. */
  @CheckForNull
  public synchronized Boolean getVerified() {
    return verifyStatus == null ? null : verifyStatus == 0;
  }

  /** What {@code taskbound verify} printed. */
  @CheckForNull
  public synchronized String getVerifyLines() {
    return verifyLines;
  }

  /** A freestyle build's envelope while its session is open ({@link TaskboundBuildWrapper}); not persisted. */
  @CheckForNull private transient List<String> envelope;
  @CheckForNull private transient String envelopeSandbox;

  /** Sets (or, with null, clears) the {@code session exec ... --} prefix the build's launches get. */
  synchronized void enveloping(@CheckForNull List<String> sessionExec, @CheckForNull String sandbox) {
    this.envelope = sessionExec == null ? null : List.copyOf(sessionExec);
    this.envelopeSandbox = sandbox;
  }

  /** The decorator for a freestyle build's launches while its session is open, else null. */
  @CheckForNull
  synchronized EnvelopeDecorator openEnvelope() {
    return envelope == null || session == null ? null : new EnvelopeDecorator(envelope, envelopeSandbox);
  }

  /** The session still open, as the command that ends it on its node; null when there is none. */
  @CheckForNull
  synchronized List<String> pendingSessionEnd() {
    return session == null || java == null || jar == null ? null
        : EnvelopeCommand.sessionEnd(java, jar, new SessionHandle(session));
  }

  /** The handle of the block's session while it is open, else null. */
  @CheckForNull
  public synchronized String getSession() {
    return session;
  }

  /**
   * A build recorded before the handle was a string held it as a record, which reads back as its
   * whitespace: dropped, so that the backstop goes on to the build's other blocks.
   */
  private Object readResolve() {
    if (session != null) {
      try {
        new SessionHandle(session);
      } catch (IllegalArgumentException notAHandle) {
        session = null;
      }
    }
    return this;
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
