package dev.taskbound.core.session;

import dev.taskbound.core.identity.IdentityInputException;
import dev.taskbound.core.identity.TaskId;
import dev.taskbound.core.policy.SandboxBackend;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Everything needed to open a session: which task, which policy files, which command, and where to
 * keep files. Immutable; built with {@link #builder}. Host adapters read their inputs, fill a
 * builder and hand the result to {@link Session#open}.
 */
public final class SessionSpec {
  private final TaskId task;
  private final List<Path> policyFiles;
  private final Optional<String> profile;
  private final List<dev.taskbound.core.egress.EgressRule> egressAllow;
  private final Optional<SandboxBackend> backend;
  private final Optional<Duration> ttl;
  private final List<String> command;
  private final Path workDir;
  private final Path sessionRoot;
  private final Path runtimeRoot;
  private final OpenPhase.Listener openListener;
  private final Path outDir;
  private final Map<String, String> hostEnvironment;
  private final Map<String, Object> identityClaims;
  private final Clock clock;
  private final Duration stopGrace;
  private final CredentialSources credentialSources;
  private final Optional<String> agentImage;
  private final boolean waitForAll;
  private final Optional<Path> inspectionUpstreamTrust;
  private final Optional<java.io.OutputStream> agentStdout;
  private final Optional<dev.taskbound.core.sandbox.SandboxIo> agentTerminal;
  private final Optional<java.io.OutputStream> agentStderr;
  private final Optional<java.io.PrintWriter> denialNotices;
  private final Optional<dev.taskbound.core.gate.ApprovalBroker.BeforeRun> approvalsBeforeRun;
  private final List<String> passEnv;
  private final Optional<dev.taskbound.core.policy.GithubPolicyLocation> orgCeiling;
  private final boolean repositoryCeiling;
  private final Optional<Path> credentialHandoff;
  private final Optional<CredentialHandoffInput> credentialHandoffInput;

  private SessionSpec(Builder b) {
    this.credentialHandoff = Optional.ofNullable(b.credentialHandoff);
    this.credentialHandoffInput = Optional.ofNullable(b.credentialHandoffInput);
    this.orgCeiling = b.orgCeiling;
    this.repositoryCeiling = b.repositoryCeiling;
    this.task = b.task;
    this.policyFiles = List.copyOf(b.policyFiles);
    this.profile = b.profile;
    this.egressAllow = List.copyOf(b.egressAllow);
    this.backend = b.backend;
    this.ttl = b.ttl;
    this.command = List.copyOf(b.command);
    this.workDir = b.workDir;
    this.sessionRoot = b.sessionRoot;
    this.runtimeRoot = b.runtimeRoot;
    this.outDir = b.outDir;
    this.hostEnvironment = Map.copyOf(b.hostEnvironment);
    this.identityClaims = Map.copyOf(b.identityClaims);
    this.clock = b.clock;
    this.stopGrace = b.stopGrace;
    this.credentialSources = b.credentialSources;
    this.agentImage = b.agentImage;
    this.waitForAll = b.waitForAll;
    this.inspectionUpstreamTrust = Optional.ofNullable(b.inspectionUpstreamTrust);
    this.agentStdout = b.agentStdout;
    this.agentTerminal = b.agentTerminal;
    this.agentStderr = b.agentStderr;
    this.denialNotices = b.denialNotices;
    this.approvalsBeforeRun = b.approvalsBeforeRun;
    this.passEnv = List.copyOf(b.passEnv);
    this.openListener = b.openListener;
  }

  /** The org ceiling to read from GitHub before anything else, if any ({@link OrgCeiling}). */
  public Optional<dev.taskbound.core.policy.GithubPolicyLocation> orgCeiling() {
    return orgCeiling;
  }

  /** Whether the run asked for the repository's own ceiling ({@code ceiling: repository}). */
  public boolean repositoryCeiling() {
    return repositoryCeiling;
  }

  /** Host variables the user gives the agent besides the allow-list ({@code --pass-env}). */
  public List<String> passEnv() {
    return passEnv;
  }

  /** Told as each phase of {@link Session#open} and of starting the agent begins. */
  public OpenPhase.Listener openListener() {
    return openListener;
  }

  /** A builder for the given task and agent command. */
  public static Builder builder(TaskId task, List<String> command) {
    return new Builder(task, command);
  }

  public TaskId task() {
    return task;
  }

  public List<Path> policyFiles() {
    return policyFiles;
  }

  public Optional<String> profile() {
    return profile;
  }

  /** A host's last narrowing of the egress allow list ({@code --egress-allow}); empty when none. */
  public List<dev.taskbound.core.egress.EgressRule> egressAllow() {
    return egressAllow;
  }

  public Optional<SandboxBackend> backend() {
    return backend;
  }

  public Optional<Duration> ttl() {
    return ttl;
  }

  public List<String> command() {
    return command;
  }

  public Path workDir() {
    return workDir;
  }

  public Path sessionRoot() {
    return sessionRoot;
  }

  public Path runtimeRoot() {
    return runtimeRoot;
  }

  public Path outDir() {
    return outDir;
  }

  public Map<String, String> hostEnvironment() {
    return hostEnvironment;
  }

  public Map<String, Object> identityClaims() {
    return identityClaims;
  }

  public Clock clock() {
    return clock;
  }

  public Duration stopGrace() {
    return stopGrace;
  }

  /** How the host authenticates to GitHub and Vault; {@link CredentialSources#NONE} by default. */
  public CredentialSources credentialSources() {
    return credentialSources;
  }

  /** The hand-off file of credentials another host issued ({@code taskbound credentials issue}), if any. */
  public Optional<Path> credentialHandoff() {
    return credentialHandoff;
  }

  /** The hand-off the host read from its standard input instead of a file, if any. */
  public Optional<CredentialHandoffInput> credentialHandoffInput() {
    return credentialHandoffInput;
  }

  /** Whether the run lasts until every process in the sandbox has exited, not only the agent. */
  public boolean waitForAll() {
    return waitForAll;
  }

  /**
   * A PEM file of CA certificates the inspecting gateway verifies upstream certificates against
   * instead of the system's trust store (a host setting for tests with local upstreams; a policy
   * cannot set it). Empty: the system's.
   */
  public Optional<Path> inspectionUpstreamTrust() {
    return inspectionUpstreamTrust;
  }

  /** The agent's container image, for the {@code container} backend. */
  public Optional<String> agentImage() {
    return agentImage;
  }

  /**
   * Where the agent's masked standard output goes when credentials are issued; empty means the
   * host process's own standard output. Without credentials the agent shares the host's streams.
   */
  public Optional<java.io.OutputStream> agentStdout() {
    return agentStdout;
  }

  /**
   * The agent's own pseudo-terminal ({@link Builder#agentTerminal}), or empty: the agent gets this
   * process's standard streams.
   */
  public Optional<dev.taskbound.core.sandbox.SandboxIo> agentTerminal() {
    return agentTerminal;
  }

  /** As {@link #agentStdout()}, for standard error. */
  public Optional<java.io.OutputStream> agentStderr() {
    return agentStderr;
  }

  /** Where live denial notices go (Taskbound's own standard error); empty means none are printed. */
  public Optional<java.io.PrintWriter> denialNotices() {
    return denialNotices;
  }

  /**
   * For a host that cannot pause for a person (GitHub Actions): approvals are settled at once by the
   * approval given before the run (its {@code accepted} list is the policy's, filled in at open);
   * empty: requests wait for a person.
   */
  public Optional<dev.taskbound.core.gate.ApprovalBroker.BeforeRun> approvalsBeforeRun() {
    return approvalsBeforeRun;
  }

  /** Builds a {@link SessionSpec}. Defaults: no policy file (built-in default), cwd, ~/.taskbound. */
  public static final class Builder {
    private final TaskId task;
    private final List<String> command;
    private final List<Path> policyFiles = new ArrayList<>();
    private Optional<String> profile = Optional.empty();
    private final List<dev.taskbound.core.egress.EgressRule> egressAllow = new ArrayList<>();
    private Optional<SandboxBackend> backend = Optional.empty();
    private Optional<Duration> ttl = Optional.empty();
    private Path workDir = Path.of("").toAbsolutePath();
    /** Null until set: {@link #build} then picks {@link SessionLayout#defaultSessionRoot}. */
    private Path sessionRoot;
    private OpenPhase.Listener openListener = OpenPhase.Listener.NONE;
    private Path runtimeRoot = Path.of(System.getProperty("java.io.tmpdir"));
    private Path outDir = Path.of("taskbound-evidence").toAbsolutePath();
    private Map<String, String> hostEnvironment = Map.of();
    private final Map<String, Object> identityClaims = new LinkedHashMap<>();
    private Clock clock = Clock.systemUTC();
    private Duration stopGrace = Duration.ofSeconds(5);
    private Optional<String> agentImage = Optional.empty();
    private boolean waitForAll;
    private Path inspectionUpstreamTrust;
    private CredentialSources credentialSources = CredentialSources.NONE;
    private Path credentialHandoff;
    private CredentialHandoffInput credentialHandoffInput;
    private Optional<java.io.OutputStream> agentStdout = Optional.empty();
    private Optional<dev.taskbound.core.sandbox.SandboxIo> agentTerminal = Optional.empty();
    private Optional<java.io.OutputStream> agentStderr = Optional.empty();
    private Optional<java.io.PrintWriter> denialNotices = Optional.empty();
    private Optional<dev.taskbound.core.gate.ApprovalBroker.BeforeRun> approvalsBeforeRun = Optional.empty();
    private final List<String> passEnv = new java.util.ArrayList<>();
    private Optional<dev.taskbound.core.policy.GithubPolicyLocation> orgCeiling = Optional.empty();
    private boolean repositoryCeiling;

    private Builder(TaskId task, List<String> command) {
      this.task = Objects.requireNonNull(task, "task");
      Objects.requireNonNull(command, "command");
      if (command.isEmpty()) {
        throw new IllegalArgumentException("command must not be empty");
      }
      this.command = command;
    }

    public Builder policyFile(Path file) {
      policyFiles.add(Objects.requireNonNull(file, "file"));
      return this;
    }

    public Builder profile(String name) {
      this.profile = Optional.of(name);
      return this;
    }

    /**
     * Narrows the egress allow list to this rule (with the others given this way); each must be
     * covered by the policy's allow list, or open fails with 120.
     */
    public Builder egressAllow(dev.taskbound.core.egress.EgressRule rule) {
      egressAllow.add(Objects.requireNonNull(rule, "rule"));
      return this;
    }

    /** Asks for a backend; it must be one the effective policy allows. */
    public Builder backend(SandboxBackend backend) {
      this.backend = Optional.of(backend);
      return this;
    }

    /** Asks for a shorter TTL than the policy's; a longer one is an error at open. */
    public Builder ttl(Duration ttl) {
      if (ttl.isNegative() || ttl.isZero()) {
        throw new IllegalArgumentException("ttl must be positive: " + ttl);
      }
      this.ttl = Optional.of(ttl);
      return this;
    }

    public Builder workDir(Path dir) {
      this.workDir = dir.toAbsolutePath();
      return this;
    }

    public Builder sessionRoot(Path dir) {
      this.sessionRoot = dir.toAbsolutePath();
      return this;
    }

    /** Where the short-lived runtime directory with the gateway socket goes (default: java.io.tmpdir). */
    public Builder runtimeRoot(Path dir) {
      this.runtimeRoot = dir.toAbsolutePath();
      return this;
    }

    /** Where the evidence bundle and teardown report are written. */
    public Builder outDir(Path dir) {
      this.outDir = dir.toAbsolutePath();
      return this;
    }

    /** The host's environment, read once at the host edge; the agent gets a scrubbed copy. */
    public Builder hostEnvironment(Map<String, String> env) {
      this.hostEnvironment = Map.copyOf(env);
      return this;
    }

    /**
     * Extra identity claims such as {@code repository} or {@code run_url}; never one the session sets
     * itself ({@code profile}, {@code policy_digest}, {@code ceiling_*}), which a run without an org
     * ceiling or profile would otherwise carry as given: a Vault role may bind on them.
     *
     * @throws IdentityInputException for a claim the session sets
     */
    public Builder identityClaim(String name, Object value) {
      Objects.requireNonNull(name, "name");
      if (SESSION_CLAIMS.contains(name) || name.startsWith("ceiling_")) {
        throw new IdentityInputException("claim '" + name + "' is set by the session (from"
            + " the policy and the org ceiling) and may not be given; reserved besides the issuer's: "
            + String.join(", ", SESSION_CLAIMS) + ", ceiling_*");
      }
      identityClaims.put(name, Objects.requireNonNull(value, "value"));
      return this;
    }

    private static final List<String> SESSION_CLAIMS = List.of("policy_digest", "profile");

    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** How long a stopped agent gets between SIGTERM and SIGKILL. */
    public Builder stopGrace(Duration grace) {
      this.stopGrace = Objects.requireNonNull(grace, "grace");
      return this;
    }

    /**
     * How the host authenticates to GitHub and Vault (read at the host edge, e.g. with {@link
     * CredentialSources#fromEnvironment}). The policy decides what is issued; a policy that grants
     * credentials from a service not configured here fails at open with exit 122.
     */
    public Builder credentialSources(CredentialSources sources) {
      this.credentialSources = Objects.requireNonNull(sources, "sources");
      return this;
    }

    /**
     * Credentials issued elsewhere ({@code taskbound credentials issue} on a CI controller) instead of
     * by this host's brokers: the open reads the 0600 file and deletes it before anything else, and
     * refuses it (exit 122) unless it grants exactly what the effective policy grants.
     */
    public Builder credentialHandoff(Path file) {
      this.credentialHandoff = Objects.requireNonNull(file, "file");
      this.credentialHandoffInput = null;
      return this;
    }

    /**
     * As {@link #credentialHandoff(Path)}, with a hand-off the host read from its standard input
     * ({@link CredentialHandoffInput#read}): no file exists; the open checks its scope the same way.
     * Replaces a hand-off file set before.
     */
    public Builder credentialHandoff(CredentialHandoffInput input) {
      this.credentialHandoffInput = Objects.requireNonNull(input, "input");
      this.credentialHandoff = null;
      return this;
    }

    /**
     * Gives the agent a pseudo-terminal of its own ({@link dev.taskbound.core.sandbox.SandboxIo#terminal}):
     * every standard stream on its follower, which is the sandbox's controlling terminal. The
     * caller reads the agent's output from the pty's leader and masks it ({@link Session#masker()}):
     * the session starts no masking pumps then.
     */
    public Builder agentTerminal(dev.taskbound.core.sandbox.SandboxIo io) {
      if (Objects.requireNonNull(io, "io").newSession().isEmpty()) {
        throw new IllegalArgumentException("not a terminal of the agent's own: " + io);
      }
      this.agentTerminal = Optional.of(io);
      return this;
    }

    /**
     * Where the agent's output goes, masked, when the session issues credentials (default: this
     * process's standard output and error). The session writes whole lines and flushes each; it
     * does not close the streams.
     */
    public Builder agentOutput(java.io.OutputStream stdout, java.io.OutputStream stderr) {
      this.agentStdout = Optional.of(Objects.requireNonNull(stdout, "stdout"));
      this.agentStderr = Optional.of(Objects.requireNonNull(stderr, "stderr"));
      return this;
    }

    /**
     * Prints the first denial of each destination to {@code err} as it happens, one masked line
     * with the rule to add (at most 20 destinations per session, then one line saying the rest are
     * in the summary). The session writes from the gateway's threads, synchronising on {@code err};
     * it does not close it. Default: no notices.
     */
    public Builder denialNotices(java.io.PrintWriter err) {
      this.denialNotices = Optional.of(Objects.requireNonNull(err, "err"));
      return this;
    }

    /**
     * Settles every {@code approve} decision at once instead of waiting for a person (a host that
     * cannot pause, GitHub Actions): granted when {@code environment}, checked by the host, is one of
     * the policy's {@code gate.approval.environments}, else denied saying why. Default: wait.
     *
     * @param environment the job's verified environment; empty when it ran in none
     * @param actor who started the run, for the evidence ({@code ""} when unknown)
     */
    public Builder approvalsBeforeRun(Optional<String> environment, String actor) {
      this.approvalsBeforeRun = Optional.of(new dev.taskbound.core.gate.ApprovalBroker.BeforeRun(environment, List.of(), actor));
      return this;
    }

    /**
     * Gives the agent the host variable {@code name} as well (the agent's environment is otherwise an
     * allow-list, {@link AgentEnvironment}). The value is the host's own, not an issued one, so the
     * masker does not know it. Default: none.
     */
    public Builder passEnv(String name) {
      passEnv.add(Objects.requireNonNull(name, "name"));
      return this;
    }

    /**
     * Reads the org ceiling from GitHub with the {@link #credentialSources} App when the session
     * opens, before any credential is minted; the policy files then narrow it ({@link OrgCeiling}).
     * Default: none (a Ceiling among the policy files, or the built-in default, is the top layer).
     */
    public Builder orgCeiling(dev.taskbound.core.policy.GithubPolicyLocation location) {
      this.orgCeiling = Optional.of(Objects.requireNonNull(location, "location"));
      return this;
    }

    /**
     * Asks for the repository's own Ceiling among the policy files ({@code ceiling: repository}):
     * accepted where the org ceiling is missing, or under one that sets {@code
     * allowRepositoryCeiling: true}; refused otherwise. Default: false.
     */
    public Builder repositoryCeiling(boolean value) {
      this.repositoryCeiling = value;
      return this;
    }

    /** The image the agent runs in with the {@code container} backend (the image needs nothing of ours). */
    public Builder agentImage(String image) {
      this.agentImage = Optional.of(Objects.requireNonNull(image, "image"));
      return this;
    }

    /**
     * Keeps the session until every process in the sandbox has exited (the agent's status is still
     * the run's): for hosts whose command backgrounds the real work, such as Jenkins' durable
     * {@code sh}. The TTL still bounds it. netns backend only.
     */
    /** @see SessionSpec#inspectionUpstreamTrust() */
    public Builder inspectionUpstreamTrust(Path pemFile) {
      this.inspectionUpstreamTrust = java.util.Objects.requireNonNull(pemFile, "pemFile");
      return this;
    }

    public Builder waitForAll(boolean value) {
      this.waitForAll = value;
      return this;
    }

    /**
     * Tells {@code listener} as each phase of opening the session and starting its agent begins (for
     * tracing and timing); what it throws fails that phase.
     */
    public Builder openListener(OpenPhase.Listener listener) {
      this.openListener = Objects.requireNonNull(listener, "listener");
      return this;
    }

    /**
     * Builds the spec.
     *
     * @throws SessionException (exit 121) if no session root was set and no usable default exists
     *     (a uid without a home directory, no {@code HOME}): set one with {@link #sessionRoot}
     */
    public SessionSpec build() {
      if (sessionRoot == null) {
        sessionRoot = SessionLayout.defaultSessionRoot(hostEnvironment, System.getProperty("user.home"));
      }
      return new SessionSpec(this);
    }
  }
}
