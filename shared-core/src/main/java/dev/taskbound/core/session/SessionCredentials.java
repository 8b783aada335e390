package dev.taskbound.core.session;

import dev.taskbound.core.ExitCodes;
import dev.taskbound.core.broker.CredentialBroker;
import dev.taskbound.core.broker.IssuedCredential;
import dev.taskbound.core.broker.Secret;
import dev.taskbound.core.broker.SecretMasker;
import dev.taskbound.core.broker.UndoRecorder;
import dev.taskbound.core.broker.github.GithubBroker;
import dev.taskbound.core.broker.registry.RegistryConfig;
import dev.taskbound.core.broker.registry.RegistrySpec;
import dev.taskbound.core.egress.EgressRule;
import dev.taskbound.core.evidence.EventType;
import dev.taskbound.core.gate.AccessAction;
import dev.taskbound.core.gate.AccessRequest;
import dev.taskbound.core.gate.AgentApi;
import dev.taskbound.core.gate.Decision;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * A session's credentials (DESIGN lifecycle step 4): issues them through the brokers with the
 * teardown journal as their undo recorder, decides what the agent sees (variables, 0600 files,
 * registry configuration, on-request secrets through the agent API), and keeps the masker that
 * hides every issued value. Each creation is journalled before it happens. Thread-safe where the
 * agent API calls in (on-request secrets, token refresh); the rest runs once, during open.
 */
final class SessionCredentials {
  private final TeardownJournal journal;
  private final SessionLayout layout;
  private final CredentialPlan plan;
  /** {@code spec.registries} with the credentials read from the host environment. */
  private final List<RegistrySpec> registries;
  private final LiveResources live;
  private final BiConsumer<String, Map<String, ?>> events;
  /** Every secret issued so far; the masker is replaced (never mutated) as credentials are issued. */
  private final List<Secret> sessionSecrets = new java.util.ArrayList<>();
  private volatile SecretMasker masker = new SecretMasker(List.of());
  private final Map<String, String> credentialEnv = new java.util.TreeMap<>();
  private final Map<String, Secret> onRequest = new LinkedHashMap<>();
  private final AgentApiBinding agentApiBinding;
  /** {@code egress.inspect}: where credentials for inspected hosts are bound to placeholders. */
  private dev.taskbound.core.egress.InjectedCredentials injected = dev.taskbound.core.egress.InjectedCredentials.NONE;
  private java.util.Set<String> inspectedHosts = java.util.Set.of();
  /** Journal entry of each GitHub token's revocation, by the token's fingerprint. */
  private final Map<String, Integer> githubTokenEntries = new java.util.concurrent.ConcurrentHashMap<>();

  SessionCredentials(TeardownJournal journal, SessionLayout layout, CredentialPlan plan, List<RegistrySpec> registries,
      LiveResources live, BiConsumer<String, Map<String, ?>> events) {
    this.journal = journal;
    this.layout = layout;
    this.plan = plan;
    this.registries = registries;
    this.live = live;
    this.events = events;
    this.agentApiBinding =
        new AgentApiBinding(onRequest, plan.gateRules(), events, this::githubTokenRevoked, this::githubTokenRefreshed);
  }

  /** The variables the agent gets for its credentials and registries (values may be secret). */
  Map<String, String> agentEnvironment() {
    return Map.copyOf(credentialEnv);
  }

  /** The agent API, once it runs (its hook capability goes to the hook, docs/hooks.md). */
  java.util.Optional<AgentApi> agentApi() {
    return java.util.Optional.ofNullable(live.agentApi);
  }

  /** Whether the agent's output must pass through the masker: anything secret was issued. */
  boolean needsMasking() {
    return !plan.isEmpty() || !sessionSecrets.isEmpty();
  }

  /**
   * DESIGN step 4: runs each broker with the teardown journal as its undo recorder, records a
   * {@code credential.issued} event per credential (fingerprint, never the value), and prepares
   * what the agent sees. A broker that fails has already revoked its own creations; the caller's
   * teardown replays the journal for the other brokers' (exit 122).
   */
  void issue() {
    if (plan.isEmpty()) {
      return;
    }
    live.revocation = plan.revocationContext();
    UndoRecorder undo = journalRecorder();
    List<IssuedCredential> issued = new java.util.ArrayList<>();
    for (CredentialBroker broker : plan.brokers()) {
      List<IssuedCredential> batch = broker.issue(undo);
      issued.addAll(batch);
      batch.forEach(c -> sessionSecrets.add(c.value()));
      masker = new SecretMasker(sessionSecrets);
      for (IssuedCredential c : batch) {
        if (c.kind().equals("github-token")) {
          agentApiBinding.githubTokenIssued(c.value());
        }
        recordIssued(c.name(), c.kind(), c.value().fingerprint(), c.expiresAt());
      }
    }
    // A hand-off's Vault child token: its value stayed with the issuer, evidence still names it.
    for (CredentialHandoff.Withheld w : plan.withheld()) {
      recordIssued(w.name(), w.kind(), w.fingerprint(), w.expiresAt());
    }
    exposeCredentials(issued);
  }

  private void recordIssued(String name, String kind, String fingerprint, java.util.Optional<Instant> expiresAt) {
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("name", name);
    data.put("kind", kind);
    data.put("fingerprint", fingerprint);
    data.put("expires_at", expiresAt.map(Instant::toString).orElse(null));
    data.put("scope", plan.scope(name, kind));
    events.accept(EventType.CREDENTIAL_ISSUED.wireName(), data);
  }

  /**
   * The teardown journal, as the brokers' undo recorder. An undo a broker ran itself (its rollback of
   * a failed issue) is marked done, so teardown does not run it again with a login that rollback
   * already revoked.
   */
  private UndoRecorder journalRecorder() {
    return new UndoRecorder() {
      @Override
      public int register(String step, Map<String, ?> handle) {
        return journal.register(step, handle);
      }

      @Override
      public void completed(int id) {
        journal.complete(id, "ok", 1, null);
      }

      @Override
      public void updateHandle(int id, Map<String, ?> handle) {
        journal.updateHandle(id, handle);
        Object token = handle.get("token");
        if (token != null) {
          githubTokenEntries.put(Secret.of(token.toString()).fingerprint(), id);
        }
      }
    };
  }

  /** A token replaced by a refresh was revoked: its undo is done. */
  /** A refreshed GitHub token is masked from now on, in events too, like the one issued at open. */
  private void githubTokenRefreshed(Secret fresh) {
    synchronized (sessionSecrets) { // on an agent API worker: the only change to the list once the agent runs
      sessionSecrets.add(fresh);
      masker = new SecretMasker(sessionSecrets);
    }
  }

  private void githubTokenRevoked(Secret old) {
    Integer id = githubTokenEntries.remove(old.fingerprint());
    if (id != null) {
      journal.complete(id, "ok", 1, null);
    }
  }

  /**
   * Starts the agent API when the agent may need it (a GitHub token to refresh, secrets served on
   * request): reachable only through the gateway, as {@code taskbound.internal}, with a per-session
   * capability. Its stop is journalled first.
   */
  void startAgentApi(List<EgressRule> allow, Map<String, String> pins) {
    startAgentApi(allow, pins, dev.taskbound.core.gate.HookHandler.NONE);
  }

  /** The teardown begins: no token is refreshed from now on, and one under way is journalled first. */
  void stopRefreshes() {
    agentApiBinding.stopRefreshes();
  }

  /** Issue 16: {@code approve} verdicts on the agent API's actions wait for a person on {@code broker}. */
  void approvals(dev.taskbound.core.gate.ApprovalBroker broker) {
    agentApiBinding.approvals(broker);
  }

  /** As above, with {@code hooks} serving the agent's hooks ({@code gate.hooks}, docs/hooks.md). */
  void startAgentApi(List<EgressRule> allow, Map<String, String> pins, dev.taskbound.core.gate.HookHandler hooks) {
    if (!plan.needsAgentApi()) {
      return;
    }
    journal.register(TeardownRunner.STOP_AGENT_API, Map.of());
    AgentApi api = agentApiBinding.start(plan.github(), journalRecorder(), hooks);
    live.agentApi = api;
    allow.add(EgressRule.parse(api.allowRule()));
    pins.putAll(api.hostPin());
    credentialEnv.putAll(api.agentEnvironment());
    sessionSecrets.add(api.capability());
    sessionSecrets.add(api.hookCapability());
    masker = new SecretMasker(sessionSecrets);
    events.accept(EventType.AGENT_API_STARTED.wireName(), Map.of("url", api.agentUrl()));
  }

  /**
   * Issue 15: credentials for hosts the gateway inspects are shown to the agent as placeholders,
   * which the gateway replaces on the way to their hosts; the real values never enter the sandbox.
   * Called before {@link #issue()}.
   */
  void injectInto(dev.taskbound.core.egress.InjectedCredentials credentials, java.util.Set<String> hosts,
      java.util.Set<String> githubHosts) {
    this.injected = credentials;
    this.inspectedHosts = java.util.Set.copyOf(hosts);
    this.githubHosts = java.util.Set.copyOf(githubHosts);
  }

  /** The GitHub API the token is used at (App source or hand-off); empty without a GitHub source. */
  java.util.Optional<java.net.URI> githubApi() {
    return plan.githubApi();
  }

  /** The hosts the GitHub token is used on (github.com's, or a GitHub Enterprise host). */
  private java.util.Set<String> githubHosts = GITHUB_HOSTS;

  /** The GitHub hosts a GitHub token is used on. */
  static final java.util.Set<String> GITHUB_HOSTS = java.util.Set.of("github.com", "api.github.com", "uploads.github.com");

  /** The placeholder for {@code value} when it belongs to inspected hosts, else {@code null}. */
  private String placeholderFor(Secret value, java.util.Set<String> hosts) {
    java.util.Set<String> bound = new java.util.TreeSet<>(hosts);
    bound.retainAll(inspectedHosts);
    if (bound.isEmpty() || injected == dev.taskbound.core.egress.InjectedCredentials.NONE) {
      return null;
    }
    return injected.bind(bound, "", value);
  }

  /** Environment variables and 0600 files per policy; on-request secrets stay in memory only. */
  private void exposeCredentials(List<IssuedCredential> issued) {
    Map<String, Secret> files = new java.util.TreeMap<>();
    List<String> injectedNames = new java.util.ArrayList<>();
    for (IssuedCredential c : issued) {
      if (plan.onRequest(c.name())) {
        onRequest.put(c.name(), c.value());
        continue;
      }
      String placeholder = c.kind().equals("github-token") ? placeholderFor(c.value(), githubHosts) : null;
      if (placeholder != null) {
        String real = c.value().reveal();
        injectedNames.add(c.name());
        agentApiBinding.githubTokenInjected(injected, placeholder);
        c.environment().forEach((k, v) -> credentialEnv.put(k, v.replace(real, placeholder)));
        c.files().forEach((k, v) -> files.put(k, Secret.of(v.reveal().replace(real, placeholder))));
        continue;
      }
      credentialEnv.putAll(c.environment());
      files.putAll(c.files());
    }
    if (!files.isEmpty()) {
      Path dir = layout.credentialsDir();
      // The scrub is journalled before the directory exists, so no file outlives a crash unjournalled.
      journal.register(TeardownRunner.SCRUB_CREDENTIALS, Map.of("dir", dir.toString()));
      try {
        Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      } catch (IOException e) {
        throw new SessionException("cannot create the credentials directory " + dir + ": " + e.getMessage(),
            ExitCodes.CREDENTIALS, e);
      }
      files.forEach((name, content) -> {
        Path target = dir.resolve(name).normalize();
        if (!dir.equals(target.getParent())) {
          // Brokers and the hand-off give plain names; anything else would land outside the scrubbed directory.
          throw new SessionException("the credential file name " + dev.taskbound.core.SafeText.quoted(name)
              + " is not one name inside " + dir, ExitCodes.CREDENTIALS);
        }
        Session.writePrivate(target, content.reveal());
      });
      credentialEnv.put("TASKBOUND_CREDENTIALS_DIR", dir.toString());
      if (files.containsKey(GithubBroker.GITCONFIG_FILE)) {
        // git reads the credential helper from an include, so the token is never in a URL or config.
        RegistryFiles.includeGitConfig(credentialEnv, dir.resolve(GithubBroker.GITCONFIG_FILE));
      }
    }
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("environment", List.copyOf(credentialEnv.keySet()));
    data.put("files", List.copyOf(files.keySet()));
    data.put("on_request", List.copyOf(onRequest.keySet()));
    if (!injectedNames.isEmpty()) {
      data.put("injected", List.copyOf(injectedNames)); // the agent holds placeholders for these
    }
    events.accept(EventType.CREDENTIALS_EXPOSED.wireName(), data);
  }

  /**
   * Issue 4: the registry presets' client configuration in a 0700 directory the agent sees, its
   * removal journalled first (paths only); the clients are pointed at it by environment.
   */
  void writeRegistryConfig() {
    if (registries.isEmpty()) {
      return;
    }
    sessionSecrets.addAll(RegistryFiles.secrets(registries));
    masker = new SecretMasker(sessionSecrets);
    Path dir = layout.registriesDir();
    List<String> candidates = RegistryFiles.FILE_NAMES.stream().map(n -> dir.resolve(n).toString()).toList();
    journal.register(TeardownRunner.REMOVE_REGISTRY_CONFIG, Map.of("dir", dir.toString(), "files", candidates));
    try {
      Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    } catch (IOException e) {
      throw new SessionException("cannot create the registry configuration directory " + dir + ": " + e.getMessage(),
          ExitCodes.CREDENTIALS, e);
    }
    // No Maven <proxies>: the netns forwarder's port is chosen only when the sandbox starts; Maven
    // takes the proxy from the JAVA_TOOL_OPTIONS the sandbox sets.
    List<String> injectedRegistries = new java.util.ArrayList<>();
    List<RegistrySpec> written = registries.stream().map(spec -> withPlaceholder(spec, injectedRegistries)).toList();
    List<Path> files = RegistryConfig.write(dir, written);
    credentialEnv.putAll(RegistryConfig.environment(files));
    files.stream().filter(f -> f.getFileName().toString().equals(RegistryConfig.GITCONFIG)).findFirst()
        .ifPresent(f -> RegistryFiles.includeGitConfig(credentialEnv, f));
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("registries", registries.stream().map(r -> r.kind()).toList());
    data.put("files", files.stream().map(f -> f.getFileName().toString()).toList());
    if (!injectedRegistries.isEmpty()) {
      data.put("injected", injectedRegistries);
    }
    events.accept(EventType.REGISTRIES_CONFIGURED.wireName(), data);
  }

  /**
   * Issue 15: each model API key is bound to its host and header in the gateway; the agent gets the
   * placeholder in the key's variable. Recorded as {@code credentials.exposed} with the variables'
   * names and {@code injected} (names only).
   */
  void injectModelKeys(List<ModelKeys.ModelKey> keys) {
    if (keys.isEmpty()) {
      return;
    }
    List<String> names = new java.util.ArrayList<>();
    for (ModelKeys.ModelKey k : keys) {
      sessionSecrets.add(k.key());
      credentialEnv.put(k.variable(), injected.bind(java.util.Set.of(k.host()), k.header(), k.key()));
      names.add(k.variable());
    }
    masker = new SecretMasker(sessionSecrets);
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("environment", List.copyOf(names));
    data.put("files", List.of());
    data.put("on_request", List.of());
    data.put("injected", List.copyOf(names));
    events.accept(EventType.CREDENTIALS_EXPOSED.wireName(), data);
  }

  /**
   * {@code spec} as its files are written: the token of a registry on an inspected host replaced by
   * its placeholder (its kind added to {@code injected}), so the files never hold the real value in
   * any form (pip.conf URL-encodes the password, settings.xml escapes it); else {@code spec} itself.
   */
  private RegistrySpec withPlaceholder(RegistrySpec spec, List<String> injected) {
    if (spec instanceof RegistrySpec.Npm n && n.token().isPresent()) {
      return placeholderOn(n.registry(), n.token().get(), spec, injected)
          .<RegistrySpec>map(p -> new RegistrySpec.Npm(n.registry(), n.scope(), java.util.Optional.of(p))).orElse(spec);
    }
    if (spec instanceof RegistrySpec.Pypi p && p.credentials().isPresent()) {
      RegistrySpec.Credentials c = p.credentials().get();
      return placeholderOn(p.indexUrl(), c.password(), spec, injected).<RegistrySpec>map(ph -> new RegistrySpec.Pypi(
          p.indexUrl(), java.util.Optional.of(new RegistrySpec.Credentials(c.username(), ph)))).orElse(spec);
    }
    if (spec instanceof RegistrySpec.Maven m && m.credentials().isPresent()) {
      RegistrySpec.Credentials c = m.credentials().get();
      return placeholderOn(m.url(), c.password(), spec, injected).<RegistrySpec>map(ph -> new RegistrySpec.Maven(m.id(),
          m.url(), m.mirrorOf(), java.util.Optional.of(new RegistrySpec.Credentials(c.username(), ph)))).orElse(spec);
    }
    return spec;
  }

  private java.util.Optional<Secret> placeholderOn(java.net.URI url, Secret value, RegistrySpec spec, List<String> injected) {
    if (url.getHost() == null) {
      return java.util.Optional.empty();
    }
    String placeholder = placeholderFor(value, java.util.Set.of(url.getHost().toLowerCase(java.util.Locale.ROOT)));
    if (placeholder == null) {
      return java.util.Optional.empty();
    }
    injected.add(spec.kind());
    return java.util.Optional.of(Secret.of(placeholder));
  }

  /**
   * The value of an {@code access: on-request} secret, for the gateway's secret endpoint. Each call
   * records {@code secret.accessed} with the name and fingerprint.
   *
   * @throws SessionException (exit 122) if the policy serves no on-request secret of that name
   */
  Secret onRequestSecret(String name) {
    Decision decision = agentApiBinding.decide(new AccessRequest(AccessAction.SECRET_READ, String.valueOf(name)));
    if (!(decision instanceof Decision.Allow)) {
      String why = decision instanceof Decision.Deny d ? d.reason() : ((Decision.NeedsApproval) decision).reason();
      events.accept(EventType.SECRET_DENIED.wireName(), Map.of("name", String.valueOf(name), "detail", why));
      throw new SessionException("the on-request secret '" + name + "' is refused: " + why, ExitCodes.CREDENTIALS);
    }
    Secret secret;
    synchronized (onRequest) {
      secret = onRequest.get(name);
    }
    if (secret == null) {
      events.accept(EventType.SECRET_DENIED.wireName(), Map.of("name", String.valueOf(name)));
      throw new SessionException("no on-request secret named '" + name + "' in this session; available: "
          + (onRequest.isEmpty() ? "none" : String.join(", ", onRequestSecretNames())), ExitCodes.CREDENTIALS);
    }
    events.accept(EventType.SECRET_ACCESSED.wireName(), Map.of("name", name, "fingerprint", secret.fingerprint()));
    return secret;
  }

  /** The names of the secrets the policy serves on request, in policy order. */
  List<String> onRequestSecretNames() {
    synchronized (onRequest) {
      return List.copyOf(onRequest.keySet());
    }
  }

  /** Masks every secret this session issued (and any GitHub token) in text the host prints. */
  SecretMasker masker() {
    return masker;
  }
}
