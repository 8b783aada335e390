package dev.taskbound.core.session;

import dev.taskbound.core.Json;
import dev.taskbound.core.broker.BrokerException;
import dev.taskbound.core.broker.CredentialBroker;
import dev.taskbound.core.broker.RevocationContext;
import dev.taskbound.core.broker.VaultTokenSource;
import dev.taskbound.core.broker.github.GithubAppConfig;
import dev.taskbound.core.broker.github.GithubBroker;
import dev.taskbound.core.broker.vault.VaultBroker;
import dev.taskbound.core.broker.vault.VaultBrokerConfig;
import dev.taskbound.core.broker.vault.VaultChildToken;
import dev.taskbound.core.broker.vault.VaultSecretSpec;
import dev.taskbound.core.broker.Retry;
import dev.taskbound.core.gate.AccessAction;
import dev.taskbound.core.gate.GateRules;
import dev.taskbound.core.policy.EffectivePolicy;
import dev.taskbound.core.policy.GateDecision;
import dev.taskbound.core.policy.VaultPolicy;
import dev.taskbound.core.policy.VaultSecretPolicy;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Which brokers a session runs, configured from the effective policy (what may be granted) and the
 * host's {@link CredentialSources} (how to authenticate). Built before anything is created, so a
 * mismatch between the two fails the run with nothing to undo. Immutable once built.
 */
final class CredentialPlan {
  private final Optional<GithubBroker> github;
  private final Optional<VaultBroker> vault;
  private final EffectivePolicy policy;
  /** Credentials another host issued for this session, instead of this host's brokers. */
  private final Optional<HandedOffBroker> handedOff;
  /** Where the GitHub token is used: the App source's API, or this host's for handed-off credentials. */
  private final Optional<java.net.URI> githubApi;
  /** The brokers' clock, which also judges at teardown whether their tokens have expired. */
  private final Clock clock;

  private CredentialPlan(EffectivePolicy policy, Optional<GithubBroker> github, Optional<VaultBroker> vault,
      Optional<java.net.URI> githubApi, Clock clock) {
    this.policy = policy;
    this.github = github;
    this.vault = vault;
    this.handedOff = Optional.empty();
    this.githubApi = githubApi;
    this.clock = clock;
  }

  private CredentialPlan(EffectivePolicy policy, HandedOffBroker handedOff, java.net.URI githubApi) {
    this.policy = policy;
    this.github = Optional.empty();
    this.vault = Optional.empty();
    this.handedOff = Optional.of(handedOff);
    this.githubApi = Optional.of(githubApi);
    this.clock = Clock.systemUTC();
  }

  /**
   * The GitHub API the session's token is used at (App source or hand-off alike), for the action
   * table's GitHub Enterprise entries and the token's placeholder hosts; empty when this host has no
   * GitHub source.
   */
  Optional<java.net.URI> githubApi() {
    return githubApi;
  }

  /**
   * @throws BrokerException (exit 122) if the policy asks for GitHub or Vault credentials the host
   *     has not configured, the host configures a service the policy grants nothing from, or the
   *     policy's grant cannot be expressed as a token request ({@code owner/*} beside other entries, no
   *     permission)
   */
  static CredentialPlan of(EffectivePolicy policy, CredentialSources sources, Clock clock) {
    return new CredentialPlan(policy, github(policy, sources), vault(policy, sources, clock),
        sources.github().map(CredentialSources.GithubApp::apiUrl), clock);
  }

  /**
   * A plan that issues the credentials handed off by another host ({@code taskbound credentials
   * issue}), which must grant exactly what {@code policy} grants: the same credentials, each with the
   * same scope. This host must configure no GitHub App or Vault login of its own.
   *
   * @throws BrokerException (exit 122) naming the credential whose scope differs, the one missing,
   *     the one the policy does not grant, or a variable or file name the policy would not give it
   *     ({@link PolicyExposure})
   */
  static CredentialPlan handedOff(EffectivePolicy policy, CredentialHandoff handoff, CredentialSources sources,
      String githubApi) {
    if (sources.github().isPresent() || sources.vault().isPresent()) {
      throw mismatch("handoff", "credentials were handed off (--credentials-handoff) and this host configures its own"
          + " (" + sources + "); accepted: one of the two; unset TASKBOUND_GITHUB_APP_* and TASKBOUND_VAULT_*");
    }
    for (CredentialHandoff.Entry e : handoff.entries()) {
      // The token is revoked at this host's API, never at an address the file names.
      if (e.apiUrl().isPresent() && !sameApi(e.apiUrl().get(), githubApi)) {
        throw mismatch("handoff", "'" + e.credential().name() + "' names the GitHub API "
            + dev.taskbound.core.SafeText.quoted(e.apiUrl().get()) + " but this host's is " + githubApi
            + "; accepted: the same TASKBOUND_GITHUB_API_URL on both hosts (default " + GithubAppConfig.GITHUB_COM + ")");
      }
    }
    java.net.URI api;
    try {
      api = new java.net.URI(githubApi.strip());
    } catch (java.net.URISyntaxException e) {
      throw mismatch("handoff", "TASKBOUND_GITHUB_API_URL " + dev.taskbound.core.SafeText.quoted(githubApi)
          + " is not a URL; accepted: https://api.github.com or a GitHub Enterprise https://host/api/v3");
    }
    if (api.getHost() == null) {
      throw mismatch("handoff", "TASKBOUND_GITHUB_API_URL " + dev.taskbound.core.SafeText.quoted(githubApi)
          + " names no host; accepted: https://api.github.com or a GitHub Enterprise https://host/api/v3");
    }
    CredentialPlan plan = new CredentialPlan(policy, new HandedOffBroker(handoff, githubApi), api);
    java.util.Set<String> expected = new java.util.TreeSet<>(plan.grantedNames());
    java.util.Set<String> given = new java.util.TreeSet<>();
    for (CredentialHandoff.Entry e : handoff.entries()) {
      plan.checkGranted(expected, given, e.credential().name(), e.credential().kind(), e.scope());
      // no variable or file the policy would not give it, no git configuration but taskbound's
      PolicyExposure.check(policy, e.credential(), api.getHost().equals("api.github.com") ? "github.com" : api.getHost());
    }
    for (CredentialHandoff.Withheld w : handoff.withheld()) {
      plan.checkGranted(expected, given, w.name(), w.kind(), w.scope());
    }
    expected.removeAll(given);
    if (!expected.isEmpty()) {
      throw mismatch("handoff", "the effective policy grants " + expected + " but the hand-off does not hold them");
    }
    return plan;
  }

  /**
   * Refuses a handed-off credential named twice, one the policy does not grant, or one issued for
   * another scope than the policy grants.
   */
  private void checkGranted(java.util.Set<String> expected, java.util.Set<String> given, String name, String kind,
      com.fasterxml.jackson.databind.JsonNode scope) {
    if (!given.add(name)) {
      throw mismatch("handoff", "the hand-off holds '" + name + "' twice");
    }
    if (!expected.contains(name)) {
      throw mismatch("handoff", "the hand-off holds '" + name + "' (" + kind + "), which the"
          + " effective policy does not grant; it grants " + (expected.isEmpty() ? "no credentials" : expected));
    }
    com.fasterxml.jackson.databind.ObjectMapper json = Json.MAPPER;
    try {
      // Both sides through JSON text, so numbers compare by value, not by Java type.
      com.fasterxml.jackson.databind.JsonNode want = json.readTree(json.writeValueAsString(scope(name, kind)));
      if (!want.equals(scope)) {
        throw mismatch("handoff", "'" + name + "' was issued for " + scope + " but the effective policy grants "
            + want + "; issue the credentials with the same policy files, profile and TTL as the session");
      }
    } catch (com.fasterxml.jackson.core.JsonProcessingException ex) {
      throw mismatch("handoff", "cannot compare the scope of '" + name + "'");
    }
  }

  /** The GitHub API this host revokes handed-off tokens at: {@code TASKBOUND_GITHUB_API_URL}, else github.com's. */
  static String hostGithubApi(Map<String, String> env) {
    String api = env.get("TASKBOUND_GITHUB_API_URL");
    return api == null || api.isBlank() ? GithubAppConfig.GITHUB_COM.toString() : api.strip();
  }

  private static boolean sameApi(String a, String b) {
    return a.replaceAll("/+$", "").equals(b.replaceAll("/+$", ""));
  }

  /** The names of the credentials this policy's brokers would issue: {@code github}, {@code vault-token}, secrets. */
  private List<String> grantedNames() {
    List<String> names = new ArrayList<>();
    if (!policy.repositories().isEmpty()) {
      names.add("github");
    }
    policy.vault().ifPresent(v -> {
      names.add("vault-token");
      v.secrets().stream().filter(s -> fetched(policy, s)).forEach(s -> names.add(s.name()));
    });
    return names;
  }

  /**
   * Whether the session fetches {@code s}: an on-request secret the gate would never hand out (its
   * {@code secret.read}, or a rule naming it, says deny) is never fetched; with approve it is,
   * served once granted.
   */
  private static boolean fetched(EffectivePolicy policy, VaultSecretPolicy s) {
    return s.access() != VaultSecretPolicy.Access.ON_REQUEST
        || GateRules.of(policy).decide(AccessAction.SECRET_READ.wireName(), s.name()).decision() != GateDecision.DENY;
  }

  /** Handed-off credentials whose values stayed with the issuer: evidence names them by fingerprint only. */
  List<CredentialHandoff.Withheld> withheld() {
    return handedOff.map(HandedOffBroker::withheld).orElse(List.of());
  }

  boolean isEmpty() {
    return github.isEmpty() && vault.isEmpty() && handedOff.isEmpty();
  }

  /** The runtime gate's rules, which decide the agent API's actions. */
  GateRules gateRules() {
    return GateRules.of(policy);
  }

  /** The GitHub broker, when the policy grants GitHub access (it also serves token refreshes). */
  Optional<GithubBroker> github() {
    return github;
  }

  /** Whether the agent API is needed: a GitHub token to refresh, secrets served on request, or the agent's hooks. */
  boolean needsAgentApi() {
    return github.isPresent() || !policy.hooks().agents().isEmpty()
        || policy.vault().map(v -> v.secrets().stream().anyMatch(s -> s.access() == VaultSecretPolicy.Access.ON_REQUEST))
            .orElse(false);
  }

  /** The brokers in issue order: GitHub, then Vault. */
  List<CredentialBroker> brokers() {
    List<CredentialBroker> brokers = new ArrayList<>();
    handedOff.ifPresent(brokers::add);
    github.ifPresent(brokers::add);
    vault.ifPresent(brokers::add);
    return brokers;
  }

  /** Revocation in this process: the Vault broker lends its live login token. */
  RevocationContext revocationContext() {
    VaultTokenSource tokens = vault.map(VaultBroker::tokenSource).orElse(VaultTokenSource.NONE);
    return RevocationContext.builder().vaultTokens(tokens).clock(clock).build();
  }

  /** What evidence records as the scope of a credential the plan issued. */
  Map<String, Object> scope(String name, String kind) {
    Map<String, Object> scope = new LinkedHashMap<>();
    if (kind.equals("github-token")) {
      scope.put("repositories", policy.repositories());
      Map<String, String> perms = new LinkedHashMap<>();
      policy.permissions().forEach((k, v) -> perms.put(k, v.name().toLowerCase(java.util.Locale.ROOT)));
      scope.put("permissions", perms);
    } else if (kind.equals("vault-token")) {
      VaultPolicy v = policy.vault().orElseThrow();
      scope.put("policies", v.policies());
      scope.put("ttl_seconds", v.tokenTtl(policy.ttl()).toSeconds());
      v.numUses().ifPresent(n -> scope.put("num_uses", n));
    } else {
      secret(name).ifPresent(s -> {
        scope.put("kind", s.kind().yamlName());
        scope.put("path", s.path());
        scope.put("access", s.access().yamlName());
        s.wrapTtl(policy.ttl()).ifPresent(w -> scope.put("wrapped_ttl_seconds", w.toSeconds()));
      });
    }
    return scope;
  }

  /** Whether the policy serves the secret {@code name} only on request. */
  boolean onRequest(String name) {
    return secret(name).map(s -> s.access() == VaultSecretPolicy.Access.ON_REQUEST).orElse(false);
  }

  private Optional<VaultSecretPolicy> secret(String name) {
    return policy.vault().flatMap(v -> v.secrets().stream().filter(s -> s.name().equals(name)).findFirst());
  }

  private static Optional<GithubBroker> github(EffectivePolicy policy, CredentialSources sources) {
    boolean wanted = !policy.repositories().isEmpty();
    String at = policy.provenanceOf("github.repositories").map(Object::toString).orElse("built-in default");
    if (!wanted) {
      if (sources.github().isPresent()) {
        throw mismatch("github", "a GitHub App is configured (TASKBOUND_GITHUB_APP_ID) but the policy grants no"
            + " repositories; set spec.github.repositories, or unset TASKBOUND_GITHUB_APP_* for this run");
      }
      return Optional.empty();
    }
    if (sources.github().isEmpty()) {
      throw mismatch("github", "the policy grants repositories " + policy.repositories() + " (" + at + ") but no"
          + " GitHub App is configured; set TASKBOUND_GITHUB_APP_ID and TASKBOUND_GITHUB_APP_KEY_FILE (or"
          + " TASKBOUND_GITHUB_APP_KEY)");
    }
    for (String repo : policy.repositories()) {
      if (repo.endsWith("/*") && policy.repositories().size() > 1) {
        throw mismatch("github", "spec.github.repositories '" + repo + "' (" + at + ") grants every repository of"
            + " its owner; a token is minted for one owner: list 'owner/*' alone, or name the repositories");
      }
    }
    if (policy.permissions().isEmpty()) {
      throw mismatch("github", "spec.github.repositories is set (" + at + ") but spec.github.permissions is"
          + " empty; name at least one, e.g. contents: read");
    }
    Map<String, String> perms = new LinkedHashMap<>();
    policy.permissions().forEach((k, v) -> perms.put(k, v.name().toLowerCase(java.util.Locale.ROOT)));
    CredentialSources.GithubApp app = sources.github().get();
    return Optional.of(GithubBroker.create(
        new GithubAppConfig(app.appId(), app.key(), app.apiUrl(), policy.repositories(), perms)));
  }

  private static Optional<VaultBroker> vault(EffectivePolicy policy, CredentialSources sources, Clock clock) {
    if (policy.vault().isEmpty()) {
      // The Ceiling's org signer (evidence.signer) is the other use of the host's Vault (issue 14).
      if (sources.vault().isPresent() && policy.evidenceSigner().isEmpty()) {
        throw mismatch("vault", "Vault is configured (TASKBOUND_VAULT_ADDR) but the policy grants no Vault"
            + " access; set spec.vault, or unset TASKBOUND_VAULT_* for this run");
      }
      return Optional.empty();
    }
    if (sources.vault().isEmpty()) {
      String at = policy.provenanceOf("vault.policies").map(Object::toString).orElse("the policy");
      throw mismatch("vault", "the policy grants Vault policies " + policy.vault().get().policies() + " (" + at
          + ") but Vault is not configured; set TASKBOUND_VAULT_ADDR and TASKBOUND_VAULT_AUTH with its credentials");
    }
    VaultPolicy v = policy.vault().get();
    List<VaultSecretSpec> secrets = new ArrayList<>();
    for (VaultSecretPolicy s : v.secrets()) {
      if (!fetched(policy, s)) {
        continue;
      }
      VaultSecretSpec.Kind kind = VaultSecretSpec.Kind.valueOf(s.kind().name());
      // An on-request secret has neither env nor file (the policy refuses them): the broker only returns
      // its value, which the session keeps in memory, so nothing names a file for it, here or in a hand-off.
      secrets.add(new VaultSecretSpec(s.name(), kind, s.path(), 1, s.field(), s.env(), s.file(), s.wrapTtl(policy.ttl())));
    }
    CredentialSources.VaultSource source = sources.vault().get();
    VaultBrokerConfig config = new VaultBrokerConfig(source.connection(), source.auth(),
        new VaultChildToken(v.policies(), v.tokenTtl(policy.ttl()), v.numUses()), secrets, false);
    return Optional.of(new VaultBroker(config, Retry.defaults(), Duration.ofSeconds(10), clock));
  }

  private static BrokerException mismatch(String broker, String detail) {
    return new BrokerException(broker, "plan the session's credentials", -1, detail);
  }
}
