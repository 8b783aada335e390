package dev.taskbound.core.session;

import dev.taskbound.core.ExitCodes;
import dev.taskbound.core.TaskboundException;
import dev.taskbound.core.broker.RevocationContext;
import dev.taskbound.core.broker.Secret;
import dev.taskbound.core.broker.SecretMasker;
import dev.taskbound.core.broker.registry.RegistrySpec;
import dev.taskbound.core.egress.EgressRule;
import dev.taskbound.core.egress.Gateway;
import dev.taskbound.core.egress.GatewayConfig;
import dev.taskbound.core.egress.GatewayOptions;
import dev.taskbound.core.egress.RuleSet;
import dev.taskbound.core.evidence.EvidenceFiles;
import dev.taskbound.core.evidence.EvidenceLog;
import dev.taskbound.core.evidence.JwkSets;
import dev.taskbound.core.identity.IdentityIssuer;
import dev.taskbound.core.identity.IdentityRequest;
import dev.taskbound.core.identity.SessionId;
import dev.taskbound.core.identity.TaskIdentity;
import dev.taskbound.core.policy.EffectivePolicy;
import dev.taskbound.core.policy.Enforcement;
import dev.taskbound.core.policy.PolicyResolver;
import dev.taskbound.core.policy.SandboxBackend;
import dev.taskbound.core.sandbox.Confinement;
import dev.taskbound.core.sandbox.ContainerConfig;
import dev.taskbound.core.sandbox.ContainerSandbox;
import dev.taskbound.core.sandbox.NetnsSandbox;
import dev.taskbound.core.sandbox.OwnContainerId;
import dev.taskbound.core.sandbox.ProxySandbox;
import dev.taskbound.core.sandbox.Sandbox;
import dev.taskbound.core.sandbox.SandboxException;
import dev.taskbound.core.sandbox.SandboxIo;
import dev.taskbound.core.sandbox.SandboxLaunch;
import dev.taskbound.core.sandbox.SandboxProcess;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One task envelope. {@link #open} resolves the policy, mints the task identity, starts the gateway,
 * issues the policy's credentials through the brokers (GitHub App token, Vault) and prepares the
 * sandbox, journalling each undo before it creates anything; {@link #runAgent}
 * runs the agent inside the sandbox under the TTL watchdog; {@link #close} replays the journal in
 * reverse and seals the evidence. If {@code open} fails part-way, it undoes what it created before
 * rethrowing.
 *
 * <p>{@code close} is idempotent and thread-safe: a signal handler may call {@link #stop} while
 * {@code runAgent} waits, and the caller then closes as usual.
 */
public final class Session implements AutoCloseable {
  private final SessionSpec spec;
  private final EffectivePolicy policy;
  /** The org ceiling read from GitHub, when the spec named one; set once by {@link #open}. */
  private Optional<OrgCeiling> orgCeiling = Optional.empty();
  private final SessionId id;
  private final SessionLayout layout;
  private final SessionRecord record;
  private final LiveResources live = new LiveResources();
  private final EgressTally tally = new EgressTally();
  /** One line on Taskbound's stderr per newly denied destination, if the host asked for them. */
  private final java.util.Optional<DenialNotices> notices;
  private final PhaseTimer timer;
  private final CredentialPlan plan;
  /** Issued credentials and what the agent sees of them; null until the journal exists. */
  private volatile SessionCredentials credentials;
  /** {@code egress.inspect}: the session CA and the trust files; empty when no host is inspected. */
  private Optional<SessionInspection> inspection = Optional.empty();
  /** {@code kind: model} registries: keys the gateway injects (issue 15). */
  private List<ModelKeys.ModelKey> modelKeys = List.of();
  /** Host directories the agent sees at other paths: Claude Code's managed settings and hook (issue 16). */
  private Map<Path, Path> placed = Map.of();
  /** Where the agent's hook files are written ({@link ClaudeCodeHookFiles}), with {@code gate.hooks}. */
  private Optional<Path> hookFiles = Optional.empty();
  private TeardownJournal journal;
  private TaskIdentity identity;
  private Sandbox sandbox;
  private final Object agentHandoff = new Object();
  private volatile String stopCause;
  private volatile int stopExitCode;
  private TeardownReport report;
  /** The kid of the session's evidence key, kept after the key itself is dropped at the seal. */
  private volatile String evidenceKid;
  /** The open phase under way, for reporting an unexpected failure as that phase's. */
  private volatile OpenPhase phase = OpenPhase.STATE;
  /** {@code spec.registries} with the credentials read from the host environment. */
  private final List<RegistrySpec> registries;
  /** The commands of a multi-command session ({@link #exec}) now running, by number. */
  private final Map<Integer, SandboxProcess> execs = new java.util.concurrent.ConcurrentHashMap<>();
  private final java.util.concurrent.atomic.AtomicInteger execCount = new java.util.concurrent.atomic.AtomicInteger();
  /** The journal entry that stops every exec's sandbox at teardown; -1 until the first exec. */
  private int execSandboxEntry = -1;
  private ScheduledExecutorService sessionWatchdog;
  /** The policy's user, extra and hidden paths and reduced protections, made concrete for this host. */
  private final PolicyConfinement confinement;
  /** Issue 16: approve decisions wait here for a person; people answer on the socket. */
  private dev.taskbound.core.gate.ApprovalBroker approvals;
  private ApprovalSocket approvalSocket;
  private volatile List<String> protectionsOff = List.of();
  /** The keys and the preflight, made on a thread of their own while the open goes on. */
  private final OpenPrefetch prefetch;

  private Session(SessionSpec spec, EffectivePolicy policy, PhaseTimer timer, CredentialPlan plan,
      List<RegistrySpec> registries, PolicyConfinement confinement, Path evidenceDir, OpenPrefetch prefetch) {
    this.spec = spec;
    this.prefetch = prefetch;
    this.confinement = confinement;
    this.registries = registries;
    this.plan = plan;
    this.timer = timer;
    this.policy = policy;
    this.id = SessionId.random();
    this.layout = SessionLayout.of(spec.sessionRoot(), spec.runtimeRoot(), id.value());
    this.record = new SessionRecord(id.value(), spec.task().value(), evidenceDir, layout.runtimeDir());
    this.notices = spec.denialNotices().map(out -> new DenialNotices(out, text -> masker().mask(text)));
  }

  /**
   * Opens a session: resolves the effective policy (nothing is created if it is invalid), then
   * creates the session directory, evidence log, identity, gateway and sandbox preparation.
   *
   * @throws dev.taskbound.core.TaskboundException for an invalid policy, an unavailable sandbox or
   *     a failed issue; whatever was created before the failure has been torn down
   */
  public static Session open(SessionSpec spec) {
    PhaseTimer timer = new PhaseTimer();
    // The keys need nothing from the policy: made meanwhile, handed over where the open uses them.
    OpenPrefetch prefetch = OpenPrefetch.start(spec.clock());
    EffectivePolicy policy;
    CredentialPlan plan;
    List<RegistrySpec> registries;
    List<ModelKeys.ModelKey> modelKeys;
    Optional<OrgCeiling> org;
    PolicyConfinement confinement;
    Path evidenceDir;
    try {
      spec.openListener().entering(OpenPhase.POLICY);
      // Read and deleted first: a hand-off never outlives an open, whatever fails next.
      Optional<CredentialHandoff> handoff = spec.credentialHandoff().map(CredentialHandoff::take)
          .or(() -> spec.credentialHandoffInput().map(CredentialHandoffInput::handoff));
      // The org ceiling's read-only token is minted and revoked here, before any credential of the session.
      org = spec.orgCeiling()
          .map(location -> OrgCeiling.read(location, spec.credentialSources(), spec.repositoryCeiling(),
              spec.sessionRoot()));
      policy = resolvePolicy(spec, org);
      CooperativeExposure.check(policy.backend(), spec.hostEnvironment());
      evidenceDir = recordedOutDir(spec.outDir(), spec.workDir());
      confinement = PolicyConfinement.of(policy, spec.workDir(), spec.hostEnvironment(), spec.policyFiles(), evidenceDir,
          spec.sessionRoot(), spec.runtimeRoot(), java.nio.file.Path.of("/etc/passwd"));
      // Policy and host configuration must agree before anything exists (exit 122 otherwise).
      plan = handoff.isPresent()
          ? CredentialPlan.handedOff(policy, handoff.get(), spec.credentialSources(),
              CredentialPlan.hostGithubApi(spec.hostEnvironment()))
          : CredentialPlan.of(policy, spec.credentialSources(), spec.clock());
      GithubHosts.checkRegulated(policy, plan.githubApi());
      registries = RegistryFiles.resolve(policy.registries(), spec.hostEnvironment());
      modelKeys = ModelKeys.resolve(policy.registries(), policy.inspect(), spec.hostEnvironment());
      GatewayEventBudget.cap(spec.hostEnvironment()); // a bad setting is refused before anything exists
    } catch (TaskboundException e) {
      prefetch.noPreflight();
      throw e;
    } catch (RuntimeException | Error e) {
      prefetch.noPreflight();
      throw unexpected(OpenPhase.POLICY, e); // nothing exists yet: nothing to undo
    }
    if (policy.backend() == SandboxBackend.NETNS) {
      // Only a check (tools, sysctls; a probe where it decides the launch): it runs beside the next
      // phases, its outcome counts where it did before, in open.sandbox-preflight.
      Confinement launchedWith = confinement.confinement();
      prefetch.preflight(() -> NetnsSandbox.preflight(launchedWith));
    } else {
      prefetch.noPreflight();
    }
    timer.mark("open.policy");
    Session session = new Session(spec, policy, timer, plan, registries, confinement, evidenceDir, prefetch);
    session.orgCeiling = org;
    session.modelKeys = modelKeys;
    try {
      session.openSteps();
      return session;
    } catch (RuntimeException | Error e) {
      // Errors too (a StackOverflowError, a NoSuchMethodError): what was created must not outlive them.
      try {
        session.recordOpenFailure(e);
      } catch (RuntimeException | Error record) {
        e.addSuppressed(record);
      }
      try {
        session.teardown();
      } catch (RuntimeException | Error teardown) {
        e.addSuppressed(teardown);
      }
      prefetch.settle(); // a probe still running does not outlive the failed open
      throw session.masked(e instanceof TaskboundException t ? t : unexpected(session.phase, e));
    }
  }

  /**
   * An unexpected failure (a bug, not bad input) as a failure of the phase it happened in: one line
   * naming the phase and the error, the phase's exit code, the original as the cause.
   */
  static SessionException unexpected(OpenPhase phase, Throwable e) {
    String message = e.getMessage();
    SessionException wrapped = new SessionException(
        "could not " + phase.action() + ": unexpected " + e.getClass().getName()
            + (message == null || message.isBlank() ? "" : ": " + message)
            + " (a bug in taskbound; --debug prints the stack trace)",
        phase.exitCode(),
        e);
    for (Throwable s : e.getSuppressed()) {
      wrapped.addSuppressed(s);
    }
    return wrapped;
  }

  /** Enters {@code next}: unexpected failures from here on are reported as that phase's. */
  private void enter(OpenPhase next) {
    phase = next;
    spec.openListener().entering(next);
  }

  /**
   * Makes the evidence directory before the agent starts: in the workspace, the sandbox shows it
   * read-only ({@link PolicyConfinement}), so the agent can neither plant a link or a directory there
   * nor move it; and a directory that cannot be made fails the open, not the teardown.
   */
  private void createEvidenceDirectory() {
    try {
      EvidenceFiles.createRecordedDirectory(record.outDir());
    } catch (IOException e) {
      throw new SessionException("cannot create the evidence directory " + record.outDir() + ": " + e.getMessage()
          + "; accepted: a directory Taskbound can create and write (--out)", ExitCodes.SANDBOX);
    }
  }

  private void openSteps() {
    enter(OpenPhase.STATE);
    createStateDirectory();
    createEvidenceDirectory();
    credentials = new SessionCredentials(journal, layout, plan, registries, live, this::event);
    journal.register(TeardownRunner.REMOVE_PRIVATE_STATE, Map.of("state_dir", layout.stateDir().toString()));
    record.write(layout.sessionFile());
    timer.mark("open.state-dir");

    journal.register(TeardownRunner.SEAL_EVIDENCE, Map.of("events", layout.events().toString()));
    // Held by this process only, never written to disk (issue 14): a recovery after this process
    // died seals with a new key and says so (evidence.rekeyed).
    live.sealingKey = prefetch.sealingKey();
    evidenceKid = live.sealingKey.keyId();
    live.evidence = EvidenceLog.create(layout.events(), id.value(), spec.clock());
    writePrivate(layout.effectivePolicy(), policy.toCanonicalJson());
    timer.mark("open.evidence");

    enter(OpenPhase.IDENTITY);
    IdentityIssuer issuer = prefetch.issuer();
    Instant expiresAt = spec.clock().instant().plus(policy.ttl());
    Map<String, Object> claims = new LinkedHashMap<>(spec.identityClaims());
    policy.profile().ifPresent(p -> claims.put("profile", p));
    claims.put("policy_digest", policy.digest());
    orgCeiling.ifPresent(org -> claims.putAll(org.claims()));
    identity =
        issuer.mint(new IdentityRequest(policy.trustDomain(), spec.task(), id, policy.audience(), expiresAt, claims));
    writePrivate(layout.jwks(), JwkSets.merge(issuer.jwksJson(), live.sealingKey.publicJwkSetJson()));
    writePrivate(layout.identityClaims(), identity.claimsJson());
    // The org signer certifies the evidence key before anything is recorded; unreachable: no session (exit 122).
    Optional<com.fasterxml.jackson.databind.node.ObjectNode> statement = OrgCertifier.of(
            policy.evidenceSigner(), spec.credentialSources(), spec.clock())
        .map(c -> c.certifyOpening(live.sealingKey, spec.task().value(), id.value(), policy));
    statement.ifPresent(st -> writePrivate(layout.signerStatement(), st.toPrettyString()));
    Map<String, Object> opened = sessionOpenedData();
    statement.ifPresent(st -> opened.put("signer_statement", st));
    event("session.opened", opened);
    orgCeiling.ifPresent(org -> event(OrgCeiling.EVENT, org.evidence()));
    event(
        "identity.minted",
        Map.of(
            "spiffe_id", identity.spiffeId().toString(),
            "kid", identity.keyId(),
            "audience", policy.audience(),
            "expires_at", identity.expiresAt().toString(),
            "fingerprint", identity.fingerprint()));
    timer.mark("open.identity");

    enter(OpenPhase.GATEWAY);
    journal.register(TeardownRunner.STOP_GATEWAY, Map.of("socket", layout.gatewaySocket().toString()));
    createRuntimeDirectory();
    List<EgressRule> allow = new java.util.ArrayList<>(policy.allow());
    Map<String, String> pins = new LinkedHashMap<>(policy.hosts());
    approvals = newApprovals();
    credentials.approvals(approvals);
    credentials.startAgentApi(allow, pins, agentHooks());
    // what the agent's connections make the gateway record is capped; past it the gateway fails closed
    GatewayEventBudget gatewayEvents = new GatewayEventBudget(this::event, GatewayEventBudget.cap(spec.hostEnvironment()));
    EgressEvidence egress = new EgressEvidence(tally, gatewayEvents, d -> notices.ifPresent(n -> n.onDecision(d)));
    GatewayOptions options = GatewayOptions.DEFAULTS
        .withAllowPrivateAddresses(policy.allowPrivate())
        .withEvents(egress);
    GatewayConfig gatewayConfig = new GatewayConfig(layout.gatewaySocket(), RuleSet.of(allow, policy.deny()), pins, egress, options);
    if (!policy.inspect().isEmpty()) {
      SessionInspection inspecting = SessionInspection.start(policy.inspect(), id.value(), spec.clock(),
          layout.runtimeDir().resolve("inspect"), spec.inspectionUpstreamTrust(),
          dev.taskbound.core.gate.ActionRules.of(policy, spec.task().value()),
          gatewayEvents);
      inspecting.approvals(approvals);
      inspection = Optional.of(inspecting);
      Map<java.nio.file.Path, java.nio.file.Path> withBundle = new LinkedHashMap<>(placed);
      withBundle.putAll(inspecting.placed()); // the system trust path inside: system CAs + the session CA
      placed = Map.copyOf(withBundle);
      // App source or hand-off alike: the token's API names the Enterprise host's actions and placeholders.
      credentials.injectInto(inspecting.credentials(), inspecting.inspection().hosts(),
          credentials.githubApi().map(GithubHosts::placeholderHosts).orElse(SessionCredentials.GITHUB_HOSTS));
      gatewayConfig = gatewayConfig.withInspection(credentials.githubApi()
          .map(api -> inspecting.inspection().withGithubApi(api)).orElse(inspecting.inspection()));
    }
    live.gateway = Gateway.start(gatewayConfig);
    // Fail closed, loudly: a gateway that dies mid-run cuts the agent off, and the run fails.
    live.gateway.onFailure(cause -> stopAgent("gateway failed: " + TeardownRunner.describe(cause), ExitCodes.SANDBOX));
    event("gateway.started", Map.of("socket", layout.gatewaySocket().toString()));
    timer.mark("open.gateway");

    enter(OpenPhase.CREDENTIALS);
    credentials.issue();
    credentials.writeRegistryConfig();
    credentials.injectModelKeys(modelKeys);
    timer.mark("open.credentials");

    enter(OpenPhase.SANDBOX_PREFLIGHT);
    sandbox = sandboxFor(policy.backend());
    // the hook reaches the gateway at the sandbox's own proxy port, never at the agent's HTTP_PROXY
    hookFiles.ifPresent(dir -> credentials.agentApi().ifPresent(api -> ClaudeCodeHookFiles.writeCapability(dir, api.agentUrl(),
        sandbox.agentProxyPort(), api.hookCapability())));
    timer.mark("open.sandbox-preflight");
  }

  /**
   * The value of an {@code access: on-request} secret. Each call records {@code secret.accessed}
   * with the name and fingerprint.
   *
   * @throws SessionException (exit 122) if the policy serves no on-request secret of that name, or
   *     the session has not opened its credentials
   */
  public Secret onRequestSecret(String name) {
    if (credentials == null) {
      throw new SessionException("the session has no credentials yet", ExitCodes.CREDENTIALS);
    }
    return credentials.onRequestSecret(name);
  }

  /** The names of the secrets the policy serves on request, in policy order. */
  public List<String> onRequestSecretNames() {
    return credentials == null ? List.of() : credentials.onRequestSecretNames();
  }

  /**
   * Whether the agent's output must pass the masker ({@link #masker()}) before a person sees it:
   * the session issued something secret. The caller of {@link SessionSpec.Builder#agentTerminal}
   * masks it then.
   */
  public boolean masksAgentOutput() {
    SessionCredentials c = credentials;
    return c != null && c.needsMasking();
  }

  /** Masks every secret this session issued (and any GitHub token) in text the host prints. */
  public SecretMasker masker() {
    SessionCredentials c = credentials;
    return c == null ? new SecretMasker(List.of()) : c.masker();
  }

  /** {@code e} with secrets masked from its message, when its message held one. */
  private RuntimeException masked(RuntimeException e) {
    String message = e.getMessage();
    String masked = masker().mask(message);
    if (message == null || masked.equals(message)) {
      return e;
    }
    int code = e instanceof TaskboundException t ? t.exitCode() : ExitCodes.CREDENTIALS;
    return new SessionException(masked, code);
  }

  private Map<String, Object> sessionOpenedData() {
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("task", spec.task().value());
    data.put("session", id.value());
    data.put("spiffe_id", identity.spiffeId().toString());
    data.put("profile", policy.profile().orElse(null));
    data.put("policy_digest", policy.digest());
    data.put("sealing_kid", live.sealingKey.keyId());
    data.put("backend", policy.backend().name().toLowerCase(java.util.Locale.ROOT));
    data.put("enforcement", policy.enforcement().name().toLowerCase(java.util.Locale.ROOT));
    data.put("ttl_seconds", policy.ttl().toSeconds());
    if (policy.enforcement() == Enforcement.COOPERATIVE) {
      data.put("warning", "cooperative enforcement: egress is not enforced by the kernel");
    }
    return data;
  }

  private Sandbox sandboxFor(SandboxBackend backend) {
    switch (backend) {
      case NETNS:
        prefetch.awaitPreflight();
        return new NetnsSandbox();
      case PROXY:
        return new ProxySandbox();
      case CONTAINER:
        String image = spec.agentImage().orElseThrow(() -> new SandboxException(
            "the container backend needs the agent's image; accepted: --image IMAGE (or TASKBOUND_AGENT_IMAGE),"
                + " a local image such as debian:bookworm"));
        ContainerConfig.Builder config = ContainerConfig.builder(image).endpoint(dockerEndpoint()).label(SESSION_LABEL, id.value());
        // the agent container's runtime (gVisor's runsc, ...); the limits come with the launch
        policy.containerRuntime().ifPresent(config::runtime);
        // Inside a container (the GitHub Action, a Jenkins agent with the host's socket) the daemon
        // must get host paths: translate through this container's mounts, named or detected.
        String self = spec.hostEnvironment().get("TASKBOUND_DOCKER_SELF");
        new OwnContainerId(Path.of("/")).resolve(self).ifPresent(config::runningIn);
        ContainerSandbox container;
        try {
          container = new ContainerSandbox(config.build());
        } catch (IllegalArgumentException e) {
          throw new SandboxException("TASKBOUND_DOCKER_SELF is '" + self + "': " + e.getMessage()
              + "; accepted: the id or name of the container taskbound runs in", e);
        }
        if (policy.hooks().regulated()) {
          container.preferRuntimes(ContainerSandbox.HARDENED_RUNTIMES); // regulated work: gVisor or Kata when offered
        }
        container.preflight(confinement.confinement()); // a daemon without seccomp only where reduced allows it
        return container;
      default:
        throw new AssertionError(backend);
    }
  }

  /** Labels every container of this session, so that teardown can find them from the journal alone. */
  static final String SESSION_LABEL = "dev.taskbound.session";

  private String dockerEndpoint() {
    return spec.hostEnvironment().getOrDefault("DOCKER_HOST", ContainerConfig.DEFAULT_ENDPOINT);
  }

  /**
   * Runs the agent command inside the sandbox and waits for it, stopping its whole process tree when
   * the TTL expires or {@link #stop} is called.
   *
   * @return the agent's exit status; {@link ExitCodes#TTL_EXPIRED} after a TTL expiry; 128+N when
   *     stopped by signal N
   * @throws SandboxException if the agent could not be started in the sandbox
   */
  public int runAgent() throws InterruptedException {
    try {
      return startAndWait();
    } catch (TaskboundException e) {
      live.endReason = "run failed: " + TeardownRunner.describe(e);
      throw e;
    } catch (RuntimeException | Error e) {
      SessionException wrapped = unexpected(phase, e);
      live.endReason = "run failed: " + TeardownRunner.describe(e);
      live.exitCode = OptionalInt.of(wrapped.exitCode());
      throw wrapped;
    }
  }

  private int startAndWait() throws InterruptedException {
    enter(OpenPhase.AGENT_START);
    if (stopCause != null) {
      // Stopped (signal) before the agent existed: it never starts.
      live.exitCode = OptionalInt.of(stopExitCode);
      live.endReason = "stopped before the agent started: " + stopCause;
      return stopExitCode;
    }
    Map<String, Object> undo = new LinkedHashMap<>();
    undo.put("marker", layout.runtimeDir().toString());
    if (sandbox instanceof ContainerSandbox) {
      // Containers outlive a killed taskbound: teardown removes them by the session's label.
      undo.put("backend", "container");
      undo.put("endpoint", dockerEndpoint());
      undo.put("label", SESSION_LABEL + "=" + id.value());
    }
    int entry = journal.register(TeardownRunner.STOP_SANDBOX, undo);
    Map<String, String> env = AgentEnvironment.build(
        RegistryFiles.withoutCredentialVariables(spec.hostEnvironment(), policy.registries()), sessionVariables(),
        policy.confinement().envPass());
    // on a terminal of its own, the caller masks what it reads from the pty (SessionSpec.agentTerminal)
    List<MaskingPump> pumps = credentials.needsMasking() && spec.agentTerminal().isEmpty() ? startPumps() : List.of();
    // A hand-off read from stdin (--credentials-handoff - < FILE) leaves that file as the host's fd 0:
    // inherited, the agent could seek back to 0 (or reopen /proc/self/fd/0) and read the real token.
    java.lang.ProcessBuilder.Redirect stdin = spec.credentialHandoffInput().isPresent()
        ? java.lang.ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))
        : java.lang.ProcessBuilder.Redirect.INHERIT;
    SandboxIo io = spec.agentTerminal().isPresent() ? spec.agentTerminal().get() : pumps.isEmpty()
        ? new SandboxIo(stdin, java.lang.ProcessBuilder.Redirect.INHERIT, java.lang.ProcessBuilder.Redirect.INHERIT)
        : new SandboxIo(stdin, pumps.get(0).redirect(), pumps.get(1).redirect());
    try {
      return runAgent(env, entry, io);
    } finally {
      for (MaskingPump pump : pumps) {
        pump.close();
      }
    }
  }

  /** The session's own variables: identity, and the credentials the policy exposes. */
  private Map<String, String> sessionVariables() {
    Map<String, String> sessionVariables = new LinkedHashMap<>(credentials.agentEnvironment());
    inspection.ifPresent(i -> sessionVariables.putAll(i.agentEnvironment()));
    sessionVariables.put("TASKBOUND_TASK", spec.task().value());
    sessionVariables.put("TASKBOUND_SESSION", id.value());
    sessionVariables.put("TASKBOUND_SPIFFE_ID", identity.spiffeId().toString());
    sessionVariables.put("TASKBOUND_SVID", identity.token());
    return sessionVariables;
  }

  /**
   * The policy's confinement for a launch in {@code workDir}: plus the directories that command may
   * write and the files it may read ({@code session exec --rw}, {@code --ro}), on a Jenkins agent
   * what of this build it sees, and on a self-hosted GitHub runner its tool cache.
   */
  private Confinement launchConfinement(java.nio.file.Path workDir, List<java.nio.file.Path> extraReadWrite,
      List<java.nio.file.Path> extraReadOnly) {
    Confinement c = confinement.confinement();
    List<java.nio.file.Path> readWrite = new java.util.ArrayList<>(c.readWrite());
    readWrite.addAll(extraReadWrite);
    List<java.nio.file.Path> readOnly = new java.util.ArrayList<>(c.readOnly());
    readOnly.addAll(extraReadOnly);
    confinement.jenkins().ifPresent(j -> readOnly.addAll(j.shownAround(workDir, readWrite)));
    confinement.runners().forEach(r -> r.toolCache().ifPresent(readOnly::add));
    return new Confinement(c.user(), readOnly, readWrite, policy.limits(), c.mayGoWithout());
  }

  /**
   * What the sandbox always hides, then the workspace paths the policy hides ({@code sandbox.paths.hide}),
   * on a Jenkins agent the other builds' workspaces, and on a self-hosted GitHub runner its directory.
   */
  private List<java.nio.file.Path> hiddenPaths() {
    SandboxPaths.makeLauncherCache(spec.hostEnvironment()); // hidden only if it exists
    List<java.nio.file.Path> hidden =
        new java.util.ArrayList<>(SandboxPaths.hidden(layout.sessionRoot(), layout.runtimeDir().getParent(), spec.hostEnvironment()));
    hidden.addAll(confinement.hidden());
    confinement.jenkins().ifPresent(j -> hidden.add(j.hidden()));
    confinement.runners().forEach(r -> hidden.add(r.root()));
    return hidden;
  }

  /** The agent's stdout and stderr go through the masker once any credential exists. */
  private List<MaskingPump> startPumps() {
    java.io.OutputStream out = spec.agentStdout().orElseGet(() -> new java.io.FileOutputStream(java.io.FileDescriptor.out));
    java.io.OutputStream err = spec.agentStderr().orElseGet(() -> new java.io.FileOutputStream(java.io.FileDescriptor.err));
    MaskingPump stdout = MaskingPump.start(layout.outputPipe(1), out, this::masker, "stdout");
    try {
      return List.of(stdout, MaskingPump.start(layout.outputPipe(2), err, this::masker, "stderr"));
    } catch (RuntimeException e) {
      stdout.close();
      throw e;
    }
  }

  private int runAgent(Map<String, String> env, int entry, SandboxIo io) throws InterruptedException {
    if (policy.backend() != SandboxBackend.PROXY) {
      SandboxLaunch.listenerSinkUnavailable().ifPresent(why -> event("gateway.sandbox_port_forwarded", Map.of(
          "detail", "the sandbox relays each connection to the gateway (two relay hops, same rules): " + why)));
    }
    // Written before the agent can exist, so a SIGKILL of this process right after cannot erase that
    // it ran; agent.running adds the pid once known, agent.start_failed says when it never came up.
    event("sandbox.prepared", Map.of(
        "backend", policy.backend().name().toLowerCase(java.util.Locale.ROOT),
        "gateway_socket", layout.gatewaySocket().toString()));
    // The command line is the user's, but it may quote a value that was also issued: mask it.
    event("agent.started", Map.of("command", spec.command().stream().map(masker()::mask).toList()));
    SandboxProcess agent;
    try {
      agent =
        sandbox.start(
            new SandboxLaunch(
                spec.command(),
                spec.workDir(),
                env,
                layout.gatewaySocket(),
                hiddenPaths(),
                Duration.ofSeconds(30),
                io,
                spec.waitForAll(),
                // what the agent's variables point at; a container sees nothing of the host otherwise
                agentPaths())
                // the gateway accepts the agent's connections itself where the backend allows
                .withListenerSink(this::serveSandboxPort)
                // the policy files stay read-only even inside the workspace; the policy's user, paths and limits
                .withConfinement(launchConfinement(spec.workDir(), List.of(), List.of()))
                .withPlaced(placed));
    } catch (RuntimeException | Error e) {
      event("agent.start_failed", Map.of("error", TeardownRunner.describe(e)));
      throw e;
    }
    boolean stopRequested;
    synchronized (agentHandoff) {
      live.agent = agent;
      stopRequested = stopCause != null;
    }
    if (stopRequested) {
      // A stop arrived while the sandbox was starting (the agent may already be running).
      terminate(agent);
    }
    Map<String, Object> handle = new LinkedHashMap<>();
    handle.put("pid", agent.pid());
    agent.startTime().ifPresent(t -> handle.put("start", t.toString()));
    handle.putAll(agent.handle());
    journal.updateHandle(entry, handle);
    if (!agent.confinement().isEmpty()) {
      event("sandbox.started", agent.confinement());
      if (agent.confinement().get("protections_off") instanceof List<?> off) {
        protectionsOff = off.stream().map(String::valueOf).toList();
      }
    }
    event("agent.running", Map.of("pid", agent.pid()));
    timer.mark("run.sandbox-start");
    enter(OpenPhase.AGENT_RUNNING);

    long started = System.nanoTime();
    ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor(daemon("taskbound-ttl"));
    ScheduledFuture<?> expiry =
        watchdog.schedule(this::expire, Math.max(1, policy.ttl().toMillis()), TimeUnit.MILLISECONDS);
    int status;
    try {
      status = agent.waitFor();
    } finally {
      expiry.cancel(false);
      watchdog.shutdownNow();
    }
    Map<String, Object> exited = new LinkedHashMap<>();
    exited.put("exit_code", status);
    exited.put("duration_ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
    exited.putAll(agent.ending());
    if (stopCause != null) {
      exited.put("stopped_by", stopCause);
      status = stopExitCode;
    }
    event("agent.exited", exited);
    timer.mark("run.agent");
    live.exitCode = OptionalInt.of(status);
    live.endReason = stopCause == null ? "agent exited" : "agent stopped: " + stopCause;
    return status;
  }

  private void expire() {
    event("session.ttl_expired", Map.of("ttl_seconds", policy.ttl().toSeconds()));
    stopAgent("ttl expired", ExitCodes.TTL_EXPIRED);
  }

  /**
   * Stops the agent because the host received a signal: records it, sends SIGTERM to the agent's
   * tree and SIGKILL after the grace period. {@link #runAgent} then returns 128+signal.
   */
  public void stop(String signalName, int signalNumber) {
    event("session.signal", Map.of("signal", signalName));
    stopAgent("signal " + signalName, ExitCodes.SIGNAL_BASE + signalNumber);
  }

  private void stopAgent(String cause, int exitCode) {
    SandboxProcess agent;
    List<SandboxProcess> commands;
    synchronized (agentHandoff) {
      if (stopCause != null) {
        return;
      }
      stopExitCode = exitCode;
      stopCause = cause;
      agent = live.agent;
      commands = List.copyOf(execs.values());
    }
    if (agent != null) {
      terminate(agent);
    }
    terminateAll(commands);
  }

  /** SIGTERM to every tree at once, then SIGKILL to those still there after the grace period. */
  private void terminateAll(List<SandboxProcess> trees) {
    trees.forEach(SandboxProcess::terminate);
    for (SandboxProcess p : trees) {
      try {
        if (!p.waitFor(spec.stopGrace())) {
          p.destroyTree();
        }
      } catch (InterruptedException e) {
        p.destroyTree();
        Thread.currentThread().interrupt();
      }
    }
  }

  /** SIGTERM to the agent's tree, SIGKILL to all of it after the grace period. */
  private void terminate(SandboxProcess agent) {
    agent.terminate();
    try {
      if (!agent.waitFor(spec.stopGrace())) {
        agent.destroyTree();
      }
    } catch (InterruptedException e) {
      agent.destroyTree();
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Starts the TTL of a multi-command session ({@code taskbound session start}): when it expires,
   * {@code session.ttl_expired} is recorded, every running {@link #exec} is stopped (each returns
   * {@link ExitCodes#TTL_EXPIRED}), no further one starts, and {@code onExpiry} runs (the supervisor
   * then tears the session down). Calling it again has no effect.
   */
  public synchronized void startTtl(Runnable onExpiry) {
    if (sessionWatchdog != null) {
      return;
    }
    sessionWatchdog = Executors.newSingleThreadScheduledExecutor(daemon("taskbound-session-ttl"));
    sessionWatchdog.schedule(() -> {
      try {
        expire();
        live.endReason = "ttl expired";
        live.exitCode = OptionalInt.of(ExitCodes.TTL_EXPIRED);
      } finally {
        onExpiry.run();
      }
    }, Math.max(1, policy.ttl().toMillis()), TimeUnit.MILLISECONDS);
  }

  /**
   * Ends a multi-command session's work ({@code taskbound session end}): every running {@link #exec}
   * is stopped (SIGTERM, SIGKILL after the grace period) and returns 128+15; no further one starts.
   * The caller then tears down. Idempotent; a stop already under way (the TTL) keeps its cause.
   */
  public void endCommands(String cause) {
    stopAgent(cause, ExitCodes.SIGNAL_BASE + 15);
    synchronized (this) {
      if (sessionWatchdog != null) {
        sessionWatchdog.shutdownNow();
      }
    }
    if (live.endReason.startsWith("finished by taskbound teardown")) {
      live.endReason = cause;
    }
  }

  /** Why this session stopped taking commands (TTL, end, a failure), if it did; its exit code follows in the exception. */
  public Optional<String> stopped() {
    return Optional.ofNullable(stopCause);
  }

  /**
   * Runs one command of a multi-command session in a fresh sandbox of its own (own namespaces, own
   * process tree) attached to this session's gateway, policy, credentials and evidence, and waits for
   * it. Several may run at once. Records {@code agent.started}, {@code sandbox.started},
   * {@code agent.running} and {@code agent.exited}, each with the command's number {@code exec}.
   *
   * @return the command's exit status; {@link ExitCodes#TTL_EXPIRED} if the TTL stopped it;
   *     128+N if it was stopped by the session's end or its caller went away
   * @throws SessionException if the session no longer takes commands ({@link ExitCodes#TTL_EXPIRED}
   *     after the TTL, else {@link ExitCodes#SANDBOX}: its end or a signal is under way), or its
   *     working directory, an {@code --rw} or an {@code --ro} path is refused (125)
   * @throws SandboxException if the sandbox could not be started
   */
  public int exec(SessionExec request) throws InterruptedException {
    String refused = stopCause;
    if (refused != null) {
      // Never started: 121 as for a session that has ended (its end or a signal is under way), 124
      // when the TTL ended it. 128+N is only for a command that was running when the stop came.
      int code = stopExitCode == ExitCodes.TTL_EXPIRED ? ExitCodes.TTL_EXPIRED : ExitCodes.SANDBOX;
      throw new SessionException("session " + id.value() + " takes no more commands: " + refused
          + "; the command was not started", code);
    }
    ExecPaths.checkWorkDir(request.workDir(), PolicyConfinement.realOrAsWritten(spec.workDir()), confinement.jenkins().map(JenkinsWorkspaces::workspace));
    List<Path> opened = new java.util.ArrayList<>(request.readWrite());
    opened.addAll(request.readOnly());
    ExecPaths.checkNotShared(request.workDir(), opened, PolicyConfinement.realOrAsWritten(spec.workDir()));
    List<Path> readWrite = ExecPaths.readWrite(request.workDir(), request.readWrite());
    List<Path> readOnly = ExecPaths.readOnly(request.workDir(), request.readOnly());
    int n = execCount.incrementAndGet();
    synchronized (this) {
      if (execSandboxEntry < 0) {
        // One entry for every exec: teardown finds each exec's sandbox by the runtime directory on its command line.
        Map<String, Object> undo = new LinkedHashMap<>();
        undo.put("marker", layout.runtimeDir().toString());
        if (sandbox instanceof ContainerSandbox) {
          // Containers outlive a killed supervisor: teardown removes every exec's by the session's label.
          undo.put("backend", "container");
          undo.put("endpoint", dockerEndpoint());
          undo.put("label", SESSION_LABEL + "=" + id.value());
        }
        execSandboxEntry = journal.register(TeardownRunner.STOP_SANDBOX, undo);
      }
    }
    Map<String, String> host = new LinkedHashMap<>();
    policy.confinement().envPass().forEach(name -> {
      String value = spec.hostEnvironment().get(name);
      if (value != null) {
        host.put(name, value);
      }
    });
    request.hostEnvironment().forEach((name, value) -> {
      if (AgentEnvironment.isAllowed(name)) {
        host.put(name, value);
      }
    });
    Map<String, String> env = AgentEnvironment.build(
        RegistryFiles.withoutCredentialVariables(host, policy.registries()), sessionVariables(), policy.confinement().envPass());
    Map<String, Object> started = new LinkedHashMap<>();
    started.put("exec", n);
    started.put("command", request.command().stream().map(masker()::mask).toList());
    started.put("workdir", request.workDir().toString());
    if (!readWrite.isEmpty()) {
      started.put("read_write", readWrite.stream().map(Path::toString).toList());
    }
    if (!readOnly.isEmpty()) {
      started.put("read_only", readOnly.stream().map(Path::toString).toList());
    }
    event("agent.started", started);
    MaskingPump out = MaskingPump.start(layout.stateDir().resolve("exec-" + n + "-1.pipe"), request.stdout(), this::masker, n + "-stdout");
    MaskingPump err = null;
    long begun = System.nanoTime();
    try {
      err = MaskingPump.start(layout.stateDir().resolve("exec-" + n + "-2.pipe"), request.stderr(), this::masker, n + "-stderr");
      SandboxIo io = new SandboxIo(
          java.lang.ProcessBuilder.Redirect.from(new java.io.File("/dev/null")), out.redirect(), err.redirect());
      SandboxProcess process;
      try {
        process = sandbox.start(new SandboxLaunch(
                request.command(), request.workDir(), env, layout.gatewaySocket(),
                hiddenPaths(), Duration.ofSeconds(30), io, request.waitForAll(),
                // as for run: the inspection's trust files (the session CA) too, or inspected hosts fail TLS
                agentPaths())
            .withListenerSink(this::serveSandboxPort)
            .withConfinement(launchConfinement(request.workDir(), readWrite, readOnly))
            .withPlaced(placed));
      } catch (RuntimeException | Error e) {
        event("agent.start_failed", Map.of("exec", n, "error", TeardownRunner.describe(e)));
        String stoppedBy = stopCause;
        if (stoppedBy != null && e instanceof RuntimeException) {
          // The stop (TTL, end) tore down what the sandbox was being started on: say that, with its code.
          throw new SessionException("session " + id.value() + " stopped while the command was starting: " + stoppedBy
              + "; the command was not started", stopExitCode == ExitCodes.TTL_EXPIRED ? ExitCodes.TTL_EXPIRED : ExitCodes.SANDBOX, e);
        }
        throw e;
      }
      boolean stopNow;
      synchronized (agentHandoff) {
        execs.put(n, process);
        stopNow = stopCause != null;
      }
      request.abandoned().thenRun(() -> terminateAll(List.of(process)));
      if (stopNow) {
        terminateAll(List.of(process));
      }
      try {
        if (!process.confinement().isEmpty()) {
          Map<String, Object> confinement = new LinkedHashMap<>(process.confinement());
          confinement.put("exec", n);
          event("sandbox.started", confinement);
        }
        event("agent.running", Map.of("exec", n, "pid", process.pid()));
        int status = process.waitFor();
        Map<String, Object> exited = new LinkedHashMap<>();
        exited.put("exec", n);
        exited.put("exit_code", status);
        exited.put("duration_ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - begun));
        exited.putAll(process.ending());
        String cause = stopCause;
        if (cause != null) {
          exited.put("stopped_by", cause);
          status = stopExitCode;
        } else if (request.abandoned().isDone()) {
          exited.put("stopped_by", "the caller went away");
          status = ExitCodes.SIGNAL_BASE + 15;
        }
        event("agent.exited", exited);
        return status;
      } finally {
        execs.remove(n);
      }
    } finally {
      out.close();
      if (err != null) {
        err.close();
      }
    }
  }

  /**
   * Called once the sandbox's listening socket has reached this JVM: from now on one relay hop.
   * Recorded first, so the evidence shows the socket taken before any request served on it (the
   * agent's waiting connections wait for an unsynced append).
   */
  private void serveSandboxPort(java.nio.channels.ServerSocketChannel port) {
    Map<String, Object> data = new LinkedHashMap<>();
    try {
      if (port.getLocalAddress() instanceof java.net.InetSocketAddress a) {
        data.put("address", a.getAddress().getHostAddress() + ":" + a.getPort());
      }
    } catch (java.io.IOException e) {
      // closed already (the sandbox ended): the event still says the socket was taken
    }
    data.put("detail", "the gateway accepts the agent's connections on the sandbox's own port (one relay hop)");
    try {
      event("gateway.sandbox_port_taken", data);
    } finally {
      live.gateway.serveFrom(port); // an evidence failure shows in the gateway's own decisions
    }
  }

  /**
   * Appends an event. Nothing is dropped: an append that fails stops the agent, as a gateway failure
   * does (exit 121), and is rethrown, so whatever wanted it recorded does not happen.
   */
  private void event(String type, Map<String, ?> data) {
    EvidenceLog log = live.evidence;
    if (log != null && !live.closedRecorded) {
      SessionCredentials issued = credentials;
      try {
        log.append(type, issued != null && issued.needsMasking() ? EventMasking.of(data, issued.masker()) : data);
      } catch (RuntimeException e) {
        evidenceFailed("the evidence log failed: " + TeardownRunner.describe(e));
        throw e;
      }
    }
  }

  /**
   * Fails the run as a gateway failure does (exit 121): the cause is set at once, the agent is
   * stopped on a thread of its own, since the caller may be the gateway's selector thread.
   */
  private void evidenceFailed(String cause) {
    SandboxProcess agent;
    synchronized (agentHandoff) {
      if (stopCause != null) {
        return;
      }
      stopExitCode = ExitCodes.SANDBOX;
      stopCause = cause;
      agent = live.agent;
    }
    List<SandboxProcess> commands = List.copyOf(execs.values());
    if (!commands.isEmpty()) {
      Thread stopper = new Thread(() -> terminateAll(commands), "taskbound-evidence-failed-execs");
      stopper.setDaemon(true);
      stopper.start();
    }
    if (agent != null) {
      Thread stopper = new Thread(() -> terminate(agent), "taskbound-evidence-failed");
      stopper.setDaemon(true);
      stopper.start();
    }
  }

  private void recordOpenFailure(Throwable e) {
    live.endReason = "open failed: " + TeardownRunner.describe(e);
    if (e instanceof dev.taskbound.core.TaskboundException) {
      live.exitCode = OptionalInt.of(((dev.taskbound.core.TaskboundException) e).exitCode());
    }
    try {
      event("session.open_failed", Map.of("error", TeardownRunner.describe(e)));
    } catch (RuntimeException unrecorded) {
      e.addSuppressed(unrecorded); // the teardown must still run
    }
  }

  /**
   * Tears the session down: replays the journal newest first (stop the agent's tree, stop the
   * gateway, seal the evidence and write the bundle, remove private state), writes the teardown
   * report next to the bundle, and returns it. Calling it again returns the same report.
   */
  public synchronized TeardownReport teardown() {
    if (report != null) {
      return report;
    }
    closeApprovals();
    if (credentials != null) {
      credentials.stopRefreshes(); // before the journal is read: a token minted later would outlive the run
    }
    if (journal == null) {
      report = new TeardownReport(id.value(), List.of());
      return report;
    }
    TeardownRunner runner = new TeardownRunner(layout, record, live, new Retry(3, Duration.ofMillis(200)), spec.clock(), timer);
    report = runner.run(journal);
    journal.close();
    report = writeReports(layout, record, report, runner.sealed());
    timer.mark("close.reports");
    return report;
  }

  /** Stops taking approvals; what still waits expires (recorded before the evidence is sealed). */
  private void closeApprovals() {
    if (approvalSocket != null) {
      approvalSocket.close();
    }
    if (approvals != null) {
      try {
        approvals.close();
      } catch (RuntimeException e) {
        // the waiting callers were released; the evidence failure already stopped the run
      }
    }
  }

  /** Same as {@link #teardown()}, for try-with-resources. */
  @Override
  public void close() {
    teardown();
  }

  /**
   * The evidence directory as it resolves now, before the agent runs (see {@link EvidenceFiles#resolveNow}),
   * refused where a link in the workspace leads it: the workspace holds what the checkout and earlier
   * steps left, and a link there (committed, or left by an earlier run's agent) had root write the
   * bundle wherever it led.
   */
  private static Path recordedOutDir(Path outDir, Path workDir) {
    Path given = outDir.toAbsolutePath().normalize();
    Path workspace = workDir.toAbsolutePath().normalize();
    Path link;
    try {
      link = EvidenceFiles.linkInside(given, PolicyConfinement.realOrAsWritten(workspace));
    } catch (IOException e) {
      throw new SessionException("cannot resolve the evidence directory " + outDir + ": " + e.getMessage()
          + "; accepted: a directory path whose existing part can be resolved", ExitCodes.SANDBOX);
    }
    if (link != null) {
      throw new SessionException("the evidence directory " + given + " leads through the link " + link + " in the"
          + " workspace " + workspace + ", where the checked-out code and earlier steps put what they like; nothing"
          + " was written there; accepted: a path in the workspace without links (remove " + link + "), or one outside"
          + " it (--out)", ExitCodes.SANDBOX);
    }
    try {
      return EvidenceFiles.resolveNow(outDir);
    } catch (IOException e) {
      throw new SessionException("cannot resolve the evidence directory " + outDir + ": " + e.getMessage()
          + "; accepted: a directory path whose existing part can be resolved", ExitCodes.SANDBOX);
    }
  }

  /**
   * Writes the teardown report and the summary next to the bundle. Failing to write them is itself
   * a teardown failure: the returned report then says so.
   */
  static TeardownReport writeReports(SessionLayout layout, SessionRecord record, TeardownReport report, Optional<Path> sealed) {
    try {
      // The next attempt's history comes from this private copy, never from the published one: the
      // evidence directory is in the workspace, where the agent can plant a report of its own.
      if (Files.isDirectory(layout.stateDir(), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
        Path copy = Files.createTempFile(layout.stateDir(), ".teardown-report.", ".tmp",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(copy, report.toJson());
        Files.move(copy, layout.stateDir().resolve(PREVIOUS_REPORT), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
            java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      }
      EvidenceFiles.createRecordedDirectory(record.outDir());
      EvidenceFiles.publish(record.teardownReport(), report.toJson());
      // The summary of the latest sealed state: of the bundle or addendum this attempt wrote (by
      // the path it wrote, never by a name found in a directory the agent may write).
      if (sealed.isPresent() && Files.isRegularFile(sealed.get(), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
        try (java.util.zip.ZipFile zip = new java.util.zip.ZipFile(sealed.get().toFile())) {
          java.util.zip.ZipEntry summary = zip.getEntry("summary.md");
          if (summary != null) {
            EvidenceFiles.publish(record.summary(), zip.getInputStream(summary).readAllBytes());
          }
        }
      }
      return report;
    } catch (IOException | RuntimeException e) {
      List<StepResult> steps = new java.util.ArrayList<>(report.steps());
      steps.add(StepResult.failed("write-reports", 1, "cannot write to " + record.outDir() + ": " + TeardownRunner.describe(e)));
      return new TeardownReport(report.sessionId(), steps, report.earlier());
    }
  }

  /** Where the state directory keeps the last attempt's teardown report while the session's teardown is unfinished. */
  static final String PREVIOUS_REPORT = "teardown-report.json";

  /** The report of the teardown attempt before this one, from the state directory's private copy. */
  private static Optional<TeardownReport> previousReport(SessionLayout layout) {
    try {
      return TeardownReport.parse(Files.readString(layout.stateDir().resolve(PREVIOUS_REPORT)));
    } catch (IOException e) {
      return Optional.empty(); // no history then: the sealed chain still holds every attempt's steps
    }
  }

  /**
   * Whether the teardown of the session whose state directory was {@code stateDir} already
   * completed: a one-line description (when, where the evidence went) if so. The private state is
   * gone by then; the record of completion stays in the session root.
   */
  public static Optional<String> completedTeardown(Path stateDir) {
    if (Files.isRegularFile(stateDir.resolve("session.json"))) {
      return Optional.empty();
    }
    return Completion.of(stateDir).map(Completion.Record::describe);
  }

  /**
   * Finishes the teardown of a session whose process died (SIGKILL, a lost node): reads its journal
   * and runs every undo that is still pending, working from the recorded handles alone.
   *
   * @param stateDir the session's state directory, as printed when the session opened
   * @throws SessionException if the directory is not a session's, or the session's own process
   *     still holds it
   */
  public static TeardownReport finish(Path stateDir) {
    return finish(stateDir, RevocationContext.builder().build());
  }

  /**
   * As {@link #finish(Path)}, revoking the session's credentials with {@code revocation}: GitHub
   * tokens revoke themselves from the journal; Vault entries need the context's token source (for
   * example {@link CredentialSources#revocationContext()}, a fresh login).
   *
   * @throws SessionException if the directory is not a session's, or the session's own process
   *     still holds it
   */
  public static TeardownReport finish(Path stateDir, RevocationContext revocation) {
    return finish(stateDir, revocation, CredentialSources.NONE);
  }

  /**
   * As {@link #finish(Path, RevocationContext)}; when the session's evidence must be sealed with a
   * new key (its own was lost with its process) and its policy names an org signer ({@code
   * evidence.signer}), that signer certifies the new key through {@code sources}' Vault, and the seal
   * fails (exit 123, state kept for a retry) if it cannot.
   *
   * @throws SessionException if the directory is not a session's, or the session's own process
   *     still holds it
   */
  public static TeardownReport finish(Path stateDir, RevocationContext revocation, CredentialSources sources) {
    Path sessionFile = stateDir.resolve("session.json");
    Optional<Completion.Record> completed = Files.isRegularFile(sessionFile) ? Optional.empty() : Completion.of(stateDir);
    if (completed.isPresent()) {
      // Idempotent: a second teardown of a finished session has nothing to do, and says so.
      return new TeardownReport(completed.get().sessionId(), List.of(
          new StepResult("teardown", "skipped", 0, Optional.of(completed.get().describe()))));
    }
    if (!Files.isRegularFile(sessionFile)) {
      throw SessionException.teardown(
          "'" + stateDir + "' is not a session directory (no session.json); pass the directory printed as 'session:' when the run started");
    }
    SessionRecord record = SessionRecord.read(sessionFile);
    SessionLayout layout = SessionLayout.ofStateDir(stateDir, record.runtimeDir());
    TeardownReport report;
    LiveResources live = new LiveResources();
    live.revocation = java.util.Objects.requireNonNull(revocation, "revocation");
    live.recoveryCertifier = RecoveryCertifier.of(layout, record, sources, java.time.Clock.systemUTC());
    Optional<TeardownReport> previous = previousReport(layout);
    Optional<Path> sealed;
    try (TeardownJournal journal = TeardownJournal.read(layout.journal())) {
      TeardownRunner runner = new TeardownRunner(
          layout, record, live, new Retry(3, Duration.ofMillis(200)), java.time.Clock.systemUTC(), new PhaseTimer());
      previous.ifPresent(runner::after);
      report = runner.run(journal);
      sealed = runner.sealed();
    }
    return writeReports(layout, record, report, sealed);
  }

  /**
   * The effective policy of {@code spec}: its files under the org ceiling when one was read, then
   * narrowed by the spec's TTL, backend, egress and passed variables. Shared by the open and by
   * {@link CredentialIssue}, which must grant exactly what the session's open will expect.
   */
  static EffectivePolicy resolvePolicy(SessionSpec spec, Optional<OrgCeiling> org) {
    EffectivePolicy resolved = org.isPresent()
        ? org.get().resolve(spec.policyFiles(), spec.profile())
        : PolicyResolver.resolve(spec.policyFiles(), spec.profile());
    if (spec.ttl().isPresent()) {
      resolved = resolved.narrowTtl(spec.ttl().get());
    }
    if (spec.backend().isPresent()) {
      resolved = resolved.narrowBackend(spec.backend().get());
    }
    if (!spec.egressAllow().isEmpty()) {
      resolved = dev.taskbound.core.policy.EgressAllowNarrowing.narrow(resolved, spec.egressAllow(), "--egress-allow");
    }
    if (!spec.passEnv().isEmpty()) {
      resolved = resolved.narrowEnvPass(spec.passEnv());
    }
    return resolved;
  }

  public SessionId id() {
    return id;
  }

  /** The org ceiling read from GitHub (or found missing), when the spec named one. */
  public Optional<OrgCeiling> orgCeiling() {
    return orgCeiling;
  }

  /**
   * The kid (RFC 7638 thumbprint) of the key that will seal this session's evidence: what a host
   * records at open, before the agent starts, for {@code taskbound verify --expect-kid}.
   */
  public String evidenceKeyId() {
    return evidenceKid;
  }

  public EffectivePolicy policy() {
    return policy;
  }

  public TaskIdentity identity() {
    return identity;
  }

  /** The session's private state directory; {@code taskbound teardown --session} takes it. */
  public Path stateDirectory() {
    return layout.stateDir();
  }

  public SessionRecord record() {
    return record;
  }

  /** How long each phase took so far (open.*, run.*, close.*). */
  public List<PhaseTimer.Phase> timings() {
    return timer.phases();
  }

  public EgressTally egress() {
    return tally;
  }

  /**
   * The sandbox protections this run went without ({@code sandbox.confinement: reduced}, as
   * {@code sandbox.started} records them: {@code user-namespace}, ...); empty for a full confinement
   * or before the sandbox started.
   */
  public List<String> protectionsOff() {
    return protectionsOff;
  }

  private void createStateDirectory() {
    try {
      Files.createDirectories(layout.sessionRoot());
      Files.createDirectory(layout.stateDir(), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    } catch (IOException e) {
      throw new SessionException(
          "cannot create the session directory " + layout.stateDir() + ": " + e.getMessage()
              + "; set --session-root to a writable directory",
          ExitCodes.SANDBOX,
          e);
    }
    journal = TeardownJournal.create(layout.journal());
  }

  /**
   * Issue 16: with {@code gate.hooks: [claude-code]}, the session's side of the agent's hooks, and
   * Claude Code's managed settings and hook script placed in the sandbox ({@link ClaudeCodeHookFiles}).
   */
  private dev.taskbound.core.gate.HookHandler agentHooks() {
    if (policy.hooks().agents().isEmpty()) {
      return dev.taskbound.core.gate.HookHandler.NONE;
    }
    Path dir = layout.runtimeDir().resolve("claude-code");
    placed = ClaudeCodeHookFiles.write(dir, ClaudeCodeHookFiles.INSIDE.resolve(ClaudeCodeHookFiles.SETTINGS));
    hookFiles = Optional.of(dir);
    dev.taskbound.core.gate.GateRules rules = dev.taskbound.core.gate.GateRules.of(policy);
    dev.taskbound.core.gate.ActionRules actions = dev.taskbound.core.gate.ActionRules.of(policy, spec.task().value());
    return new AgentHooks(policy.hooks(),
        new dev.taskbound.core.gate.ToolGate(rules, actions, policy.hooks().tools(), RuleSet.of(policy.allow(), policy.deny())),
        actions, spec.workDir(), text -> masker().maskCut(text), this::event).withApprovals(approvals);
  }

  /**
   * Issue 16: the broker that holds {@code approve} decisions for a person (or settles them by the
   * approval given before the run), and the approvals socket people answer on ({@link ApprovalClient}).
   */
  private dev.taskbound.core.gate.ApprovalBroker newApprovals() {
    dev.taskbound.core.policy.ApprovalPolicy p = policy.hooks().approval();
    dev.taskbound.core.gate.ApprovalBroker broker = spec.approvalsBeforeRun()
        .map(b -> dev.taskbound.core.gate.ApprovalBroker.beforeRun(
            new dev.taskbound.core.gate.ApprovalBroker.BeforeRun(b.environment(), p.environments(), b.actor()), spec.clock(), this::event))
        .orElseGet(() -> dev.taskbound.core.gate.ApprovalBroker.waiting(p.timeout(), spec.clock(), this::event));
    if (spec.approvalsBeforeRun().isEmpty()) {
      approvalSocket = ApprovalSocket.serve(layout.runtimeDir(), broker, text -> masker().mask(text));
    }
    return broker;
  }

  /**
   * The session's approvals: a host adds a channel ({@link dev.taskbound.core.gate.ApprovalBroker#watch},
   * the launcher's terminal); null before the gateway phase of {@link #open}.
   */
  public dev.taskbound.core.gate.ApprovalBroker approvals() {
    return approvals;
  }

  /** What the agent's variables point at, read-only; a container sees nothing of the host otherwise. */
  private List<Path> agentPaths() {
    List<Path> paths = new java.util.ArrayList<>(List.of(layout.credentialsDir(), layout.registriesDir()));
    inspection.ifPresent(i -> paths.add(i.dir()));
    return paths;
  }

  private void createRuntimeDirectory() {
    try {
      Files.createDirectories(layout.runtimeDir().getParent()); // like the session root: made when missing
      RuntimeRoot.check(layout.runtimeDir().getParent(), OwnerSocket.effectiveUid(), spec.workDir());
      Files.createDirectory(layout.runtimeDir(), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    } catch (IOException e) {
      throw new SessionException(
          "cannot create the runtime directory " + layout.runtimeDir() + ": " + e.getMessage()
              + "; set TASKBOUND_RUNTIME_DIR to a writable directory",
          ExitCodes.SANDBOX,
          e);
    }
  }

  static void writePrivate(Path file, String content) {
    try {
      Files.writeString(
          Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))), content);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }
}
