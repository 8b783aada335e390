package dev.taskbound.core.policy;

import dev.taskbound.core.egress.EgressRule;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The effective values while layers are merged, each with where it came from, and the narrowing
 * checks a layer must pass to be applied. Starts as the built-in default ceiling, whose limits are
 * looser than its values ("open"); once an org Ceiling is applied (or any layer under the built-in
 * ceiling), every current value is also the limit for the layers below. Mutable, confined to one
 * {@link PolicyResolver#resolve} call.
 */
final class Narrowing {
  /** The longest TTL anything may ask for. */
  static final Duration MAX_TTL = Duration.ofHours(8);
  static final Duration DEFAULT_TTL = Duration.ofHours(1);
  static final String DEFAULT_TRUST_DOMAIN = "taskbound.local";
  static final String DEFAULT_AUDIENCE = "taskbound";
  static final List<SandboxBackend> DEFAULT_BACKENDS = List.of(SandboxBackend.NETNS, SandboxBackend.CONTAINER);

  private Provenance ceiling = Provenance.BUILT_IN;
  /** True while the values are the built-in default ceiling's and its looser limits apply. */
  private boolean open = true;

  private Located<String> trustDomain = Located.builtIn(DEFAULT_TRUST_DOMAIN, "identity.trustDomain");
  private Located<String> audience = Located.builtIn(DEFAULT_AUDIENCE, "identity.audience");
  /** The audiences a lower layer may pick; only meaningful when not open. */
  private Located<List<Located<String>>> audiences = builtInList(List.of(DEFAULT_AUDIENCE), "identity.audiences");
  private Located<Duration> ttl = Located.builtIn(DEFAULT_TTL, "ttl");
  private Located<List<Located<SandboxBackend>>> backends = builtInList(DEFAULT_BACKENDS, "sandbox.backends");
  private Located<Enforcement> enforcement = Located.builtIn(Enforcement.STRICT, "sandbox.enforcement");
  private Located<List<Located<EgressRule>>> allow = builtInList(List.of(), "egress.allow");
  private Located<List<Located<EgressRule>>> deny = builtInList(List.of(), "egress.deny");
  private Located<Map<String, Located<String>>> hosts = Located.builtIn(Map.of(), "egress.hosts");
  private Located<Boolean> allowPrivate = Located.builtIn(false, "egress.allowPrivate");
  private Located<List<Located<String>>> repositories = builtInList(List.of(), "github.repositories");
  private Located<Map<String, Located<Permission>>> permissions = Located.builtIn(Map.of(), "github.permissions");
  private Located<List<Located<GateRule>>> gateRules = builtInList(List.of(), "gate.rules");
  private Located<List<Located<String>>> vaultPolicies = builtInList(List.of(), "vault.policies");
  private Located<Duration> vaultTtl;
  private Located<Long> vaultNumUses;
  /** {@code evidence.signer}: the Ceiling's only (the binder refuses it below), never narrowed away. */
  private Located<EvidenceSigner> signer;
  private Located<List<Located<VaultSecretPolicy>>> vaultSecrets = builtInList(List.of(), "vault.secrets");
  private Located<List<Located<RegistryPolicy>>> registries = builtInList(List.of(), "registries");
  private Located<Integer> pids = Located.builtIn(SandboxLimits.DEFAULT_PIDS, "sandbox.limits.pids");
  /** {@code null}: no memory limit. */
  private Located<Long> memory;
  /** {@code null}: the Docker daemon's default runtime. */
  private Located<String> containerRuntime;
  private Located<List<Located<String>>> inspect = builtInList(List.of(), "egress.inspect");
  private ConfinementNarrowing confinement = new ConfinementNarrowing();
  private Located<PromptRecording> prompts = Located.builtIn(HookPolicy.DEFAULT.prompts(), "gate.prompts");
  private List<Located<ToolRule>> tools = List.of();
  private List<Located<String>> hookAgents = List.of();
  /** {@code spec.regulated: true} and where; null when no layer set it true. */
  private Located<Boolean> regulated;
  private Located<Duration> approvalTimeout = Located.builtIn(ApprovalPolicy.DEFAULT_TIMEOUT, "gate.approval.timeout");
  private Located<List<Located<String>>> approvalEnvironments = builtInList(List.of(), "gate.approval.environments");

  private static <T> Located<List<Located<T>>> builtInList(List<T> values, String field) {
    List<Located<T>> items = new ArrayList<>();
    for (int i = 0; i < values.size(); i++) {
      items.add(Located.builtIn(values.get(i), field + "[" + i + "]"));
    }
    return Located.builtIn(Collections.unmodifiableList(items), field);
  }

  /** A copy, so each profile can be checked against the same ceiling independently. */
  Narrowing copy() {
    Narrowing c = new Narrowing();
    c.ceiling = ceiling;
    c.open = open;
    c.trustDomain = trustDomain;
    c.audience = audience;
    c.audiences = audiences;
    c.ttl = ttl;
    c.backends = backends;
    c.enforcement = enforcement;
    c.allow = allow;
    c.deny = deny;
    c.hosts = hosts;
    c.allowPrivate = allowPrivate;
    c.repositories = repositories;
    c.permissions = permissions;
    c.gateRules = gateRules;
    c.vaultPolicies = vaultPolicies;
    c.vaultTtl = vaultTtl;
    c.vaultNumUses = vaultNumUses;
    c.signer = signer;
    c.vaultSecrets = vaultSecrets;
    c.registries = registries;
    c.pids = pids;
    c.memory = memory;
    c.containerRuntime = containerRuntime;
    c.inspect = inspect;
    c.confinement = confinement.copy();
    c.prompts = prompts;
    c.tools = tools;
    c.hookAgents = hookAgents;
    c.regulated = regulated;
    c.approvalTimeout = approvalTimeout;
    c.approvalEnvironments = approvalEnvironments;
    return c;
  }

  /** Applies the org Ceiling: checked against the built-in limits, then its values become the limits. */
  void applyCeiling(Provenance at, Layer layer) {
    apply(layer);
    ceiling = at;
    if (layer.audiences() == null && layer.audience() == null) {
      audiences = singleton(audience);
    }
    open = false;
  }

  /** Applies a profile or Task layer, which must only narrow the current values. */
  void apply(Layer layer) {
    refuseSwitchingOffRegulated(layer.hooks().regulated());
    if (layer.trustDomain() != null) {
      trustDomain = layer.trustDomain();
    }
    applyAudience(layer);
    applyTtl(layer.ttl());
    applySandbox(layer);
    applyLimits(layer);
    applyContainerRuntime(layer.containerRuntime());
    applyEgress(layer);
    applyAllowPrivate(layer.allowPrivate());
    applyGithub(layer);
    applyGate(layer.gateRules());
    applyHooks(layer.hooks());
    applyVault(layer.vault());
    applyRegistries(layer.registries());
    if (layer.inspect() != null) {
      // Inspecting more is narrower: a layer adds hosts, never drops one inherited (InspectHosts).
      inspect = new Located<>(InspectHosts.union(inspect.value(), layer.inspect().value()), layer.inspect().at(),
          layer.inspect().field());
    }
    if (layer.signer() != null) {
      signer = layer.signer();
    }
    confinement.apply(layer.confinement(), open, ceiling);
    applyRegulated(layer.hooks().regulated(), layer.hooks().prompts());
    // Whatever this layer set is now the limit for the layers below it.
    open = false;
  }

  private void applyAudience(Layer layer) {
    if (layer.audiences() != null) {
      // Ceiling only (the binder refuses it elsewhere); the built-in ceiling accepts any list, a
      // Ceiling under another (a repository's) only audiences the one above still allows.
      if (!open) {
        layer.audiences().value().forEach(this::requireAllowedAudience);
      }
      audiences = layer.audiences();
      if (layer.audience() == null) {
        audience = layer.audiences().value().get(0);
      }
    }
    Located<String> a = layer.audience();
    if (a == null) {
      return;
    }
    // A Ceiling's own audience must be one of its audiences; below it, one of the ceiling's.
    if (layer.audiences() != null || !open) {
      requireAllowedAudience(a);
    }
    audience = a;
    audiences = singleton(a);
  }

  /** {@code a} must be one of the audiences the layers so far allow. */
  private void requireAllowedAudience(Located<String> a) {
    if (audiences.value().stream().noneMatch(x -> x.value().equals(a.value()))) {
      throw widens(a, a.value(), limitAt(audiences) + " allows " + join(audiences.value(), Function.identity()));
    }
  }

  private static <T> Located<List<Located<T>>> singleton(Located<T> value) {
    return new Located<>(List.of(value), value.at(), value.field());
  }

  private void applyTtl(Located<Duration> t) {
    if (t == null) {
      return;
    }
    Located<Duration> limit = open ? Located.builtIn(MAX_TTL, "ttl") : ttl;
    if (t.value().compareTo(limit.value()) > 0) {
      throw widens(t, DurationFormat.format(t.value()),
          limitAt(limit) + " allows at most " + DurationFormat.format(limit.value()));
    }
    ttl = t;
  }

  private void applySandbox(Layer layer) {
    Located<Enforcement> e = layer.enforcement();
    if (e != null) {
      if (!open && e.value() == Enforcement.COOPERATIVE && enforcement.value() == Enforcement.STRICT) {
        throw widens(e, "cooperative", limitAt(enforcement) + " allows only strict");
      }
      enforcement = e;
    }
    Located<List<Located<SandboxBackend>>> b = layer.backends();
    if (b != null) {
      if (!open) {
        for (Located<SandboxBackend> item : b.value()) {
          if (backends.value().stream().noneMatch(x -> x.value() == item.value())) {
            throw widens(item, item.value().yamlName(),
                limitAt(backends) + " allows " + join(backends.value(), SandboxBackend::yamlName));
          }
        }
      }
      backends = b;
    }
    if (enforcement.value() == Enforcement.STRICT) {
      refuseProxyUnderStrict(b != null);
    }
  }

  /** A limit only goes down: a lower layer may ask for fewer pids or less memory, never more. */
  private void applyLimits(Layer layer) {
    Located<Integer> p = layer.pids();
    if (p != null) {
      if (!open && p.value() > pids.value()) {
        throw widens(p, p.value().toString(), limitAt(pids) + " allows at most " + pids.value());
      }
      pids = p;
    }
    Located<Long> m = layer.memory();
    if (m != null) {
      if (!open && memory != null && m.value() > memory.value()) {
        throw widens(m, SandboxLimits.formatMemory(m.value()),
            limitAt(memory) + " allows at most " + SandboxLimits.formatMemory(memory.value()));
      }
      memory = m;
    }
  }

  /**
   * Below the built-in ceiling, only the runtime an upper layer names: a runtime decides how the
   * agent container is isolated, so a lower layer cannot pick one the ceiling did not.
   */
  private void applyContainerRuntime(Located<String> r) {
    if (r == null) {
      return;
    }
    if (!open && (containerRuntime == null || !containerRuntime.value().equals(r.value()))) {
      throw widens(r, r.value(), containerRuntime == null
          ? ceiling + " names no runtime (the daemon's default); accepted: leave sandbox.container.runtime unset,"
              + " or name it in the Ceiling"
          : limitAt(containerRuntime) + " allows only " + containerRuntime.value());
    }
    containerRuntime = r;
  }

  /**
   * {@code proxy} is not isolation, so it cannot serve {@code strict}. A list this layer wrote is an
   * error; an inherited one loses {@code proxy} (which only narrows it).
   */
  private void refuseProxyUnderStrict(boolean listedHere) {
    List<Located<SandboxBackend>> kept = new ArrayList<>();
    for (Located<SandboxBackend> item : backends.value()) {
      if (item.value() != SandboxBackend.PROXY) {
        kept.add(item);
      } else if (listedHere) {
        throw new PolicyException(item.where() + ": proxy requires enforcement: cooperative, but enforcement is"
            + " strict (" + enforcement.at() + "); accepted with strict: netns, container");
      }
    }
    if (kept.isEmpty()) {
      throw new PolicyException(enforcement.where() + ": strict leaves no sandbox backend, since the inherited"
          + " backends (" + backends.at() + ") are only proxy; accepted: also set sandbox.backends to netns or"
          + " container");
    }
    if (kept.size() != backends.value().size()) {
      backends = new Located<>(Collections.unmodifiableList(kept), backends.at(), backends.field());
    }
  }

  private void applyEgress(Layer layer) {
    Located<List<Located<EgressRule>>> a = layer.allow();
    if (a != null) {
      if (!open) {
        // O(U + L·k) through the index rather than O(U·L) (see EgressCoverIndex).
        EgressCoverIndex upper = EgressCoverIndex.of(allow.value());
        for (Located<EgressRule> rule : a.value()) {
          if (!upper.covers(rule.value())) {
            throw widens(rule, rule.value().toString(), allow.value().isEmpty()
                ? limitAt(allow) + " allows no egress"
                : "no rule of " + limitAt(allow) + " covers it; allowed: " + join(allow.value(), EgressRule::toString));
          }
        }
      }
      allow = distinct(a);
    }
    Located<List<Located<EgressRule>>> d = layer.deny();
    if (d != null) {
      // Denies only ever add up.
      List<Located<EgressRule>> union = new ArrayList<>(deny.value());
      union.addAll(d.value());
      deny = distinct(new Located<>(union, d.at(), d.field()));
    }
    Located<Map<String, Located<String>>> h = layer.hosts();
    if (h != null) {
      if (!open) {
        for (Map.Entry<String, Located<String>> e : h.value().entrySet()) {
          String name = e.getKey();
          Located<String> pin = e.getValue();
          Located<String> upper = hosts.value().get(name);
          if (upper == null || !upper.value().equals(pin.value())) {
            throw widens(pin, pin.value(), upper == null
                ? limitAt(hosts) + " pins no address for " + name + "; accepted: only pins the ceiling sets identically"
                : limitAt(upper) + " pins " + name + " to " + upper.value());
          }
        }
        // A pin holds below the layer that set it (without it the name goes to public DNS): the
        // layer's restated pins join the upper ones, never replace them.
        Map<String, Located<String>> kept = new LinkedHashMap<>(hosts.value());
        kept.putAll(h.value());
        hosts = new Located<>(Collections.unmodifiableMap(kept), h.at(), h.field());
        return;
      }
      hosts = h;
    }
  }

  /** {@code egress.allowPrivate}: false is narrower; true below a layer that did not allow it widens. */
  private void applyAllowPrivate(Located<Boolean> a) {
    if (a == null) {
      return;
    }
    if (!open && a.value() && !allowPrivate.value()) {
      throw widens(a, "true", limitAt(allowPrivate) + " allows only false");
    }
    allowPrivate = a;
  }

  private void applyGithub(Layer layer) {
    Located<List<Located<String>>> r = layer.repositories();
    if (r != null) {
      if (!open) {
        Set<String> upper = new HashSet<>();
        repositories.value().forEach(u -> upper.add(u.value()));
        for (Located<String> repo : r.value()) {
          if (!upper.contains(repo.value()) && !upper.contains(ownerWildcard(repo.value()))) {
            throw widens(repo, repo.value(), repositories.value().isEmpty()
                ? limitAt(repositories) + " allows no repository"
                : limitAt(repositories) + " allows " + join(repositories.value(), Function.identity()));
          }
        }
      }
      repositories = distinct(r);
    }
    Located<Map<String, Located<Permission>>> p = layer.permissions();
    if (p != null) {
      if (!open) {
        for (Map.Entry<String, Located<Permission>> e : p.value().entrySet()) {
          Located<Permission> upper = permissions.value().get(e.getKey());
          Located<Permission> lower = e.getValue();
          if (upper == null) {
            throw widens(lower, lower.value().yamlName(), limitAt(permissions) + " grants no " + e.getKey()
                + " permission; grantable: " + (permissions.value().isEmpty() ? "none"
                : String.join(", ", permissions.value().keySet())));
          }
          if (lower.value().compareTo(upper.value()) > 0) {
            throw widens(lower, lower.value().yamlName(),
                limitAt(upper) + " allows at most " + upper.value().yamlName());
          }
        }
      }
      permissions = p;
    }
  }

  /** {@code owner/*} for {@code owner/name}: the only pattern besides itself that can cover a repository. */
  private static String ownerWildcard(String repository) {
    return repository.substring(0, repository.indexOf('/') + 1) + "*";
  }

  static boolean repositoryCovers(String upper, String lower) {
    if (upper.equals(lower)) {
      return true;
    }
    return upper.endsWith("/*") && lower.startsWith(upper.substring(0, upper.length() - 1));
  }

  /**
   * {@code gate.hooks} add up (a layer installs more hooks, never fewer);
   * {@code gate.prompts} may only record more ({@code off < hash < full}) than the layers above set;
   * {@code gate.tools} add up, and since the strictest matching decision wins a rule never loosens.
   */
  private void applyHooks(HookLayer hooks) {
    if (hooks.agents() != null) {
      List<Located<String>> all = new ArrayList<>(hookAgents);
      for (Located<String> a : hooks.agents().value()) {
        if (all.stream().noneMatch(x -> x.value().equals(a.value()))) {
          all.add(a);
        }
      }
      hookAgents = List.copyOf(all);
    }
    if (hooks.prompts() != null) {
      Located<PromptRecording> lower = hooks.prompts();
      // Below a Ceiling the built-in value is a limit too (docs/policy.md): one that omits it keeps it.
      if (lower.value().compareTo(prompts.value()) < 0 && !open) {
        throw new PolicyException(lower.where() + ": " + lower.value().yamlName() + " records less than "
            + prompts.value().yamlName() + " (" + (prompts.at().isBuiltIn() ? limitAt(prompts) : prompts.where())
            + "); accepted: " + prompts.value().yamlName()
            + " or more (off < hash < full)");
      }
      prompts = lower;
    }
    if (hooks.tools() != null) {
      List<Located<ToolRule>> all = new ArrayList<>(tools);
      all.addAll(hooks.tools().value());
      tools = List.copyOf(all);
    }
    applyApproval(hooks.approval());
  }

  /**
   * {@code gate.approval.timeout} may only shorten (a person gets less time, the agent waits less);
   * {@code gate.approval.environments} may only name fewer of the environments set above; below an
   * upper layer the built-in "none" is a limit too (an environment's protection rules become
   * approvals, so only the top layer grants that: the org Ceiling when there is one, as regulated
   * work always has).
   */
  private void applyApproval(ApprovalLayer a) {
    if (a.timeout() != null) {
      if (a.timeout().value().compareTo(approvalTimeout.value()) > 0 && !open) {
        throw widens(a.timeout(), DurationFormat.format(a.timeout().value()),
            limitAt(approvalTimeout) + " allows at most " + DurationFormat.format(approvalTimeout.value()));
      }
      approvalTimeout = a.timeout();
    }
    if (a.environments() != null) {
      if (!open) {
        for (Located<String> e : a.environments().value()) {
          if (approvalEnvironments.value().stream().noneMatch(x -> x.value().equals(e.value()))) {
            throw widens(e, e.value(), limitAt(approvalEnvironments) + " allows "
                + (approvalEnvironments.value().isEmpty() ? "none" : join(approvalEnvironments.value(), Function.identity())));
          }
        }
      }
      approvalEnvironments = a.environments();
    }
  }

  private void refuseSwitchingOffRegulated(Located<Boolean> r) {
    if (r != null && !r.value() && regulated != null) {
      throw new PolicyException(r.where() + ": false would switch off regulated work (" + regulated.where()
          + ": true); accepted: true or none");
    }
  }

  /**
   * {@code regulated: true} tightens what this layer leaves: prompts recorded in full, the container
   * backend only, approve at least for each write action. Values this layer set itself that fall
   * short are refused, naming the field; those below are refused by the ordinary narrowing checks.
   */
  private void applyRegulated(Located<Boolean> r, Located<PromptRecording> ownPrompts) {
    if (r == null || !r.value()) {
      return;
    }
    regulated = r;
    String requires = " falls short of regulated work (" + r.where() + ": true requires ";
    if (ownPrompts != null && ownPrompts.value() != PromptRecording.FULL) {
      throw new PolicyException(ownPrompts.where() + ": " + ownPrompts.value().yamlName() + requires + "full); accepted: full");
    }
    if (prompts.value() != PromptRecording.FULL) {
      prompts = new Located<>(PromptRecording.FULL, r.at(), r.field().replace("regulated", "gate.prompts") + " (regulated: true)");
    }
    if (backends.value().stream().noneMatch(b -> b.value() == SandboxBackend.CONTAINER)) {
      throw new PolicyException(backends.where() + ": " + join(backends.value(), SandboxBackend::yamlName) + requires
          + "the container backend); accepted: a list with container");
    }
    String backendField = r.field().replace("regulated", "sandbox.backends");
    backends = new Located<>(List.of(new Located<>(SandboxBackend.CONTAINER, r.at(), backendField + "[0]")), r.at(),
        backendField + " (regulated: true)");
    List<Located<GateRule>> approve = Regulated.approveRules(gateRules.value(), r);
    if (!approve.isEmpty()) {
      Map<String, Located<GateRule>> merged = new LinkedHashMap<>();
      gateRules.value().forEach(g -> merged.put(g.value().action(), g));
      approve.forEach(a -> merged.put(a.value().action(), a));
      gateRules = new Located<>(List.copyOf(merged.values()), r.at(), gateRules.field());
    }
  }

  private void applyGate(Located<List<Located<GateRule>>> rules) {
    if (rules == null) {
      return;
    }
    // The upper rules by action; a lower action is covered only by itself, "*" and the "p.*" of
    // its dot prefixes, so each check is O(length of the action) lookups, not O(upper rules).
    Map<String, Located<GateRule>> upper = new LinkedHashMap<>();
    gateRules.value().forEach(u -> upper.put(u.value().action(), u));
    Map<String, Located<GateRule>> merged = new LinkedHashMap<>(upper);
    for (Located<GateRule> lower : rules.value()) {
      GateRule l = lower.value();
      if (!open) {
        Optional<Located<GateRule>> strictest = coveringActions(l.action()).stream()
            .map(upper::get)
            .filter(u -> u != null && GateRule.covers(u.value().action(), l.action()))
            .max((x, y) -> x.value().decision().compareTo(y.value().decision()));
        if (strictest.isEmpty() && l.decision() != GateDecision.DENY) {
          throw new PolicyException(lower.where() + ".decision: " + l.decision().yamlName() + " for " + l.action()
              + ", which the ceiling (" + limitAt(gateRules) + ") does not name; accepted for a new action: deny");
        }
        if (strictest.isPresent() && l.decision().compareTo(strictest.get().value().decision()) < 0) {
          Located<GateRule> u = strictest.get();
          throw new PolicyException(lower.where() + ".decision: " + l.decision().yamlName() + " loosens "
              + l.action() + " (" + limitAt(u) + " requires at least " + u.value().decision().yamlName() + " for "
              + u.value().action() + ")");
        }
      }
      merged.remove(l.action());
      merged.put(l.action(), lower);
    }
    gateRules = new Located<>(List.copyOf(merged.values()), rules.at(), rules.field());
  }

  /** The actions that may cover {@code action}: itself, {@code *} and {@code p.*} for each dot prefix p. */
  private static List<String> coveringActions(String action) {
    List<String> out = new ArrayList<>();
    out.add(action);
    out.add("*");
    for (int i = action.indexOf('.'); i >= 0; i = action.indexOf('.', i + 1)) {
      out.add(action.substring(0, i + 1) + "*");
    }
    return out;
  }

  /**
   * {@code spec.vault}: policies and secrets only from the upper layer's, the TTL no longer than
   * the upper's and the session's, no more uses, and an on-request secret stays on-request.
   */
  private void applyVault(Located<VaultLayer> v) {
    if (v == null) {
      return;
    }
    VaultLayer l = v.value();
    if (l.policies() != null) {
      if (!open) {
        Set<String> upper = new HashSet<>();
        vaultPolicies.value().forEach(u -> upper.add(u.value()));
        for (Located<String> p : l.policies().value()) {
          if (!upper.contains(p.value())) {
            throw widens(p, p.value(), vaultPolicies.value().isEmpty()
                ? limitAt(vaultPolicies) + " grants no Vault policy"
                : limitAt(vaultPolicies) + " grants " + join(vaultPolicies.value(), Function.identity()));
          }
        }
      }
      vaultPolicies = distinct(l.policies());
    }
    if (l.ttl() != null) {
      Located<Duration> t = l.ttl();
      if (!open && vaultTtl != null && t.value().compareTo(vaultTtl.value()) > 0) {
        throw widens(t, DurationFormat.format(t.value()),
            limitAt(vaultTtl) + " allows at most " + DurationFormat.format(vaultTtl.value()));
      }
      if (t.value().compareTo(ttl.value()) > 0) {
        throw new PolicyException(t.where() + ": " + DurationFormat.format(t.value()) + " is longer than the"
            + " session's ttl (" + DurationFormat.format(ttl.value()) + ", " + limitAt(ttl) + "); accepted: at most "
            + DurationFormat.format(ttl.value()));
      }
      vaultTtl = t;
    }
    if (l.numUses() != null) {
      Located<Long> n = l.numUses();
      if (!open && vaultNumUses != null && n.value() > vaultNumUses.value()) {
        throw widens(n, n.value().toString(), limitAt(vaultNumUses) + " allows at most " + vaultNumUses.value());
      }
      vaultNumUses = n;
    }
    if (l.secrets() != null) {
      if (!open) {
        // The first upper secret per (name, path, kind): one lookup per lower secret.
        Map<List<Object>, Located<VaultSecretPolicy>> upper = new HashMap<>();
        vaultSecrets.value().forEach(u -> upper.putIfAbsent(secretKey(u.value()), u));
        for (Located<VaultSecretPolicy> s : l.secrets().value()) {
          checkSecret(s, Optional.ofNullable(upper.get(secretKey(s.value()))));
        }
      }
      vaultSecrets = l.secrets();
    }
  }

  private static List<Object> secretKey(VaultSecretPolicy s) {
    return List.of(s.name(), s.path(), s.kind());
  }

  private void checkSecret(Located<VaultSecretPolicy> lower, Optional<Located<VaultSecretPolicy>> upper) {
    VaultSecretPolicy s = lower.value();
    if (upper.isEmpty()) {
      throw widens(lower, s.name() + " (" + s.kind().yamlName() + " " + s.path() + ")",
          vaultSecrets.value().isEmpty() ? limitAt(vaultSecrets) + " grants no Vault secret"
              : limitAt(vaultSecrets) + " grants " + join(vaultSecrets.value(),
                  u -> u.name() + " (" + u.kind().yamlName() + " " + u.path() + ")"));
    }
    VaultSecretPolicy u = upper.get().value();
    if (u.access() == VaultSecretPolicy.Access.ON_REQUEST && s.access() != VaultSecretPolicy.Access.ON_REQUEST) {
      throw new PolicyException(lower.where() + ".access: " + s.access().yamlName() + " widens the ceiling ("
          + limitAt(upper.get()) + " serves " + s.name() + " only on-request)");
    }
    // What the agent sees of the secret: one field (not the whole data object), wrapped (not the value).
    if (u.field().isPresent() && !u.field().equals(s.field())) {
      throw new PolicyException(lower.where() + ".field: " + s.field().map(f -> "'" + f + "'").orElse("none (the whole data object)")
          + " widens the ceiling (" + limitAt(upper.get()) + " exposes only field '" + u.field().get() + "' of " + s.name() + ")");
    }
    if (u.wrap().isPresent() && (s.wrap().isEmpty() || s.wrap().get().compareTo(u.wrap().get()) > 0)) {
      throw new PolicyException(lower.where() + ".wrap: " + s.wrap().map(DurationFormat::format).orElse("none (the value itself)")
          + " widens the ceiling (" + limitAt(upper.get()) + " serves " + s.name() + " only wrapped, for at most "
          + DurationFormat.format(u.wrap().get()) + ")");
    }
  }

  /**
   * {@code spec.registries}: each lower preset must be one of the upper layer's (same kind and url,
   * scope and id equal), with the same mirrorOf, a subset of its insteadOf prefixes, and the same
   * credential variable or none. An absent list inherits; a lower list replaces the upper one.
   */
  private void applyRegistries(Located<List<Located<RegistryPolicy>>> lower) {
    if (lower == null) {
      return;
    }
    if (!open) {
      for (Located<RegistryPolicy> r : lower.value()) {
        checkRegistry(r);
      }
    }
    registries = lower;
  }

  private void checkRegistry(Located<RegistryPolicy> lower) {
    RegistryPolicy r = lower.value();
    List<Located<RegistryPolicy>> sameUrl = registries.value().stream()
        .filter(u -> u.value().kind() == r.kind() && u.value().url().equals(r.url()))
        .collect(Collectors.toList());
    if (sameUrl.isEmpty()) {
      throw widens(lower, r.kind().yamlName() + " " + r.url(), registries.value().isEmpty()
          ? limitAt(registries) + " grants no registry"
          : limitAt(registries) + " grants " + join(registries.value(), RegistryPolicy::label));
    }
    Located<RegistryPolicy> upper = sameUrl.stream()
        .filter(u -> u.value().scope().equals(r.scope()) && u.value().id().equals(r.id()))
        .findFirst()
        .orElse(null);
    if (upper == null) {
      String key = r.kind() == RegistryPolicy.Kind.MAVEN ? "id" : "scope";
      String value = (key.equals("id") ? r.id() : r.scope()).orElse("(none)");
      throw new PolicyException(lower.where() + "." + key + ": " + value + " widens the ceiling ("
          + limitAt(sameUrl.get(0)) + " grants " + join(sameUrl, RegistryPolicy::label) + ")");
    }
    RegistryPolicy u = upper.value();
    if (!u.mirrorOf().equals(r.mirrorOf())) {
      throw new PolicyException(lower.where() + ".mirrorOf: " + r.mirrorOf().orElse("") + " widens the ceiling ("
          + limitAt(upper) + " mirrors " + u.mirrorOf().orElse("") + ")");
    }
    for (String prefix : r.insteadOf()) {
      if (!u.insteadOf().contains(prefix)) {
        throw new PolicyException(lower.where() + ".insteadOf: " + prefix + " widens the ceiling (" + limitAt(upper)
            + " rewrites " + String.join(", ", u.insteadOf()) + ")");
      }
    }
    if (r.tokenEnv().isPresent() && !r.tokenEnv().equals(u.tokenEnv())) {
      throw new PolicyException(lower.where() + ".token: env " + r.tokenEnv().get() + " widens the ceiling ("
          + limitAt(upper) + u.tokenEnv().map(e -> " reads the token from " + e).orElse(" gives no token") + ")");
    }
    if (!r.header().equals(u.header())) {
      throw new PolicyException(lower.where() + ".header: " + r.header().orElse("(none)") + " widens the ceiling ("
          + limitAt(upper) + " injects the key in " + u.header().orElse("(none)") + ")");
    }
    if (r.credentials().isPresent() && !r.credentials().equals(u.credentials())) {
      throw new PolicyException(lower.where() + ".credentials: " + r.credentials().get().username() + " with env "
          + r.credentials().get().passwordEnv() + " widens the ceiling (" + limitAt(upper) + u.credentials()
              .map(c -> " logs in as " + c.username() + " with env " + c.passwordEnv()).orElse(" gives no credentials")
          + ")");
    }
  }

  private static <T> Located<List<Located<T>>> distinct(Located<List<Located<T>>> list) {
    Map<T, Located<T>> seen = new LinkedHashMap<>();
    for (Located<T> item : list.value()) {
      seen.putIfAbsent(item.value(), item);
    }
    return new Located<>(List.copyOf(seen.values()), list.at(), list.field());
  }

  /**
   * Where a limit comes from. A built-in value under an org Ceiling (one the Ceiling omits) is
   * limited by the Ceiling, which says so.
   */
  private String limitAt(Located<?> limit) {
    return limit.at().isBuiltIn() && !ceiling.isBuiltIn()
        ? "built-in default under the Ceiling at " + ceiling
        : limit.at().toString();
  }

  private static PolicyException widens(Located<?> lower, String value, String limit) {
    return new PolicyException(lower.where() + ": " + value + " widens the ceiling (" + limit + ")");
  }

  /** The first {@link #JOIN_LIMIT} values, then how many more: a 20k-rule ceiling must not make a 1 MB message. */
  private static <T> String join(List<Located<T>> items, Function<T, String> show) {
    String shown = items.stream().limit(JOIN_LIMIT).map(i -> show.apply(i.value())).collect(Collectors.joining(", "));
    return items.size() > JOIN_LIMIT ? shown + " and " + (items.size() - JOIN_LIMIT) + " more" : shown;
  }

  private static final int JOIN_LIMIT = 10;

  /** The merged result. */
  EffectivePolicy toPolicy(Optional<Located<String>> profile) {
    if (regulated != null) {
      Regulated.check(regulated, signer, permissions.value(), permissions, registries.value(), inspect.value());
    }
    Map<String, Provenance> prov = new LinkedHashMap<>();
    if (regulated != null) {
      prov.put("regulated", regulated.at());
    }
    prov.put("ceiling", ceiling);
    prov.put("identity.trustDomain", trustDomain.at());
    prov.put("identity.audience", audience.at());
    prov.put("ttl", ttl.at());
    profile.ifPresent(p -> prov.put("profile", p.at()));
    prov.put("sandbox.backends", backends.at());
    prov.put("sandbox.enforcement", enforcement.at());
    prov.put("sandbox.limits.pids", pids.at());
    if (memory != null) {
      prov.put("sandbox.limits.memory", memory.at());
    }
    if (containerRuntime != null) {
      prov.put("sandbox.container.runtime", containerRuntime.at());
    }
    SandboxLimits limits = new SandboxLimits(java.util.OptionalInt.of(pids.value()),
        memory == null ? java.util.OptionalLong.empty() : java.util.OptionalLong.of(memory.value()));
    List<EgressRule> allowed = values(allow, "egress.allow", prov);
    List<EgressRule> denied = values(deny, "egress.deny", prov);
    prov.put("egress.hosts", hosts.at());
    prov.put("egress.allowPrivate", allowPrivate.at());
    Map<String, String> pins = new LinkedHashMap<>();
    hosts.value().forEach((name, ip) -> {
      pins.put(name, ip.value());
      prov.put("egress.hosts[" + name + "]", ip.at());
    });
    List<String> repos = values(repositories, "github.repositories", prov);
    prov.put("github.permissions", permissions.at());
    Map<String, Permission> perms = new LinkedHashMap<>();
    permissions.value().forEach((name, level) -> {
      perms.put(name, level.value());
      prov.put("github.permissions." + name, level.at());
    });
    List<GateRule> rules = values(gateRules, "gate.rules", prov);
    prov.put("gate.prompts", prompts.at());
    List<String> agents = new ArrayList<>();
    for (Located<String> a : hookAgents) {
      prov.put("gate.hooks[" + agents.size() + "]", a.at());
      agents.add(a.value());
    }
    List<ToolRule> toolRules = new ArrayList<>();
    for (Located<ToolRule> t : tools) {
      prov.put("gate.tools[" + toolRules.size() + "]", t.at());
      toolRules.add(t.value());
    }
    Optional<VaultPolicy> vault = vaultPolicy(prov);
    List<RegistryPolicy> regs = values(registries, "registries", prov);
    List<String> inspected = values(inspect, "egress.inspect", prov);
    return new EffectivePolicy(trustDomain.value(), audience.value(), ttl.value(), profile.map(Located::value),
        backends.value().stream().map(Located::value).collect(Collectors.toList()), enforcement.value(),
        allowed, denied, pins, allowPrivate.value(), repos, perms, rules, prov, vault, regs, limits,
        Optional.ofNullable(containerRuntime).map(Located::value), inspected,
        Optional.ofNullable(signer).map(sg -> {
          prov.put("evidence.signer", sg.at());
          return sg.value();
        }), confinement.toPolicy(prov), new HookPolicy(agents, prompts.value(), toolRules, approvalPolicy(prov),
            regulated != null));
  }


  private ApprovalPolicy approvalPolicy(Map<String, Provenance> prov) {
    if (!approvalTimeout.at().isBuiltIn()) {
      prov.put("gate.approval.timeout", approvalTimeout.at());
    }
    return new ApprovalPolicy(approvalTimeout.value(), values(approvalEnvironments, "gate.approval.environments", prov));
  }

  /** The merged {@code spec.vault}, empty when no layer granted a Vault policy or secret. */
  private Optional<VaultPolicy> vaultPolicy(Map<String, Provenance> prov) {
    if (vaultPolicies.value().isEmpty()) {
      if (!vaultSecrets.value().isEmpty()) {
        throw new PolicyException(vaultSecrets.where() + ": secrets need a Vault token to read them, but no"
            + " vault.policies is set; accepted: also set spec.vault.policies");
      }
      return Optional.empty();
    }
    List<String> policies = values(vaultPolicies, "vault.policies", prov);
    List<VaultSecretPolicy> secrets = values(vaultSecrets, "vault.secrets", prov);
    if (vaultTtl != null) {
      prov.put("vault.ttl", vaultTtl.at());
    }
    if (vaultNumUses != null) {
      prov.put("vault.numUses", vaultNumUses.at());
    }
    return Optional.of(new VaultPolicy(policies, Optional.ofNullable(vaultTtl).map(Located::value),
        vaultNumUses == null ? java.util.OptionalLong.empty() : java.util.OptionalLong.of(vaultNumUses.value()),
        secrets));
  }

  private static <T> List<T> values(Located<List<Located<T>>> list, String key, Map<String, Provenance> prov) {
    prov.put(key, list.at());
    List<T> out = new ArrayList<>();
    for (Located<T> item : list.value()) {
      prov.put(key + "[" + out.size() + "]", item.at());
      out.add(item.value());
    }
    return out;
  }
}
