package dev.taskbound.core.policy;

import dev.taskbound.core.SafeText;
import dev.taskbound.core.TaskboundException;
import dev.taskbound.core.egress.EgressPresets;
import dev.taskbound.core.egress.EgressRule;
import dev.taskbound.core.egress.EgressRuleException;
import dev.taskbound.core.egress.HostPattern;
import dev.taskbound.core.egress.IpLiteral;
import dev.taskbound.core.egress.IpRange;
import dev.taskbound.core.egress.SpecialAddresses;
import java.io.StringReader;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.composer.Composer;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;
import org.yaml.snakeyaml.parser.ParserImpl;
import org.yaml.snakeyaml.reader.StreamReader;

/**
 * Binds policy YAML to {@link PolicyDocument}s by hand over SnakeYAML's node API, so that every
 * error carries the file, the line and the field path. Strict: unknown and duplicate keys, wrong
 * node types and malformed values are errors. One instance binds one file; not thread-safe.
 */
final class PolicyBinder {
  static final String API_VERSION = "taskbound.dev/v1";
  static final long MAX_FILE_BYTES = 1 << 20;
  /** The longest line accepted (see {@link #checkLineLengths}). */
  static final int MAX_LINE_CHARS = 16 * 1024;

  static final List<String> DOCUMENT_KEYS = List.of("apiVersion", "kind", "metadata", "profile", "profiles", "spec", "allowRepositoryCeiling");
  static final List<String> METADATA_KEYS = List.of("name");
  static final List<String> SPEC_KEYS =
      List.of("identity", "ttl", "sandbox", "egress", "github", "gate", "vault", "registries", "evidence", "regulated");
  static final List<String> IDENTITY_KEYS = List.of("trustDomain", "audience", "audiences");
  static final List<String> SANDBOX_KEYS = List.of("backends", "enforcement", "limits", "container", "user", "paths",
      "env", "confinement", "allowReduced");
  static final List<String> CONTAINER_KEYS = List.of("runtime");
  /** A runtime name as dockerd registers it ({@code runc}, {@code runsc}, {@code io.containerd.runc.v2}). */
  private static final Pattern CONTAINER_RUNTIME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
  static final List<String> LIMITS_KEYS = List.of("pids", "memory");
  static final List<String> SANDBOX_PATHS_KEYS = List.of("readOnly", "readWrite", "hide");
  static final List<String> SANDBOX_ENV_KEYS = List.of("pass");
  static final List<String> EGRESS_KEYS = List.of("allow", "deny", "hosts", "presets", "allowPrivate", "inspect");
  static final List<String> GITHUB_KEYS = List.of("repositories", "permissions");
  static final List<String> GATE_KEYS = List.of("rules", "hooks", "prompts", "tools", "approval");
  static final List<String> APPROVAL_KEYS = List.of("timeout", "environments");
  static final List<String> TOOL_RULE_KEYS = List.of("action", "match", "decision", "reason");
  static final List<String> RULE_KEYS = List.of("action", "decision");
  static final List<String> VAULT_KEYS = List.of("policies", "ttl", "numUses", "secrets");
  static final List<String> VAULT_SECRET_KEYS =
      List.of("name", "kind", "path", "field", "env", "file", "wrap", "access");
  static final List<String> REGISTRY_KEYS =
      List.of("kind", "url", "scope", "id", "mirrorOf", "insteadOf", "token", "credentials", "header");
  static final List<String> SECRET_REF_KEYS = List.of("env");
  static final List<String> EVIDENCE_KEYS = List.of("signer");
  static final List<String> SIGNER_KEYS = List.of("vault-transit");
  static final List<String> TRANSIT_KEYS = List.of("mount", "key");
  static final List<String> CREDENTIALS_KEYS = List.of("username", "password");

  private static final Pattern NAME = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
  private static final String NAME_ACCEPTED = "1-63 of a-z, 0-9, '-', not starting or ending with '-'";
  private static final Pattern TRUST_DOMAIN = Pattern.compile("[a-z0-9._-]{1,255}");
  private static final Pattern AUDIENCE = Pattern.compile("[\\x21-\\x7e]{1,256}");
  private static final Pattern REPOSITORY =
      Pattern.compile("[a-z0-9]([a-z0-9-]{0,38})/(\\*|[a-z0-9._-]{1,100})");
  private static final Pattern PERMISSION_NAME = Pattern.compile("[a-z_]{1,64}");

  private final String file;
  /** Whether this is an org profile file, where only kind: Profile is accepted (and only there). */
  private boolean profileFile;
  /** Loaded on first use: reading presets.yml costs more than binding a small policy. */
  private EgressPresets presets;

  private PolicyBinder(String file) {
    this.file = file;
  }

  private EgressPresets presets() {
    if (presets == null) {
      presets = EgressPresets.builtIn();
    }
    return presets;
  }

  /** The keys the binder accepts, by object: for checking the JSON Schema against the parser. */
  static Map<String, List<String>> acceptedKeys() {
    Map<String, List<String>> keys = new LinkedHashMap<>();
    keys.put("document", DOCUMENT_KEYS);
    keys.put("metadata", METADATA_KEYS);
    keys.put("spec", SPEC_KEYS);
    keys.put("identity", IDENTITY_KEYS);
    keys.put("sandbox", SANDBOX_KEYS);
    keys.put("limits", LIMITS_KEYS);
    keys.put("container", CONTAINER_KEYS);
    keys.put("sandboxPaths", SANDBOX_PATHS_KEYS);
    keys.put("sandboxEnv", SANDBOX_ENV_KEYS);
    keys.put("egress", EGRESS_KEYS);
    keys.put("github", GITHUB_KEYS);
    keys.put("gate", GATE_KEYS);
    keys.put("rule", RULE_KEYS);
    keys.put("toolRule", TOOL_RULE_KEYS);
    keys.put("gate.approval", APPROVAL_KEYS);
    keys.put("vault", VAULT_KEYS);
    keys.put("vaultSecret", VAULT_SECRET_KEYS);
    keys.put("registry", REGISTRY_KEYS);
    keys.put("secretRef", SECRET_REF_KEYS);
    keys.put("credentials", CREDENTIALS_KEYS);
    keys.put("evidence", EVIDENCE_KEYS);
    keys.put("signer", SIGNER_KEYS);
    keys.put("vaultTransit", TRANSIT_KEYS);
    return Collections.unmodifiableMap(keys);
  }

  /**
   * Reads and binds every document of {@code path}; the path as given names the file in messages.
   *
   * @throws PolicyException if the file cannot be read, is not YAML, or any document is malformed
   */
  static List<PolicyDocument> load(Path path) {
    return parse(path.toString(), PolicyFileReader.read(path, MAX_FILE_BYTES));
  }

  /** Binds every document of {@code text}, naming it {@code file} in messages. */
  static List<PolicyDocument> parse(PolicyText text) {
    return parse(text.name(), PolicyFileReader.decode(text.name(), text.content(), MAX_FILE_BYTES));
  }

  /**
   * Binds an org profile file ({@code taskbound/profiles/NAME.yml} of the organisation's {@code
   * .github} repository): exactly one {@code kind: Profile} document, whose {@code spec} is the
   * profile (as under a Ceiling's {@code profiles.NAME}) and whose {@code metadata.name}, when
   * written, is {@code name}.
   *
   * @throws PolicyException as for a file, or if the text is not one Profile named {@code name}
   */
  static Located<Layer> parseProfile(PolicyText text, String name) {
    if (!NAME.matcher(name).matches()) {
      throw new PolicyException(text.name() + ": the file's name " + SafeText.quoted(name) + " is not a profile name;"
          + " accepted: " + NAME_ACCEPTED + ", then .yml or .yaml");
    }
    PolicyBinder binder = new PolicyBinder(text.name());
    binder.profileFile = true;
    List<PolicyDocument> docs = binder.bindAll(PolicyFileReader.decode(text.name(), text.content(), MAX_FILE_BYTES));
    if (docs.size() != 1) {
      throw new PolicyException(docs.get(1).at() + ": kind: a second Profile (the first is at " + docs.get(0).at()
          + "); accepted: exactly one Profile document per profile file");
    }
    PolicyDocument d = docs.get(0);
    if (d.profile() != null && !d.profile().value().equals(name)) {
      throw new PolicyException(d.profile().where() + ": " + SafeText.quoted(d.profile().value()) + " is not the"
          + " file's name; accepted: metadata.name " + name + " (the profile's name is the file's) or none");
    }
    return new Located<>(d.spec(), d.at(), "profiles." + name);
  }

  /** Binds every document of {@code text}, naming it {@code file} in messages. */
  static List<PolicyDocument> parse(String file, String text) {
    return new PolicyBinder(file).bindAll(text);
  }

  private List<PolicyDocument> bindAll(String text) {
    checkLineLengths(text);
    LoaderOptions options = new LoaderOptions();
    options.setAllowRecursiveKeys(false);
    options.setMaxAliasesForCollections(10);
    List<Node> roots = new ArrayList<>();
    try {
      // The composer alone, as Yaml.composeAll builds it: only nodes are needed, and Yaml's
      // constructor would set up java.util.logging (SnakeYAML's TypeDescription), ~15 ms of every run.
      Composer yaml = new Composer(new ParserImpl(new StreamReader(new StringReader(text)), options),
          new Yaml12Resolver(), options);
      while (yaml.checkNode()) {
        Node n = yaml.getNode();
        if (n != null) {
          roots.add(n);
        }
      }
    } catch (MarkedYAMLException e) {
      int line = e.getProblemMark() != null ? e.getProblemMark().getLine() + 1 : 1;
      throw new PolicyException(file + ":" + line + ": not valid YAML: " + e.getProblem());
    } catch (YAMLException e) {
      throw new PolicyException(file + ": not valid YAML: " + e.getMessage());
    }
    if (roots.isEmpty()) {
      throw new PolicyException(
          file + ":1: no YAML document; accepted: one or more documents with apiVersion: " + API_VERSION);
    }
    List<PolicyDocument> docs = new ArrayList<>();
    for (Node root : roots) {
      docs.add(document(root));
    }
    return docs;
  }

  /**
   * SnakeYAML's reader copies the unread part of its window each time it reads ahead, so one token
   * of n characters costs O(n^2 / 1024): a 1 MiB line took seconds. Lines are therefore bounded
   * before parsing, in one O(n) pass.
   */
  private void checkLineLengths(String text) {
    int line = 1;
    int start = 0;
    for (int i = 0; i <= text.length(); i++) {
      if (i == text.length() || text.charAt(i) == '\n') {
        if (i - start > MAX_LINE_CHARS) {
          throw new PolicyException(file + ":" + line + ": line is " + (i - start) + " characters long; accepted: lines"
              + " of at most " + MAX_LINE_CHARS + " characters");
        }
        line++;
        start = i + 1;
      }
    }
  }

  private PolicyDocument document(Node root) {
    Map<String, NodeTuple> m = mapping(root, "", DOCUMENT_KEYS);
    Provenance at = at(root);
    NodeTuple api = m.get("apiVersion");
    if (api == null) {
      throw fail(root, "apiVersion", "missing; accepted: " + API_VERSION);
    }
    String version = string(api.getValueNode(), "apiVersion");
    if (!version.equals(API_VERSION)) {
      throw fail(api.getValueNode(), "apiVersion", SafeText.quoted(version) + " is not supported; accepted: " + API_VERSION);
    }
    NodeTuple kindNode = m.get("kind");
    if (kindNode == null) {
      throw fail(root, "kind", "missing; accepted: Ceiling, Task");
    }
    String kindText = string(kindNode.getValueNode(), "kind");
    PolicyDocument.Kind kind = null;
    for (PolicyDocument.Kind k : PolicyDocument.Kind.values()) {
      if (k.yaml.equals(kindText)) {
        kind = k;
      }
    }
    if (profileFile && kind != PolicyDocument.Kind.PROFILE) {
      throw fail(kindNode.getValueNode(), "kind", SafeText.quoted(kindText) + " in a profile file; accepted: Profile");
    }
    if (kind == PolicyDocument.Kind.PROFILE && !profileFile) {
      throw fail(kindNode.getValueNode(), "kind", "Profile is read only from an org ceiling's profiles directory"
          + " (taskbound/profiles/NAME.yml in the organisation's .github repository); accepted here: Ceiling, Task");
    }
    if (kind == null) {
      throw fail(kindNode.getValueNode(), "kind", SafeText.quoted(kindText) + " is not a kind; accepted: Ceiling, Task");
    }
    Located<String> profile = null;
    if (m.containsKey("metadata")) {
      Map<String, NodeTuple> meta = mapping(m.get("metadata").getValueNode(), "metadata", METADATA_KEYS);
      if (meta.containsKey("name")) {
        Node nn = meta.get("name").getValueNode();
        String metaName = name(nn, "metadata.name");
        if (kind == PolicyDocument.Kind.PROFILE) {
          profile = new Located<>(metaName, at(nn), "metadata.name");
        }
      }
    }
    Map<String, Located<Layer>> profiles = new LinkedHashMap<>();
    Located<Boolean> allowRepositoryCeiling = null;
    if (kind == PolicyDocument.Kind.CEILING) {
      onlyIn(m, "profile", "a Task", kindText);
      if (m.containsKey("allowRepositoryCeiling")) {
        Node an = m.get("allowRepositoryCeiling").getValueNode();
        allowRepositoryCeiling = new Located<>(bool(an, "allowRepositoryCeiling"), at(an), "allowRepositoryCeiling");
      }
      if (m.containsKey("profiles")) {
        Node pn = m.get("profiles").getValueNode();
        for (Map.Entry<String, NodeTuple> e : mapping(pn, "profiles", null).entrySet()) {
          String field = "profiles." + e.getKey();
          name(e.getValue().getKeyNode(), field);
          Layer layer = spec(e.getValue().getValueNode(), field, false);
          profiles.put(e.getKey(), new Located<>(layer, at(e.getValue().getKeyNode()), field));
        }
      }
    } else if (kind == PolicyDocument.Kind.PROFILE) {
      onlyIn(m, "profile", "a Task", kindText);
      onlyIn(m, "profiles", "a Ceiling", kindText);
      onlyIn(m, "allowRepositoryCeiling", "a Ceiling", kindText);
    } else {
      onlyIn(m, "profiles", "a Ceiling", kindText);
      onlyIn(m, "allowRepositoryCeiling", "a Ceiling", kindText);
      if (m.containsKey("profile")) {
        Node pn = m.get("profile").getValueNode();
        profile = new Located<>(name(pn, "profile"), at(pn), "profile");
      }
    }
    Layer spec = m.containsKey("spec")
        ? spec(m.get("spec").getValueNode(), "spec", kind == PolicyDocument.Kind.CEILING)
        : Layer.EMPTY;
    return new PolicyDocument(at, kind, profile, spec, Collections.unmodifiableMap(profiles), allowRepositoryCeiling);
  }

  private void onlyIn(Map<String, NodeTuple> m, String key, String where, String kind) {
    if (m.containsKey(key)) {
      throw fail(m.get(key).getKeyNode(), key, "only accepted in " + where + ", not in kind: " + kind);
    }
  }

  private Layer spec(Node node, String path, boolean ceiling) {
    Map<String, NodeTuple> m = mapping(node, path, SPEC_KEYS);
    Located<String> trustDomain = null;
    Located<String> audience = null;
    Located<List<Located<String>>> audiences = null;
    if (m.containsKey("identity")) {
      String p = path + ".identity";
      Map<String, NodeTuple> id = mapping(m.get("identity").getValueNode(), p, IDENTITY_KEYS);
      if (id.containsKey("trustDomain")) {
        NodeTuple t = id.get("trustDomain");
        if (!ceiling) {
          throw fail(t.getKeyNode(), p + ".trustDomain", shown(t.getValueNode()) + " is only accepted in the"
              + " Ceiling's spec; the trust domain is the organisation's, so a profile or Task cannot set it");
        }
        trustDomain = scalar(t, p + ".trustDomain", (n, f) -> matching(n, f, TRUST_DOMAIN,
            "a SPIFFE trust domain of 1-255 of a-z, 0-9, '.', '_', '-' such as acme.dev"));
      }
      if (id.containsKey("audience")) {
        audience = scalar(id.get("audience"), p + ".audience", this::audience);
      }
      if (id.containsKey("audiences")) {
        NodeTuple t = id.get("audiences");
        if (!ceiling) {
          throw fail(t.getKeyNode(), p + ".audiences", "only accepted in the Ceiling's spec; a profile or Task picks"
              + " one with audience");
        }
        audiences = list(t, p + ".audiences", this::audience);
        if (audiences.value().isEmpty()) {
          throw fail(t.getValueNode(), p + ".audiences", "empty; accepted: a non-empty list of audiences");
        }
      }
    }
    Located<Duration> ttl = null;
    if (m.containsKey("ttl")) {
      ttl = scalar(m.get("ttl"), path + ".ttl", this::duration);
    }
    Located<List<Located<SandboxBackend>>> backends = null;
    Located<Enforcement> enforcement = null;
    Located<Integer> pids = null;
    Located<Long> memory = null;
    Located<String> containerRuntime = null;
    SandboxLayer confinement = SandboxLayer.EMPTY;
    if (m.containsKey("sandbox")) {
      String p = path + ".sandbox";
      Map<String, NodeTuple> sb = mapping(m.get("sandbox").getValueNode(), p, SANDBOX_KEYS);
      if (sb.containsKey("backends")) {
        backends = list(sb.get("backends"), p + ".backends", (n, f) -> enumValue(n, f, SandboxBackend.class));
        if (backends.value().isEmpty()) {
          throw fail(sb.get("backends").getValueNode(), p + ".backends",
              "empty; accepted: a non-empty list of " + PolicyEnums.accepted(SandboxBackend.class));
        }
        noDuplicates(backends);
      }
      if (sb.containsKey("enforcement")) {
        enforcement = scalar(sb.get("enforcement"), p + ".enforcement", (n, f) -> enumValue(n, f, Enforcement.class));
      }
      if (sb.containsKey("limits")) {
        Map<String, NodeTuple> lim = mapping(sb.get("limits").getValueNode(), p + ".limits", LIMITS_KEYS);
        if (lim.containsKey("pids")) {
          pids = scalar(lim.get("pids"), p + ".limits.pids", this::pids);
        }
        if (lim.containsKey("memory")) {
          memory = scalar(lim.get("memory"), p + ".limits.memory", this::memory);
        }
      }
      if (sb.containsKey("container")) {
        Map<String, NodeTuple> c = mapping(sb.get("container").getValueNode(), p + ".container", CONTAINER_KEYS);
        if (c.containsKey("runtime")) {
          containerRuntime = scalar(c.get("runtime"), p + ".container.runtime", (n, f) -> matching(n, f,
              CONTAINER_RUNTIME, "a runtime name the Docker daemon registers (1-128 of A-Z, a-z, 0-9, '.', '_', '-')"
                  + " such as runsc"));
        }
      }
      confinement = confinement(sb, p, ceiling);
    }
    Located<List<Located<EgressRule>>> allow = null;
    Located<List<Located<EgressRule>>> deny = null;
    Located<Map<String, Located<String>>> hosts = null;
    Located<Boolean> allowPrivate = null;
    Located<List<Located<String>>> inspect = null;
    if (m.containsKey("egress")) {
      String p = path + ".egress";
      Map<String, NodeTuple> eg = mapping(m.get("egress").getValueNode(), p, EGRESS_KEYS);
      if (eg.containsKey("allow")) {
        allow = list(eg.get("allow"), p + ".allow", this::rule);
      }
      if (eg.containsKey("deny")) {
        deny = list(eg.get("deny"), p + ".deny", this::rule);
      }
      if (eg.containsKey("hosts")) {
        hosts = hosts(eg.get("hosts"), p + ".hosts");
      }
      if (eg.containsKey("presets")) {
        allow = withPresets(allow, eg.get("presets"), p + ".presets");
      }
      noMetadata(allow, hosts);
      if (eg.containsKey("allowPrivate")) {
        allowPrivate = scalar(eg.get("allowPrivate"), p + ".allowPrivate", this::bool);
      }
      if (eg.containsKey("inspect")) {
        inspect = list(eg.get("inspect"), p + ".inspect", (n, f) -> parsed(n, f, InspectHosts::canonical));
      }
    }
    Located<List<Located<String>>> repositories = null;
    Located<Map<String, Located<Permission>>> permissions = null;
    if (m.containsKey("github")) {
      String p = path + ".github";
      Map<String, NodeTuple> gh = mapping(m.get("github").getValueNode(), p, GITHUB_KEYS);
      if (gh.containsKey("repositories")) {
        repositories = list(gh.get("repositories"), p + ".repositories", this::repository);
      }
      if (gh.containsKey("permissions")) {
        permissions = permissions(gh.get("permissions"), p + ".permissions");
      }
    }
    Located<List<Located<GateRule>>> gateRules = null;
    HookLayer hooks = HookLayer.EMPTY;
    if (m.containsKey("gate")) {
      String p = path + ".gate";
      Map<String, NodeTuple> gate = mapping(m.get("gate").getValueNode(), p, GATE_KEYS);
      hooks = new HookLayer(
          gate.containsKey("hooks") ? list(gate.get("hooks"), p + ".hooks", this::hookAgent) : null,
          gate.containsKey("prompts") ? scalar(gate.get("prompts"), p + ".prompts", (n, f) -> enumValue(n, f, PromptRecording.class)) : null,
          gate.containsKey("tools") ? list(gate.get("tools"), p + ".tools", this::toolRule) : null,
          gate.containsKey("approval") ? approval(gate.get("approval"), p + ".approval") : ApprovalLayer.EMPTY);
      if (gate.containsKey("rules")) {
        gateRules = list(gate.get("rules"), p + ".rules", this::gateRule);
        Map<String, Located<GateRule>> seen = new LinkedHashMap<>();
        for (Located<GateRule> r : gateRules.value()) {
          Located<GateRule> first = seen.putIfAbsent(r.value().action(), r);
          if (first != null) {
            throw new PolicyException(r.where() + ".action: " + r.value().action() + " is named twice (first at "
                + first.at() + "); accepted: one rule per action");
          }
        }
      }
    }
    if (m.containsKey("regulated")) {
      hooks = hooks.withRegulated(scalar(m.get("regulated"), path + ".regulated", this::bool));
    }
    Located<VaultLayer> vault = m.containsKey("vault") ? vault(m.get("vault"), path + ".vault") : null;
    Located<List<Located<RegistryPolicy>>> registries =
        m.containsKey("registries") ? list(m.get("registries"), path + ".registries", this::registry) : null;
    Located<EvidenceSigner> signer = m.containsKey("evidence") ? evidence(m.get("evidence"), path + ".evidence", ceiling) : null;
    return new Layer(trustDomain, audience, audiences, ttl, backends, enforcement, allow, deny, hosts,
        repositories, permissions, gateRules, vault, allowPrivate, registries, pids, memory, containerRuntime, inspect,
        signer, confinement, hooks);
  }

  /** {@code gate.approval}: {@code timeout} (a duration up to 1h), {@code environments} (GitHub environment names). */
  private ApprovalLayer approval(NodeTuple t, String p) {
    Map<String, NodeTuple> a = mapping(t.getValueNode(), p, APPROVAL_KEYS);
    Located<Duration> timeout = a.containsKey("timeout") ? scalar(a.get("timeout"), p + ".timeout", this::approvalTimeout) : null;
    Located<List<Located<String>>> environments =
        a.containsKey("environments") ? list(a.get("environments"), p + ".environments", this::environmentName) : null;
    return new ApprovalLayer(timeout, environments);
  }

  private Duration approvalTimeout(Node n, String field) {
    Duration d = duration(n, field);
    if (d.isZero() || d.compareTo(ApprovalPolicy.MAX_TIMEOUT) > 0) {
      throw fail(n, field, DurationFormat.format(d) + " is not accepted; accepted: a duration above 0 and at most "
          + DurationFormat.format(ApprovalPolicy.MAX_TIMEOUT) + " (30s, 5m)");
    }
    return d;
  }

  /** A GitHub environment name: up to 255 characters, no control characters, no quotes or commas. */
  private String environmentName(Node n, String field) {
    String name = string(n, field);
    if (!name.matches("[A-Za-z0-9._ -]{1,255}") || name.isBlank()) {
      throw fail(n, field, SafeText.quoted(name) + " is not a GitHub environment name; accepted: 1-255 letters, digits,"
          + " '.', '_', '-' or spaces");
    }
    return name;
  }

  // ---- spec.sandbox.limits ----

  private static final Pattern PIDS = Pattern.compile("[1-9][0-9]{0,6}");

  private int pids(Node n, String field) {
    String accepted = "; accepted: a whole number from " + SandboxLimits.MIN_PIDS + " to " + SandboxLimits.MAX_PIDS
        + " (unquoted)";
    if (!(n instanceof ScalarNode) || !n.getTag().equals(Tag.INT)) {
      throw fail(n, field, "expected a whole number, got " + describe(n) + accepted);
    }
    String text = ((ScalarNode) n).getValue();
    if (!PIDS.matcher(text).matches() || Integer.parseInt(text) < SandboxLimits.MIN_PIDS
        || Integer.parseInt(text) > SandboxLimits.MAX_PIDS) {
      throw fail(n, field, SafeText.quoted(text) + " is not accepted" + accepted);
    }
    return Integer.parseInt(text);
  }

  private long memory(Node n, String field) {
    if (!(n instanceof ScalarNode) || !n.getTag().equals(Tag.STR)) {
      throw fail(n, field, "expected a size, got " + describe(n) + "; accepted: " + SandboxLimits.MEMORY_ACCEPTED);
    }
    String text = ((ScalarNode) n).getValue();
    return SandboxLimits.parseMemory(text).orElseThrow(() ->
        fail(n, field, SafeText.quoted(text) + " is not accepted; accepted: " + SandboxLimits.MEMORY_ACCEPTED));
  }

  // ---- spec.evidence (issue 14) ----

  /** {@code evidence: {signer: {vault-transit: {mount, key}}}}: the Ceiling's only, so no lower layer can drop it. */
  private Located<EvidenceSigner> evidence(NodeTuple t, String p, boolean ceiling) {
    if (!ceiling) {
      throw fail(t.getKeyNode(), p, "only accepted in the Ceiling's spec; the org signer is the organisation's, so a"
          + " profile or Task can neither set nor remove it");
    }
    Map<String, NodeTuple> e = mapping(t.getValueNode(), p, EVIDENCE_KEYS);
    if (!e.containsKey("signer")) {
      throw fail(t.getValueNode(), p + ".signer", "missing; accepted: signer: {vault-transit: {mount: transit, key: NAME}}");
    }
    Map<String, NodeTuple> s = mapping(e.get("signer").getValueNode(), p + ".signer", SIGNER_KEYS);
    if (!s.containsKey("vault-transit")) {
      throw fail(e.get("signer").getValueNode(), p + ".signer", "names no signer; accepted: vault-transit: {mount: transit,"
          + " key: NAME}");
    }
    String tp = p + ".signer.vault-transit";
    NodeTuple vt = s.get("vault-transit");
    Map<String, NodeTuple> v = mapping(vt.getValueNode(), tp, TRANSIT_KEYS);
    String mount = v.containsKey("mount")
        ? matching(v.get("mount").getValueNode(), tp + ".mount", EvidenceSigner.MOUNT, "a Vault mount path such as transit")
        : "transit";
    if (!v.containsKey("key")) {
      throw fail(vt.getValueNode(), tp + ".key", "missing; accepted: the name of a Transit key of type ecdsa-p256,"
          + " e.g. taskbound-evidence");
    }
    String key = matching(v.get("key").getValueNode(), tp + ".key", EvidenceSigner.KEY,
        "a Transit key name of 1-128 of A-Z, a-z, 0-9, '.', '_', '-'");
    if (mount.contains("..") || key.equals("..")) {
      throw fail(vt.getValueNode(), tp, "'..' is not a Vault path segment; accepted: a mount such as transit and a key name");
    }
    return new Located<>(new EvidenceSigner(mount, key), at(t.getKeyNode()), p + ".signer");
  }

  // ---- spec.sandbox's confinement fields (issue 11) ----

  private static final Pattern SANDBOX_USER = Pattern.compile("[a-z_][a-z0-9_.-]{0,31}|[0-9]{1,9}(:[0-9]{1,9})?");

  private SandboxLayer confinement(Map<String, NodeTuple> sb, String p, boolean ceiling) {
    Located<String> user = null;
    if (sb.containsKey("user")) {
      NodeTuple t = sb.get("user");
      ceilingOnly(t, p + ".user", ceiling, "who the agent runs as is the organisation's choice");
      user = scalar(t, p + ".user", (n, f) -> matching(n, f, SANDBOX_USER,
          "an account name such as ci, a uid such as 1001, or uid:gid such as 1001:1001 (never root)"));
    }
    Located<List<Located<PolicyPath>>> readOnly = null;
    Located<List<Located<PolicyPath>>> readWrite = null;
    Located<List<Located<PolicyPath>>> hide = null;
    if (sb.containsKey("paths")) {
      String pp = p + ".paths";
      Map<String, NodeTuple> paths = mapping(sb.get("paths").getValueNode(), pp, SANDBOX_PATHS_KEYS);
      if (paths.containsKey("readOnly")) {
        readOnly = list(paths.get("readOnly"), pp + ".readOnly", (n, f) -> parsed(n, f, PolicyPath::parse));
      }
      if (paths.containsKey("readWrite")) {
        readWrite = list(paths.get("readWrite"), pp + ".readWrite", (n, f) -> parsed(n, f, PolicyPath::parse));
      }
      if (paths.containsKey("hide")) {
        hide = list(paths.get("hide"), pp + ".hide", this::hiddenPath);
      }
    }
    Located<List<Located<String>>> envPass = null;
    if (sb.containsKey("env")) {
      Map<String, NodeTuple> env = mapping(sb.get("env").getValueNode(), p + ".env", SANDBOX_ENV_KEYS);
      if (env.containsKey("pass")) {
        envPass = list(env.get("pass"), p + ".env.pass", this::passedVariable);
      }
    }
    Located<ConfinementLevel> level = sb.containsKey("confinement")
        ? scalar(sb.get("confinement"), p + ".confinement", (n, f) -> enumValue(n, f, ConfinementLevel.class))
        : null;
    Located<List<Located<Protection>>> allowReduced = null;
    if (sb.containsKey("allowReduced")) {
      NodeTuple t = sb.get("allowReduced");
      ceilingOnly(t, p + ".allowReduced", ceiling, "only the organisation may lower its floor");
      allowReduced = list(t, p + ".allowReduced", (n, f) -> parsed(n, f, Protection::parse));
      noDuplicates(allowReduced);
    }
    return new SandboxLayer(user, readOnly, readWrite, hide, envPass, level, allowReduced);
  }

  private void ceilingOnly(NodeTuple t, String field, boolean ceiling, String why) {
    if (!ceiling) {
      throw fail(t.getKeyNode(), field, "only accepted in the Ceiling's spec; " + why + ", so a profile or Task"
          + " cannot set it");
    }
  }

  /** A path inside the workspace: relative to it, or {@code $WORKSPACE/...}; never the workspace itself. */
  private PolicyPath hiddenPath(Node n, String field) {
    String text = string(n, field);
    String accepted = "; accepted: a path inside the workspace, relative to it (such as .git/config) or as"
        + " $WORKSPACE/PATH, without '..'";
    String written = text.startsWith("/") || text.startsWith("~") || text.startsWith("$") ? text : "$WORKSPACE/" + text;
    PolicyPath path;
    try {
      path = PolicyPath.parse(written);
    } catch (PolicyException e) {
      throw fail(n, field, SafeText.quoted(text) + " is not accepted" + accepted);
    }
    if (path.root() != PolicyPath.Root.WORKSPACE || path.rest().isEmpty() || path.rest().startsWith("@")) {
      throw fail(n, field, SafeText.quoted(text) + " is not inside the workspace" + accepted);
    }
    return path;
  }

  private String passedVariable(Node n, String field) {
    String name = matching(n, field, ENV_NAME, "an environment variable name such as ANTHROPIC_API_KEY");
    if (name.startsWith(RegistryPolicy.HOST_CONFIGURATION_PREFIX)) {
      throw fail(n, field, name + " is Taskbound's own host configuration and never reaches the agent; accepted: any"
          + " other variable");
    }
    return name;
  }

  // ---- spec.vault ----

  private static final Pattern VAULT_POLICY = Pattern.compile("[A-Za-z0-9._-]{1,128}");
  private static final Pattern SECRET_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
  /** Vault paths are short; a longer one is refused before its segments are looked at. */
  static final int MAX_VAULT_PATH = 1024;
  private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,127}");
  private static final Pattern FILE_NAME = Pattern.compile("[A-Za-z0-9._-]{1,128}");
  private static final Pattern NUM_USES = Pattern.compile("[1-9][0-9]{0,8}");
  private static final String ACCESS_ACCEPTED = "env, file, on-request";

  private Located<VaultLayer> vault(NodeTuple t, String p) {
    Map<String, NodeTuple> m = mapping(t.getValueNode(), p, VAULT_KEYS);
    Located<List<Located<String>>> policies = null;
    if (m.containsKey("policies")) {
      policies = list(m.get("policies"), p + ".policies", (n, f) -> matching(n, f, VAULT_POLICY,
          "a Vault policy name of 1-128 of A-Z, a-z, 0-9, '.', '_', '-'"));
      if (policies.value().isEmpty()) {
        throw fail(m.get("policies").getValueNode(), p + ".policies", "empty; accepted: a non-empty list of Vault"
            + " policy names");
      }
    }
    Located<Duration> ttl = m.containsKey("ttl") ? scalar(m.get("ttl"), p + ".ttl", this::duration) : null;
    Located<Long> numUses = m.containsKey("numUses") ? scalar(m.get("numUses"), p + ".numUses", this::numUses) : null;
    Located<List<Located<VaultSecretPolicy>>> secrets = null;
    if (m.containsKey("secrets")) {
      secrets = list(m.get("secrets"), p + ".secrets", this::vaultSecret);
      Map<String, Located<VaultSecretPolicy>> names = new LinkedHashMap<>();
      Map<String, Located<VaultSecretPolicy>> targets = new LinkedHashMap<>();
      for (Located<VaultSecretPolicy> s : secrets.value()) {
        Located<VaultSecretPolicy> first = names.putIfAbsent(s.value().name(), s);
        if (first != null) {
          throw new PolicyException(s.where() + ".name: " + s.value().name() + " is named twice (first at "
              + first.at() + "); accepted: unique secret names");
        }
        String target = s.value().env().map(e -> "env " + e).or(() -> s.value().file().map(f -> "file " + f))
            .orElse(null);
        if (target != null && (first = targets.putIfAbsent(target, s)) != null) {
          throw new PolicyException(s.where() + ": " + target + " is also used by " + first.value().name()
              + " (" + first.at() + "); accepted: one secret per variable or file");
        }
      }
    }
    return new Located<>(new VaultLayer(policies, ttl, numUses, secrets), at(t.getKeyNode()), p);
  }

  private long numUses(Node n, String field) {
    if (!(n instanceof ScalarNode) || !n.getTag().equals(Tag.INT)) {
      throw fail(n, field, "expected a whole number, got " + describe(n) + "; accepted: a whole number from 1 to"
          + " 999999999 (unquoted)");
    }
    String text = ((ScalarNode) n).getValue();
    if (!NUM_USES.matcher(text).matches()) {
      throw fail(n, field, SafeText.quoted(text) + " is not accepted; accepted: a whole number from 1 to 999999999");
    }
    return Long.parseLong(text);
  }

  private VaultSecretPolicy vaultSecret(Node n, String field) {
    Map<String, NodeTuple> m = mapping(n, field, VAULT_SECRET_KEYS);
    for (String key : List.of("name", "kind", "path")) {
      if (!m.containsKey(key)) {
        throw fail(n, field + "." + key, "missing; a secret needs name, kind and path");
      }
    }
    String name = matching(m.get("name").getValueNode(), field + ".name", SECRET_NAME,
        "1-64 of A-Z, a-z, 0-9, '.', '_', '-', starting with a letter or digit");
    VaultSecretPolicy.Kind kind = enumValue(m.get("kind").getValueNode(), field + ".kind", VaultSecretPolicy.Kind.class);
    Node pathNode = m.get("path").getValueNode();
    String path = vaultPath(pathNode, field + ".path");
    if (path.contains("..")) {
      throw fail(pathNode, field + ".path", SafeText.quoted(path) + " contains '..'; accepted: a path without '..'");
    }
    java.util.Optional<String> fieldName = m.containsKey("field")
        ? java.util.Optional.of(string(m.get("field").getValueNode(), field + ".field"))
        : java.util.Optional.empty();
    java.util.Optional<String> env = m.containsKey("env")
        ? java.util.Optional.of(matching(m.get("env").getValueNode(), field + ".env", ENV_NAME,
            "an environment variable name such as API_KEY"))
        : java.util.Optional.empty();
    java.util.Optional<String> file = m.containsKey("file")
        ? java.util.Optional.of(matching(m.get("file").getValueNode(), field + ".file", FILE_NAME,
            "a plain file name such as db.json (no directory)"))
        : java.util.Optional.empty();
    java.util.Optional<Duration> wrap = m.containsKey("wrap")
        ? java.util.Optional.of(duration(m.get("wrap").getValueNode(), field + ".wrap"))
        : java.util.Optional.empty();
    VaultSecretPolicy.Access access = access(m, n, field, env.isPresent(), file.isPresent());
    return new VaultSecretPolicy(name, kind, path, fieldName, env, file, wrap, access);
  }

  /**
   * Two or more non-empty segments separated by '/': the first of A-Z, a-z, 0-9, '.', '_', '-', the
   * others also '@'. Checked in one pass (a repeated regex group recursed once per segment and
   * overflowed the stack on long paths); O(n), n at most {@link #MAX_VAULT_PATH}.
   */
  private String vaultPath(Node n, String field) {
    String text = string(n, field);
    String accepted = "; accepted: a Vault path of two or more segments such as secret/app/config or"
        + " database/creds/readonly";
    if (text.length() > MAX_VAULT_PATH) {
      throw fail(n, field, SafeText.quoted(text) + " is " + text.length() + " characters long; at most "
          + MAX_VAULT_PATH + accepted);
    }
    int segments = 1;
    int segmentLength = 0;
    boolean ok = !text.isEmpty();
    for (int i = 0; i < text.length() && ok; i++) {
      char c = text.charAt(i);
      if (c == '/') {
        ok = segmentLength > 0;
        segments++;
        segmentLength = 0;
      } else {
        ok = c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
            || c == '@' && segments > 1;
        segmentLength++;
      }
    }
    if (!ok || segments < 2 || segmentLength == 0) {
      throw fail(n, field, SafeText.quoted(text) + " is not accepted" + accepted);
    }
    return text;
  }

  /** {@code access}, defaulting to how the secret is exposed; it must agree with env and file. */
  private VaultSecretPolicy.Access access(Map<String, NodeTuple> m, Node secret, String field, boolean env,
      boolean file) {
    if (env && file) {
      throw fail(m.get("file").getKeyNode(), field + ".file", "given together with env; accepted: exactly one of"
          + " env and file, or neither with access: on-request");
    }
    if (!m.containsKey("access")) {
      if (!env && !file) {
        throw fail(secret, field, "says neither env nor file; accepted: env: NAME, file: NAME, or access:"
            + " on-request");
      }
      return env ? VaultSecretPolicy.Access.ENV : VaultSecretPolicy.Access.FILE;
    }
    Node an = m.get("access").getValueNode();
    String text = string(an, field + ".access");
    VaultSecretPolicy.Access access = null;
    for (VaultSecretPolicy.Access a : VaultSecretPolicy.Access.values()) {
      if (a.yamlName().equals(text)) {
        access = a;
      }
    }
    if (access == null) {
      throw fail(an, field + ".access", SafeText.quoted(text) + " is not accepted; accepted: " + ACCESS_ACCEPTED);
    }
    boolean agrees = switch (access) {
      case ENV -> env;
      case FILE -> file;
      case ON_REQUEST -> !env && !file;
    };
    if (!agrees) {
      throw fail(an, field + ".access", access.yamlName() + (access == VaultSecretPolicy.Access.ON_REQUEST
          ? " is never put into the environment or a file; accepted: remove env and file"
          : " needs " + access.yamlName() + ": NAME; accepted: " + access.yamlName() + " with " + access.yamlName()
              + ": NAME"));
    }
    return access;
  }

  // ---- spec.registries (issue 4) ----

  private static final Pattern NPM_SCOPE = Pattern.compile("@[a-z0-9][a-z0-9._~-]*");
  private static final Pattern MAVEN_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
  private static final Pattern MIRROR_OF = Pattern.compile("[A-Za-z0-9*!,._:-]{1,200}");
  private static final Pattern URL_PREFIX = Pattern.compile("[\\x21-\\x7e&&[^\"\\\\]]{1,512}");
  private static final int MAX_URL = 512;
  private static final Pattern USERNAME = Pattern.compile("[\\x21-\\x7e&&[^:]]{1,256}");
  private static final Map<RegistryPolicy.Kind, List<String>> REGISTRY_KEYS_BY_KIND = Map.of(
      RegistryPolicy.Kind.NPM, List.of("kind", "url", "scope", "token"),
      RegistryPolicy.Kind.PYPI, List.of("kind", "url", "credentials"),
      RegistryPolicy.Kind.MAVEN, List.of("kind", "url", "id", "mirrorOf", "credentials"),
      RegistryPolicy.Kind.GIT, List.of("kind", "url", "insteadOf"),
      RegistryPolicy.Kind.MODEL, List.of("kind", "url", "header", "token"));
  private static final Pattern HEADER_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9-]{0,63}");

  private RegistryPolicy registry(Node n, String field) {
    Map<String, NodeTuple> m = mapping(n, field, REGISTRY_KEYS);
    for (String key : List.of("kind", "url")) {
      if (!m.containsKey(key)) {
        throw fail(n, field + "." + key, "missing; a registry needs kind and url");
      }
    }
    RegistryPolicy.Kind kind = enumValue(m.get("kind").getValueNode(), field + ".kind", RegistryPolicy.Kind.class);
    List<String> keys = REGISTRY_KEYS_BY_KIND.get(kind);
    for (NodeTuple t : m.values()) {
      String key = ((ScalarNode) t.getKeyNode()).getValue();
      if (!keys.contains(key)) {
        throw fail(t.getKeyNode(), field + "." + key, "not accepted for kind: " + kind.yamlName() + "; accepted: "
            + String.join(", ", keys));
      }
    }
    URI url = registryUrl(m.get("url").getValueNode(), field + ".url");
    java.util.Optional<String> scope = optional(m, "scope", (v, f) -> matching(v, f, NPM_SCOPE,
        "an npm scope in lower case such as @acme"), field);
    java.util.Optional<String> id = optional(m, "id", (v, f) -> matching(v, f, MAVEN_ID,
        "1-64 of A-Z, a-z, 0-9, '.', '_', '-', starting with a letter or digit"), field);
    if (kind == RegistryPolicy.Kind.MAVEN && id.isEmpty()) {
      throw fail(n, field + ".id", "missing; a maven registry needs an id such as corp (its mirror and server id)");
    }
    java.util.Optional<String> mirrorOf = optional(m, "mirrorOf", (v, f) -> matching(v, f, MIRROR_OF,
        "repository ids, '*', 'external:*' or '!id', separated by commas, such as central"), field);
    if (kind == RegistryPolicy.Kind.MAVEN && mirrorOf.isEmpty()) {
      mirrorOf = java.util.Optional.of("central");
    }
    List<String> insteadOf = List.of();
    if (m.containsKey("insteadOf")) {
      Located<List<Located<String>>> prefixes = list(m.get("insteadOf"), field + ".insteadOf", (v, f) -> matching(v,
          f, URL_PREFIX, "a URL prefix such as https://github.com/ or git@github.com: (printable, no spaces, quotes"
              + " or backslashes)"));
      noDuplicates(prefixes);
      insteadOf = prefixes.value().stream().map(Located::value).toList();
    }
    if (kind == RegistryPolicy.Kind.GIT && insteadOf.isEmpty()) {
      throw fail(n, field + ".insteadOf", "missing or empty; a git registry needs the URL prefixes it replaces, such"
          + " as [https://github.com/]");
    }
    java.util.Optional<String> token = optional(m, "token", this::secretRef, field);
    java.util.Optional<RegistryPolicy.Credentials> credentials = optional(m, "credentials", this::credentials, field);
    for (String key : List.of("token", "credentials")) {
      if (m.containsKey(key) && "http".equals(url.getScheme())) {
        throw fail(m.get(key).getKeyNode(), field + "." + key, "would be sent in clear text to " + url
            + "; accepted: an https:// url for a registry with a " + key);
      }
    }
    java.util.Optional<String> header = java.util.Optional.empty();
    if (kind == RegistryPolicy.Kind.MODEL) {
      header = java.util.Optional.of(optional(m, "header", (v, f) -> matching(v, f, HEADER_NAME,
          "an HTTP header name such as x-api-key or authorization"), field).orElse("authorization")
          .toLowerCase(java.util.Locale.ROOT));
      if (token.isEmpty()) {
        throw fail(n, field + ".token", "missing; a model registry needs the host variable holding the API key, such as"
            + " token: {env: ANTHROPIC_API_KEY}");
      }
    }
    return new RegistryPolicy(kind, url, scope, id, mirrorOf, insteadOf, token, credentials, header);
  }

  private <T> java.util.Optional<T> optional(Map<String, NodeTuple> m, String key, BiFunction<Node, String, T> parser,
      String field) {
    return m.containsKey(key)
        ? java.util.Optional.of(parser.apply(m.get(key).getValueNode(), field + "." + key))
        : java.util.Optional.empty();
  }

  private URI registryUrl(Node n, String field) {
    String text = string(n, field);
    // user info first, before anything quotes the text: an '@' in the authority is user info even
    // where the text is no URI ("https://u:p^ss@h/") or too long to be one
    int authority = text.indexOf("//");
    String rest = authority < 0 ? "" : text.substring(authority + 2).split("[/?#]", 2)[0];
    if (rest.contains("@")) {
      throw fail(n, field, "contains user info (not shown); accepted: a URL without user info, with the credential in"
          + " token: {env: NAME} or credentials: {username: NAME, password: {env: NAME}}");
    }
    if (text.length() > MAX_URL) {
      throw fail(n, field, SafeText.quoted(text) + " is " + text.length() + " characters long; accepted: at most "
          + MAX_URL);
    }
    URI url;
    try {
      url = new URI(text);
    } catch (URISyntaxException e) {
      url = null;
    }
    boolean ok = url != null && ("http".equals(url.getScheme()) || "https".equals(url.getScheme()))
        && url.getHost() != null && url.getRawQuery() == null && url.getRawFragment() == null
        && URL_PREFIX.matcher(text).matches() && text.chars().noneMatch(c -> c == '<' || c == '>');
    if (!ok) {
      throw fail(n, field, SafeText.quoted(text) + " is not accepted; accepted: an http:// or https:// URL with a host, without"
          + " user info, query or fragment, such as https://registry.npmjs.org/");
    }
    if (url.getPort() != -1 && (url.getPort() < 1 || url.getPort() > 65535)) {
      throw fail(n, field, SafeText.quoted(text) + ": port " + url.getPort() + " is out of range; accepted: 1-65535"
          + " or no port");
    }
    return url;
  }

  /** {@code {env: NAME}}: the name of the host environment variable holding a secret. */
  private String secretRef(Node n, String field) {
    if (!(n instanceof MappingNode)) { // the secret itself, typed where its variable's name belongs: never quoted
      throw fail(n, field, "expected {env: NAME}, the host environment variable holding the secret, got "
          + withoutValue(n));
    }
    Map<String, NodeTuple> m = mapping(n, field, SECRET_REF_KEYS);
    if (!m.containsKey("env")) {
      throw fail(n, field + ".env", "missing; accepted: {env: NAME}, the host environment variable holding the"
          + " secret");
    }
    String name = matching(m.get("env").getValueNode(), field + ".env", ENV_NAME,
        "an environment variable name such as NPM_READ_TOKEN");
    if (name.startsWith(RegistryPolicy.HOST_CONFIGURATION_PREFIX)) {
      // the App key, Vault's secret id or token: a registry entry would hand them to its host
      throw fail(m.get("env").getValueNode(), field + ".env", name + " is Taskbound's own host configuration and never"
          + " becomes a registry's credential; accepted: any other variable");
    }
    return name;
  }

  private RegistryPolicy.Credentials credentials(Node n, String field) {
    Map<String, NodeTuple> m = mapping(n, field, CREDENTIALS_KEYS);
    for (String key : CREDENTIALS_KEYS) {
      if (!m.containsKey(key)) {
        throw fail(n, field + "." + key, "missing; accepted: {username: NAME, password: {env: NAME}}");
      }
    }
    String username = matching(m.get("username").getValueNode(), field + ".username", USERNAME,
        "printable ASCII without spaces or ':'");
    return new RegistryPolicy.Credentials(username, secretRef(m.get("password").getValueNode(), field + ".password"));
  }

  // ---- egress presets and allowPrivate (issue 3) ----

  /**
   * Expands {@code presets: [npm, github]} into allow rules appended to the layer's {@code allow}
   * (which it creates when absent), each with the provenance {@code preset npm (file:line)}, so that
   * narrowing checks them exactly like rules written out.
   */
  private Located<List<Located<EgressRule>>> withPresets(
      Located<List<Located<EgressRule>>> allow, NodeTuple t, String field) {
    Located<List<Located<String>>> names = list(t, field, this::presetName);
    noDuplicates(names);
    List<Located<EgressRule>> rules = new ArrayList<>(allow == null ? List.of() : allow.value());
    for (Located<String> name : names.value()) {
      Provenance from = new Provenance("preset " + name.value() + " (" + name.at() + ")", 0);
      for (EgressRule r : presets().get(name.value()).orElseThrow().rules()) {
        rules.add(new Located<>(r, from, name.field()));
      }
    }
    return new Located<>(Collections.unmodifiableList(rules), allow == null ? names.at() : allow.at(),
        allow == null ? names.field() : allow.field());
  }

  /**
   * An allow rule or pin naming a cloud metadata address can never work (the gateway always refuses
   * them), so it is an error here rather than a surprise at run time. Deny rules may name them.
   */
  private static void noMetadata(Located<List<Located<EgressRule>>> allow, Located<Map<String, Located<String>>> hosts) {
    if (allow != null) {
      for (Located<EgressRule> r : allow.value()) {
        HostPattern host = r.value().host();
        if (host.kind() == HostPattern.Kind.IP) {
          metadataCheck(r, host.value());
        } else if (host.kind() == HostPattern.Kind.CIDR) {
          IpRange range = IpRange.parse(host.value());
          SpecialAddresses.metadataIn(range).ifPresent(m -> {
            throw new PolicyException(r.where() + ": CIDR block " + host + " contains the cloud metadata address " + m
                + ", which the gateway always refuses; accepted: blocks that leave out every metadata address"
                + " (see docs/egress.md#the-address-guard)");
          });
        }
      }
    }
    if (hosts != null) {
      hosts.value().values().forEach(pin -> metadataCheck(pin, pin.value()));
    }
  }

  private static void metadataCheck(Located<?> where, String ip) {
    InetAddress a = IpLiteral.parse(ip).address();
    if (SpecialAddresses.classify(a).filter(k -> k == SpecialAddresses.Kind.METADATA).isPresent()) {
      throw new PolicyException(where.where() + ": " + ip + " is a cloud metadata address, which the gateway always"
          + " refuses; accepted: any other address (see docs/egress.md#the-address-guard)");
    }
  }

  private String presetName(Node n, String field) {
    String text = string(n, field);
    if (presets().get(text).isEmpty()) {
      throw fail(n, field, "unknown preset " + SafeText.quoted(text) + "; known: " + String.join(", ", presets().names()));
    }
    return text;
  }

  /** YAML 1.2 booleans only: {@code true} or {@code false}, never {@code yes}, {@code on} or {@code True}. */
  private Boolean bool(Node n, String field) {
    if (n instanceof ScalarNode && n.getTag().equals(Tag.BOOL)) {
      String v = ((ScalarNode) n).getValue();
      if (v.equals("true") || v.equals("false")) {
        return Boolean.valueOf(v);
      }
    }
    String hint = n instanceof ScalarNode && YAML11_BOOLEANS.contains(((ScalarNode) n).getValue())
        ? " (YAML 1.2 has no other booleans; yes, no, on, off and capitalised forms are not booleans here)"
        : "";
    throw fail(n, field, "expected true or false, got " + describe(n) + hint);
  }

  private static final Set<String> YAML11_BOOLEANS = Set.of("y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO",
      "True", "TRUE", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF");

  // ---- value parsers: (node, field) -> value, failing with the location ----

  private String audience(Node n, String field) {
    return matching(n, field, AUDIENCE, "1-256 printable ASCII characters without spaces, such as taskbound");
  }

  private Duration duration(Node n, String field) {
    return parsed(n, field, DurationFormat::parse);
  }

  private EgressRule rule(Node n, String field) {
    return parsed(n, field, EgressRule::parse);
  }

  /** Parses a string scalar with a value parser, prefixing its one-line error with the location. */
  private <T> T parsed(Node n, String field, Function<String, T> parser) {
    String text = string(n, field);
    try {
      return parser.apply(text);
    } catch (TaskboundException e) {
      throw fail(n, field, e.getMessage());
    }
  }

  private String repository(Node n, String field) {
    String text = string(n, field);
    String lower = text.toLowerCase(Locale.ROOT);
    if (!REPOSITORY.matcher(lower).matches() || lower.endsWith("/.") || lower.endsWith("/..")) {
      throw fail(n, field, SafeText.quoted(text) + " is not a repository; accepted: owner/name such as acme/app, or owner/*"
          + " for every repository of the owner");
    }
    return lower;
  }

  private GateRule gateRule(Node n, String field) {
    Map<String, NodeTuple> m = mapping(n, field, RULE_KEYS);
    for (String key : RULE_KEYS) {
      if (!m.containsKey(key)) {
        throw fail(n, field + "." + key, "missing; a rule needs action and decision");
      }
    }
    Node an = m.get("action").getValueNode();
    String action = string(an, field + ".action");
    if (!GateRule.isValidAction(action)) {
      throw fail(an, field + ".action", SafeText.quoted(action) + " is not an action; accepted: " + GateRule.ACCEPTED_ACTIONS);
    }
    return new GateRule(action, enumValue(m.get("decision").getValueNode(), field + ".decision", GateDecision.class));
  }

  private String hookAgent(Node n, String field) {
    String agent = string(n, field);
    if (!HookPolicy.KNOWN_AGENTS.contains(agent)) {
      throw fail(n, field, SafeText.quoted(agent) + " is not an agent whose hooks Taskbound installs; accepted: "
          + String.join(", ", HookPolicy.KNOWN_AGENTS));
    }
    return agent;
  }

  private ToolRule toolRule(Node n, String field) {
    Map<String, NodeTuple> m = mapping(n, field, TOOL_RULE_KEYS);
    for (String key : List.of("action", "decision")) {
      if (!m.containsKey(key)) {
        throw fail(n, field + "." + key, "missing; a tool rule needs action and decision (match and reason are optional)");
      }
    }
    Node an = m.get("action").getValueNode();
    String action = string(an, field + ".action");
    if (!ToolRule.isValidAction(action)) {
      throw fail(an, field + ".action", SafeText.quoted(action) + " is not a tool action; accepted: " + ToolRule.ACCEPTED_ACTIONS);
    }
    String match = "*";
    if (m.containsKey("match")) {
      Node mn = m.get("match").getValueNode();
      match = string(mn, field + ".match");
      if (match.isEmpty() || match.length() > 512 || match.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
        throw fail(mn, field + ".match", SafeText.quoted(match) + " is not accepted; accepted: 1-512 printable characters"
            + " (a command pattern for tool.bash, a path glob for tool.write, a host for tool.web_fetch)");
      }
    }
    Optional<String> reason = Optional.empty();
    if (m.containsKey("reason")) {
      Node rn = m.get("reason").getValueNode();
      String text = string(rn, field + ".reason");
      if (text.isBlank() || text.length() > 300 || text.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
        throw fail(rn, field + ".reason", "is not accepted; accepted: one line of 1-300 printable characters");
      }
      reason = Optional.of(text);
    }
    return new ToolRule(action, match, enumValue(m.get("decision").getValueNode(), field + ".decision", GateDecision.class), reason);
  }

  private Located<Map<String, Located<String>>> hosts(NodeTuple t, String field) {
    Map<String, Located<String>> pins = new LinkedHashMap<>();
    for (Map.Entry<String, NodeTuple> e : mapping(t.getValueNode(), field, null).entrySet()) {
      Node keyNode = e.getValue().getKeyNode();
      String name = hostName(keyNode, field + "[" + e.getKey() + "]", e.getKey());
      String f = field + "[" + name + "]";
      Node vn = e.getValue().getValueNode();
      String ip = ipLiteral(vn, f);
      Located<String> previous = pins.put(name, new Located<>(ip, at(keyNode), f));
      if (previous != null) {
        throw fail(keyNode, f, "pins " + name + " a second time (first at " + previous.at() + ")");
      }
    }
    return new Located<>(Collections.unmodifiableMap(pins), at(t.getKeyNode()), field);
  }

  private String hostName(Node keyNode, String field, String text) {
    HostPattern p;
    try {
      p = HostPattern.parse(text);
    } catch (EgressRuleException e) {
      throw fail(keyNode, field, e.getMessage());
    }
    if (p.kind() != HostPattern.Kind.EXACT) {
      throw fail(keyNode, field, SafeText.quoted(text) + " is not a host name; accepted: an exact name such as api.demo.test"
          + " (no wildcard, no IP literal)");
    }
    return p.value();
  }

  private String ipLiteral(Node n, String field) {
    String text = string(n, field);
    String reason = "is not an IP literal";
    try {
      HostPattern p = HostPattern.parse(text);
      if (p.kind() == HostPattern.Kind.IP) {
        return p.value();
      }
    } catch (EgressRuleException e) {
      reason = "is not a valid IP literal";
    }
    throw fail(n, field, SafeText.quoted(text) + " " + reason + "; accepted: an IPv4 address such as 127.0.0.1 or an IPv6"
        + " address such as ::1");
  }

  private Located<Map<String, Located<Permission>>> permissions(NodeTuple t, String field) {
    Map<String, Located<Permission>> perms = new LinkedHashMap<>();
    for (Map.Entry<String, NodeTuple> e : mapping(t.getValueNode(), field, null).entrySet()) {
      Node keyNode = e.getValue().getKeyNode();
      String f = field + "." + e.getKey();
      if (!PERMISSION_NAME.matcher(e.getKey()).matches()) {
        throw fail(keyNode, f, SafeText.quoted(e.getKey()) + " is not a permission name; accepted: lower-case GitHub App"
            + " permission names with '_', such as contents, pull_requests");
      }
      Permission p = enumValue(e.getValue().getValueNode(), f, Permission.class);
      perms.put(e.getKey(), new Located<>(p, at(keyNode), f));
    }
    return new Located<>(Collections.unmodifiableMap(perms), at(t.getKeyNode()), field);
  }

  private <E extends Enum<E>> E enumValue(Node n, String field, Class<E> type) {
    return parsed(n, field, text -> PolicyEnums.parse(type, text));
  }

  private String name(Node n, String field) {
    return matching(n, field, NAME, NAME_ACCEPTED);
  }

  private String matching(Node n, String field, Pattern pattern, String accepted) {
    String text = string(n, field);
    if (!pattern.matcher(text).matches()) {
      throw fail(n, field, SafeText.quoted(text) + " is not accepted; accepted: " + accepted);
    }
    return text;
  }

  // ---- structure ----

  private <T> Located<T> scalar(NodeTuple t, String field, BiFunction<Node, String, T> parser) {
    return new Located<>(parser.apply(t.getValueNode(), field), at(t.getKeyNode()), field);
  }

  private <T> Located<List<Located<T>>> list(NodeTuple t, String field, BiFunction<Node, String, T> element) {
    Node n = t.getValueNode();
    if (!(n instanceof SequenceNode)) {
      String of = field.endsWith(".rules") || field.endsWith(".tools") ? "rules" : field.endsWith(".registries") ? "registries" : "strings";
      throw fail(n, field, "expected a list of " + of + ", got " + describe(n));
    }
    List<Located<T>> out = new ArrayList<>();
    List<Node> items = ((SequenceNode) n).getValue();
    for (int i = 0; i < items.size(); i++) {
      String f = field + "[" + i + "]";
      out.add(new Located<>(element.apply(items.get(i), f), at(items.get(i)), f));
    }
    return new Located<>(Collections.unmodifiableList(out), at(t.getKeyNode()), field);
  }

  private static <T> void noDuplicates(Located<List<Located<T>>> list) {
    Map<T, Located<T>> seen = new LinkedHashMap<>();
    for (Located<T> item : list.value()) {
      Located<T> first = seen.putIfAbsent(item.value(), item);
      if (first != null) {
        throw new PolicyException(item.where() + ": listed twice (first as " + first.field() + ")");
      }
    }
  }

  /**
   * The entries of a mapping node, in order, rejecting non-string keys, duplicate keys and (when
   * {@code accepted} is not null) keys outside {@code accepted}.
   */
  private Map<String, NodeTuple> mapping(Node n, String path, List<String> accepted) {
    if (!(n instanceof MappingNode)) {
      // a whole document is never quoted: a policy path may be a link to a credential file
      throw fail(n, path.isEmpty() ? "(document)" : path, "expected a mapping, got "
          + (path.isEmpty() ? withoutValue(n) : describe(n)));
    }
    Map<String, NodeTuple> out = new LinkedHashMap<>();
    for (NodeTuple t : ((MappingNode) n).getValue()) {
      Node k = t.getKeyNode();
      String field0 = path.isEmpty() ? "" : path + ".";
      if (!(k instanceof ScalarNode) || k.getTag().equals(Tag.NULL)) {
        throw fail(k, path.isEmpty() ? "(document)" : path, "expected a string key, got " + describe(k));
      }
      String key = ((ScalarNode) k).getValue();
      if (accepted != null && !accepted.contains(key)) {
        throw fail(k, field0 + key, "unknown key; accepted: " + String.join(", ", accepted));
      }
      NodeTuple first = out.putIfAbsent(key, t);
      if (first != null) {
        throw fail(k, field0 + key, "duplicate key (first at line " + line(first.getKeyNode()) + ")");
      }
    }
    return out;
  }

  /**
   * A string scalar: plain text that YAML 1.2 does not read as a boolean, number or null, or any
   * quoted text. {@code name: 42} and {@code action: true} are errors naming the field, not the
   * strings "42" and "true".
   */
  private String string(Node n, String field) {
    if (!(n instanceof ScalarNode) || !n.getTag().equals(Tag.STR)) {
      String hint = n instanceof ScalarNode && isImplicitNonString(n)
          ? "; accepted: a string (quote it, as in '" + SafeText.value(((ScalarNode) n).getValue()) + "', to mean the text)"
          : "";
      throw fail(n, field, "expected a string, got " + describe(n) + hint);
    }
    return ((ScalarNode) n).getValue();
  }

  private static boolean isImplicitNonString(Node n) {
    Tag t = n.getTag();
    return t.equals(Tag.BOOL) || t.equals(Tag.INT) || t.equals(Tag.FLOAT);
  }

  /** A scalar's text, or what kind of node it is. */
  private static String shown(Node n) {
    return n instanceof ScalarNode && !n.getTag().equals(Tag.NULL) ? ((ScalarNode) n).getValue() : describe(n);
  }

  /** What {@code n} is, never what it says: {@code a string of 41 characters}. */
  private static String withoutValue(Node n) {
    if (n instanceof ScalarNode && n.getTag().equals(Tag.STR)) {
      return "a string of " + ((ScalarNode) n).getValue().length() + " characters (not shown)";
    }
    return n instanceof ScalarNode && !n.getTag().equals(Tag.NULL) ? "a single value (not shown)" : describe(n);
  }

  private static String describe(Node n) {
    if (n instanceof MappingNode) {
      return "a mapping";
    }
    if (n instanceof SequenceNode) {
      return "a list";
    }
    Tag tag = n.getTag();
    String value = ((ScalarNode) n).getValue();
    if (tag.equals(Tag.NULL)) {
      return "nothing (null)";
    }
    if (tag.equals(Tag.BOOL)) {
      return "the boolean " + SafeText.value(value);
    }
    if (tag.equals(Tag.INT) || tag.equals(Tag.FLOAT)) {
      return "the number " + SafeText.value(value);
    }
    if (!tag.equals(Tag.STR)) {
      return "a value tagged " + SafeText.value(tag.getValue());
    }
    return "the string " + SafeText.quoted(value);
  }

  private PolicyException fail(Node n, String field, String message) {
    return new PolicyException(at(n) + ": " + field + ": " + message);
  }

  private Provenance at(Node n) {
    return new Provenance(file, line(n));
  }

  private static int line(Node n) {
    return n.getStartMark().getLine() + 1;
  }

  /** All keys of {@link #acceptedKeys()}, flattened. */
  static Set<String> allAcceptedKeys() {
    Set<String> all = new TreeSet<>();
    acceptedKeys().values().forEach(all::addAll);
    return all;
  }
}
