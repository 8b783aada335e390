package dev.taskbound.core.policy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.taskbound.core.egress.EgressRule;
import dev.taskbound.core.egress.RuleSet;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The policy a session runs under: org ceiling ∩ profile ∩ task request (see {@link
 * PolicyResolver}), possibly narrowed further by command-line overrides. Immutable and thread-safe;
 * collections are unmodifiable copies.
 *
 * @param trustDomain the SPIFFE trust domain of the task identity
 * @param audience the single {@code aud} of the task identity
 * @param ttl the session's time to live, positive, at most 8h
 * @param profile the selected profile, if any
 * @param backends the sandbox backends allowed, in preference order; never empty; contains {@link
 *     SandboxBackend#PROXY} only when {@code enforcement} is {@link Enforcement#COOPERATIVE}
 * @param enforcement whether isolation must be kernel-enforced
 * @param allow egress allow rules (default-deny: nothing else is reachable)
 * @param deny egress deny rules, which beat allow rules
 * @param hosts static pins, canonical host name to IP literal (IPv6 without brackets)
 * @param allowPrivate {@code egress.allowPrivate}: allowed names may resolve to loopback, private,
 *     link-local and unique-local addresses (never metadata); pass it to
 *     {@code GatewayOptions.withAllowPrivateAddresses}
 * @param repositories GitHub repositories ({@code owner/name} lower case, or {@code owner/*})
 *     credentials may cover
 * @param permissions GitHub App permissions credentials may carry, by GitHub's permission name
 * @param gateRules runtime gate rules; for an action, the strictest matching rule applies
 * @param provenance where each value came from, by field path: {@code ceiling}, {@code
 *     identity.trustDomain}, {@code identity.audience}, {@code ttl}, {@code profile}, {@code
 *     sandbox.backends}, {@code sandbox.enforcement}, {@code egress.allow} and {@code
 *     egress.allow[i]}, {@code egress.deny} and {@code egress.deny[i]}, {@code egress.hosts} and
 *     {@code egress.hosts[name]}, {@code github.repositories} and {@code github.repositories[i]},
 *     {@code github.permissions} and {@code github.permissions.<name>}, {@code gate.rules} and
 *     {@code gate.rules[i]}, {@code vault.policies[i]}, {@code vault.ttl}, {@code vault.numUses},
 *     {@code vault.secrets[i]}
 * @param vault what the Vault broker may grant ({@code spec.vault}); empty when nothing
 * @param evidenceSigner the org signer that certifies the session's evidence key ({@code
 *     spec.evidence.signer}, the Ceiling's only); empty when none. Provenance key {@code
 *     evidence.signer}
 * @param registries the package-registry presets ({@code spec.registries}) the session writes
 *     client configuration for, in policy order; empty when none. Provenance keys {@code
 *     registries} and {@code registries[i]}
 * @param containerRuntime {@code sandbox.container.runtime}: the OCI runtime of the {@code container}
 *     backend's agent container (for example gVisor's {@code runsc}); empty: the daemon's default.
 *     Provenance key {@code sandbox.container.runtime} (only when set)
 * @param limits the sandbox's resource limits ({@code spec.sandbox.limits}); provenance keys {@code
 *     sandbox.limits.pids} and {@code sandbox.limits.memory} (the latter only when set)
 * @param inspect {@code egress.inspect}: canonical host names whose TLS the gateway terminates
 *     (credentials injected, requests decided by the gate); empty when none. Provenance keys
 *     {@code egress.inspect} and {@code egress.inspect[i]}
 * @param evidenceSigner {@code evidence.signer}: the org signer that certifies the session's evidence
 *     key (Ceiling only); empty when none
 * @param confinement the sandbox's confinement beyond its floor ({@code sandbox.user}, {@code
 *     sandbox.paths}, {@code sandbox.env.pass}, {@code sandbox.confinement}, {@code
 *     sandbox.allowReduced}); {@link ConfinementPolicy#DEFAULT} when no layer sets any. Provenance
 *     keys {@code sandbox.user}, {@code sandbox.confinement}, {@code sandbox.paths.readOnly[i]} and the like
 * @param hooks {@code gate.hooks}, {@code gate.prompts} and {@code gate.tools}: which agents' hooks are installed, how they are recorded and its
 *     tool calls decided (docs/hooks.md); {@link HookPolicy#DEFAULT} when no layer sets them.
 *     Provenance keys {@code gate.prompts}, {@code gate.tools[i]}
 */
public record EffectivePolicy(
    String trustDomain,
    String audience,
    Duration ttl,
    Optional<String> profile,
    List<SandboxBackend> backends,
    Enforcement enforcement,
    List<EgressRule> allow,
    List<EgressRule> deny,
    Map<String, String> hosts,
    boolean allowPrivate,
    List<String> repositories,
    Map<String, Permission> permissions,
    List<GateRule> gateRules,
    Map<String, Provenance> provenance,
    Optional<VaultPolicy> vault,
    List<RegistryPolicy> registries,
    SandboxLimits limits,
    Optional<String> containerRuntime,
    List<String> inspect,
    Optional<EvidenceSigner> evidenceSigner,
    ConfinementPolicy confinement,
    HookPolicy hooks) {
  // One for every digest: a mapper builds its serializers on first use (dev.taskbound.core.Json).
  private static final ObjectMapper SORTED_KEYS =
      JsonMapper.builder().enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS).build();

  public EffectivePolicy {
    Objects.requireNonNull(trustDomain, "trustDomain");
    Objects.requireNonNull(audience, "audience");
    Objects.requireNonNull(ttl, "ttl");
    Objects.requireNonNull(profile, "profile");
    Objects.requireNonNull(enforcement, "enforcement");
    backends = List.copyOf(backends);
    if (backends.isEmpty()) {
      throw new IllegalArgumentException("backends must not be empty");
    }
    if (enforcement == Enforcement.STRICT && backends.contains(SandboxBackend.PROXY)) {
      throw new IllegalArgumentException("proxy backend with strict enforcement");
    }
    if (ttl.isNegative() || ttl.isZero()) {
      throw new IllegalArgumentException("ttl must be positive: " + ttl);
    }
    allow = List.copyOf(allow);
    deny = List.copyOf(deny);
    hosts = Collections.unmodifiableMap(new LinkedHashMap<>(hosts));
    repositories = List.copyOf(repositories);
    permissions = Collections.unmodifiableMap(new LinkedHashMap<>(permissions));
    gateRules = List.copyOf(gateRules);
    provenance = Collections.unmodifiableMap(new LinkedHashMap<>(provenance));
    Objects.requireNonNull(vault, "vault");
    registries = List.copyOf(registries);
    Objects.requireNonNull(limits, "limits");
    Objects.requireNonNull(containerRuntime, "containerRuntime");
    inspect = List.copyOf(inspect);
    Objects.requireNonNull(evidenceSigner, "evidenceSigner");
    Objects.requireNonNull(confinement, "confinement");
    Objects.requireNonNull(hooks, "hooks");
  }

  /** A policy with the default hook settings ({@link HookPolicy#DEFAULT}). */
  public EffectivePolicy(String trustDomain, String audience, Duration ttl, Optional<String> profile,
      List<SandboxBackend> backends, Enforcement enforcement, List<EgressRule> allow, List<EgressRule> deny,
      Map<String, String> hosts, boolean allowPrivate, List<String> repositories, Map<String, Permission> permissions,
      List<GateRule> gateRules, Map<String, Provenance> provenance, Optional<VaultPolicy> vault,
      List<RegistryPolicy> registries, SandboxLimits limits, Optional<String> containerRuntime, List<String> inspect,
      Optional<EvidenceSigner> evidenceSigner, ConfinementPolicy confinement) {
    this(trustDomain, audience, ttl, profile, backends, enforcement, allow, deny, hosts, allowPrivate, repositories,
        permissions, gateRules, provenance, vault, registries, limits, containerRuntime, inspect, evidenceSigner,
        confinement, HookPolicy.DEFAULT);
  }

  /** A policy that inspects no host, names no evidence signer and confines at the floor. */
  public EffectivePolicy(String trustDomain, String audience, Duration ttl, Optional<String> profile,
      List<SandboxBackend> backends, Enforcement enforcement, List<EgressRule> allow, List<EgressRule> deny,
      Map<String, String> hosts, boolean allowPrivate, List<String> repositories, Map<String, Permission> permissions,
      List<GateRule> gateRules, Map<String, Provenance> provenance, Optional<VaultPolicy> vault,
      List<RegistryPolicy> registries, SandboxLimits limits, Optional<String> containerRuntime) {
    this(trustDomain, audience, ttl, profile, backends, enforcement, allow, deny, hosts, allowPrivate, repositories,
        permissions, gateRules, provenance, vault, registries, limits, containerRuntime, List.of(), Optional.empty(),
        ConfinementPolicy.DEFAULT);
  }

  /** The preferred sandbox backend: the first of {@link #backends()}. */
  public SandboxBackend backend() {
    return backends.get(0);
  }

  /** The egress rule set the gateway enforces. */
  public RuleSet ruleSet() {
    return RuleSet.of(allow, deny);
  }

  /** Where {@code field} came from (see the {@code provenance} component for the keys). */
  public Optional<Provenance> provenanceOf(String field) {
    return Optional.ofNullable(provenance.get(field));
  }

  /**
   * The same policy with only {@code backend}, for the session once it has chosen which of the
   * allowed backends this host can provide. Provenance is unchanged.
   *
   * @throws IllegalArgumentException if {@code backend} is not one of {@link #backends()} (choosing
   *     outside the list is a programming error; user choices go through {@link #narrowBackend})
   */
  public EffectivePolicy withBackend(SandboxBackend backend) {
    if (!backends.contains(Objects.requireNonNull(backend, "backend"))) {
      throw new IllegalArgumentException(backend.yamlName() + " is not one of " + backends);
    }
    return withBackends(backend, provenance.get("sandbox.backends"));
  }

  /**
   * Applies {@code --sandbox BACKEND}: the policy then allows only {@code backend}. Under the
   * built-in default ceiling, when nothing set the backends, any backend the built-in ceiling allows
   * may be chosen.
   *
   * @throws PolicyException naming {@code --sandbox}, the value and the allowed backends, if the
   *     backend is not allowed, or is {@code proxy} while enforcement is strict
   */
  public EffectivePolicy narrowBackend(SandboxBackend backend) {
    Objects.requireNonNull(backend, "backend");
    Provenance at = provenance.getOrDefault("sandbox.backends", Provenance.BUILT_IN);
    List<SandboxBackend> allowed = underBuiltIn("sandbox.backends") ? List.of(SandboxBackend.values()) : backends;
    if (!allowed.contains(backend)) {
      throw new PolicyException("--sandbox " + backend.yamlName() + " widens the policy (" + at + " allows "
          + allowed.stream().map(SandboxBackend::yamlName).collect(Collectors.joining(", ")) + ")");
    }
    if (backend == SandboxBackend.PROXY && enforcement == Enforcement.STRICT) {
      throw new PolicyException("--sandbox proxy requires enforcement: cooperative, but enforcement is strict ("
          + provenance.getOrDefault("sandbox.enforcement", Provenance.BUILT_IN) + "); accepted: netns, container");
    }
    return withBackends(backend, Provenance.commandLine("--sandbox"));
  }

  /**
   * Applies {@code --ttl DURATION}: the policy's TTL becomes {@code ttl}. Under the built-in default
   * ceiling, when nothing set the TTL, up to the built-in maximum of 8h may be asked for.
   *
   * @throws PolicyException naming {@code --ttl}, both values and where the limit comes from, if
   *     {@code ttl} is longer than the policy allows; or if it is not positive
   */
  public EffectivePolicy narrowTtl(Duration ttl) {
    Objects.requireNonNull(ttl, "ttl");
    if (ttl.isNegative() || ttl.isZero()) {
      throw new PolicyException("--ttl " + DurationFormat.format(ttl) + " is not positive; accepted: "
          + DurationFormat.ACCEPTED);
    }
    boolean builtIn = underBuiltIn("ttl");
    Duration limit = builtIn ? Narrowing.MAX_TTL : this.ttl;
    if (ttl.compareTo(limit) > 0) {
      throw new PolicyException("--ttl " + DurationFormat.format(ttl) + " widens the policy ("
          + (builtIn ? Provenance.BUILT_IN : provenance.getOrDefault("ttl", Provenance.BUILT_IN))
          + " allows at most " + DurationFormat.format(limit) + ")");
    }
    Map<String, Provenance> prov = new LinkedHashMap<>(provenance);
    prov.put("ttl", Provenance.commandLine("--ttl"));
    return new EffectivePolicy(trustDomain, audience, ttl, profile, backends, enforcement, allow, deny, hosts,
        allowPrivate, repositories, permissions, gateRules, prov, vault, registries, limits, containerRuntime, inspect,
        evidenceSigner, confinement, hooks);
  }

  /**
   * Applies {@code --pass-env NAME...}: only these host variables reach the agent besides the
   * allow-list. Like {@code --ttl}, the command line only narrows: each name must be one the policy
   * passes ({@code sandbox.env.pass}); under the built-in default ceiling, when nothing set that
   * field, any name may be given (Taskbound's own {@code TASKBOUND_*} never: the caller refuses them).
   *
   * @throws PolicyException naming {@code --pass-env}, the variable and what the policy passes, if
   *     the policy does not pass it
   */
  public EffectivePolicy narrowEnvPass(List<String> names) {
    List<String> wanted = List.copyOf(names);
    if (!underBuiltIn("sandbox.env.pass")) {
      Provenance at = provenance.getOrDefault("sandbox.env.pass", Provenance.BUILT_IN);
      for (String name : wanted) {
        if (!confinement.envPass().contains(name)) {
          throw new PolicyException("--pass-env " + name + " widens the policy (" + (at.isBuiltIn()
              ? "built-in default under the Ceiling at " + provenance.getOrDefault("ceiling", Provenance.BUILT_IN)
              : at.toString()) + (confinement.envPass().isEmpty() ? " passes no host variable" : " passes "
              + String.join(", ", confinement.envPass())) + "); accepted: a name the policy lists in sandbox.env.pass");
        }
      }
    }
    Map<String, Provenance> prov = new LinkedHashMap<>(provenance);
    prov.put("sandbox.env.pass", Provenance.commandLine("--pass-env"));
    return new EffectivePolicy(trustDomain, audience, ttl, profile, backends, enforcement, allow, deny, hosts,
        allowPrivate, repositories, permissions, gateRules, prov, vault, registries, limits, containerRuntime, inspect,
        evidenceSigner, confinement.withEnvPass(wanted), hooks);
  }

  /** Whether {@code field} still holds the built-in default ceiling's value, whose limit is looser. */
  private boolean underBuiltIn(String field) {
    return provenance.getOrDefault("ceiling", Provenance.BUILT_IN).isBuiltIn()
        && provenance.getOrDefault(field, Provenance.BUILT_IN).isBuiltIn();
  }

  /** This policy with another allow list and provenance, for narrowings made outside the files. */
  EffectivePolicy withAllow(List<EgressRule> narrowed, Map<String, Provenance> prov) {
    return new EffectivePolicy(trustDomain, audience, ttl, profile, backends, enforcement, narrowed, deny,
        hosts, allowPrivate, repositories, permissions, gateRules, prov, vault, registries, limits, containerRuntime, inspect,
        evidenceSigner, confinement, hooks);
  }

  private EffectivePolicy withBackends(SandboxBackend backend, Provenance at) {
    Map<String, Provenance> prov = new LinkedHashMap<>(provenance);
    prov.put("sandbox.backends", at);
    return new EffectivePolicy(trustDomain, audience, ttl, profile, List.of(backend), enforcement, allow, deny,
        hosts, allowPrivate, repositories, permissions, gateRules, prov, vault, registries, limits, containerRuntime,
        inspect, evidenceSigner, confinement, hooks);
  }

  /**
   * The policy as canonical JSON, for the evidence bundle ({@code effective-policy.json}) and the
   * digest: keys in alphabetical order, no whitespace, sets (allow, deny, repositories, gate rules)
   * sorted, {@code backends} in preference order; provenance is not included, so the same values
   * written in a different order or file give the same JSON.
   */
  public String toCanonicalJson() {
    Map<String, Object> root = new TreeMap<>();
    root.put("apiVersion", PolicyBinder.API_VERSION);
    root.put("trustDomain", trustDomain);
    root.put("audience", audience);
    root.put("ttl", DurationFormat.format(ttl));
    root.put("ttlSeconds", ttl.getSeconds());
    root.put("profile", profile.orElse(null));
    root.put("backends", backends.stream().map(SandboxBackend::yamlName).collect(Collectors.toList()));
    root.put("enforcement", enforcement.yamlName());
    root.put("allow", sorted(allow));
    root.put("deny", sorted(deny));
    root.put("hosts", new TreeMap<>(hosts));
    if (allowPrivate) {
      root.put("allowPrivate", true); // only when set, so existing digests stay as they were
    }
    root.put("repositories", sorted(repositories));
    Map<String, String> perms = new TreeMap<>();
    permissions.forEach((k, v) -> perms.put(k, v.yamlName()));
    root.put("permissions", perms);
    List<Map<String, String>> rules = new ArrayList<>();
    gateRules.stream().sorted(Comparator.comparing(GateRule::action)).forEach(r -> {
      Map<String, String> m = new TreeMap<>();
      m.put("action", r.action());
      m.put("decision", r.decision().yamlName());
      rules.add(m);
    });
    root.put("gateRules", rules);
    vault.ifPresent(v -> root.put("vault", canonicalVault(v)));
    if (!registries.isEmpty()) {
      root.put("registries", canonicalRegistries(registries)); // only when set, so other digests stay put
    }
    if (!isDefault(limits)) {
      root.put("limits", canonicalLimits(limits)); // only when not the default, so other digests stay put
    }
    containerRuntime.ifPresent(r -> root.put("containerRuntime", r)); // only when set, so other digests stay put
    if (!inspect.isEmpty()) {
      root.put("inspect", sorted(inspect)); // only when set, so other digests stay put
    }
    evidenceSigner.ifPresent(sg -> root.put("evidence", Map.of("signer", Map.of("vault-transit",
        Map.of("mount", sg.mount(), "key", sg.key()))))); // only when set, so other digests stay put
    if (!isDefault(hooks)) {
      root.put("hooks", canonicalHooks(hooks)); // only when set, so other digests stay put
    }
    Map<String, Object> sandbox = confinement.canonical();
    if (!sandbox.isEmpty()) {
      root.put("sandbox", sandbox); // only when set, so other digests stay put
    }
    try {
      return SORTED_KEYS.writeValueAsString(root);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialise a map of strings", e);
    }
  }

  // The defaults compared component by component, not with the records' equals: a record's equals
  // is linked on its first call (an ObjectMethods bootstrap, 5-15 ms each), and every open passes
  // here (bench/README.md, "Start-up, second pass"). EffectivePolicyDefaultsTest fails when one of
  // these records gains a component.
  static boolean isDefault(SandboxLimits l) {
    return l.pids().equals(SandboxLimits.DEFAULT.pids()) && l.memoryBytes().equals(SandboxLimits.DEFAULT.memoryBytes());
  }

  static boolean isDefault(HookPolicy h) {
    HookPolicy d = HookPolicy.DEFAULT;
    return h.agents().equals(d.agents()) && h.prompts() == d.prompts() && h.tools().equals(d.tools())
        && isDefault(h.approval()) && h.regulated() == d.regulated();
  }

  static boolean isDefault(ApprovalPolicy a) {
    ApprovalPolicy d = ApprovalPolicy.DEFAULT;
    return a.timeout().equals(d.timeout()) && a.environments().equals(d.environments());
  }

  /** {@code gate.prompts} and {@code gate.tools} for the canonical JSON, the rules in their order (the first of equals wins). */
  private static Map<String, Object> canonicalHooks(HookPolicy h) {
    Map<String, Object> m = new TreeMap<>();
    m.put("agents", h.agents());
    m.put("prompts", h.prompts().yamlName());
    List<Map<String, String>> tools = new ArrayList<>();
    for (ToolRule r : h.tools()) {
      Map<String, String> t = new TreeMap<>();
      t.put("action", r.action());
      t.put("match", r.match());
      t.put("decision", r.decision().yamlName());
      r.reason().ifPresent(x -> t.put("reason", x));
      tools.add(t);
    }
    m.put("tools", tools);
    if (!isDefault(h.approval())) {
      m.put("approval", Map.of("timeout", DurationFormat.format(h.approval().timeout()), "environments", h.approval().environments()));
    }
    return m;
  }

  /** {@code spec.vault} for the canonical JSON; present only when granted, so other digests stay put. */
  private static Map<String, Object> canonicalVault(VaultPolicy v) {
    Map<String, Object> m = new TreeMap<>();
    m.put("policies", sorted(v.policies()));
    v.ttl().ifPresent(t -> m.put("ttl", DurationFormat.format(t)));
    v.numUses().ifPresent(n -> m.put("numUses", n));
    List<Map<String, Object>> secrets = new ArrayList<>();
    v.secrets().stream().sorted(Comparator.comparing(VaultSecretPolicy::name)).forEach(s -> {
      Map<String, Object> e = new TreeMap<>();
      e.put("name", s.name());
      e.put("kind", s.kind().yamlName());
      e.put("path", s.path());
      s.field().ifPresent(f -> e.put("field", f));
      s.env().ifPresent(f -> e.put("env", f));
      s.file().ifPresent(f -> e.put("file", f));
      s.wrap().ifPresent(w -> e.put("wrap", DurationFormat.format(w)));
      e.put("access", s.access().yamlName());
      secrets.add(e);
    });
    m.put("secrets", secrets);
    return m;
  }

  /** {@code spec.registries} in policy order (the order decides nothing, but it is how they are written). */
  private static List<Map<String, Object>> canonicalRegistries(List<RegistryPolicy> registries) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (RegistryPolicy r : registries) {
      Map<String, Object> m = new TreeMap<>();
      m.put("kind", r.kind().yamlName());
      m.put("url", r.url().toString());
      r.scope().ifPresent(s -> m.put("scope", s));
      r.id().ifPresent(s -> m.put("id", s));
      r.mirrorOf().ifPresent(s -> m.put("mirrorOf", s));
      if (!r.insteadOf().isEmpty()) {
        m.put("insteadOf", r.insteadOf());
      }
      r.tokenEnv().ifPresent(e -> m.put("token", Map.of("env", e)));
      r.header().ifPresent(h -> m.put("header", h));
      r.credentials().ifPresent(c -> m.put("credentials",
          Map.of("username", c.username(), "password", Map.of("env", c.passwordEnv()))));
      out.add(m);
    }
    return out;
  }

  private static Map<String, Object> canonicalLimits(SandboxLimits l) {
    Map<String, Object> m = new TreeMap<>();
    l.pids().ifPresent(p -> m.put("pids", p));
    l.memoryBytes().ifPresent(b -> m.put("memoryBytes", b));
    return m;
  }

  private static List<String> sorted(List<?> items) {
    return items.stream().map(Object::toString).sorted().distinct().collect(Collectors.toList());
  }

  /** {@code sha256:} and the lower-case hex SHA-256 of {@link #toCanonicalJson()} (UTF-8). */
  public String digest() {
    try {
      byte[] hash = MessageDigest.getInstance("SHA-256").digest(toCanonicalJson().getBytes(StandardCharsets.UTF_8));
      return "sha256:" + HexFormat.of().formatHex(hash);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }
}
