package dev.taskbound.core.policy;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * {@code spec.regulated: true} (docs/policy.md, "Regulated work"): what regulated work requires of
 * the effective policy. The layer that sets it tightens what it inherits (full prompt recording,
 * the container backend only, {@code approve} at least for every write action), so the layers below
 * cannot loosen those through the ordinary narrowing checks; what no layer can tighten on its own
 * (the org evidence signer, inspection of every host that carries a credential) is checked on the
 * merged result. Stateless.
 */
final class Regulated {
  /** The gateway's write actions on an inspected host (docs/gate.md): each needs at least approve. */
  static final List<String> WRITE_ACTIONS = List.of("git.push", "git.ref.delete", "github.pr.create", "github.pr.merge",
      "github.issue.comment", "github.release.create", "github.workflow.dispatch", "github.contents.write",
      "package.publish", "github.api.write", "github.graphql");
  /** Write actions the gate denies when no rule names them (mirrors {@code ActionRules.DENIED_BY_DEFAULT}). */
  static final Set<String> DENIED_BY_DEFAULT =
      Set.of("git.ref.delete", "github.pr.merge", "github.release.create", "github.workflow.dispatch", "github.api.write");
  /** The hosts a GitHub installation token is used on by git and the API. */
  static final List<String> GITHUB_HOSTS = List.of("github.com", "api.github.com");

  private Regulated() {}

  /**
   * The approve rules regulated work adds: one per write action that the current rules (or the
   * built-in default, when none names it) would allow.
   */
  static List<Located<GateRule>> approveRules(List<Located<GateRule>> current, Located<Boolean> regulated) {
    List<Located<GateRule>> added = new ArrayList<>();
    for (String action : WRITE_ACTIONS) {
      Optional<GateDecision> strictest = current.stream().map(Located::value)
          .filter(r -> GateRule.covers(r.action(), action))
          .map(GateRule::decision)
          .max(Enum::compareTo);
      boolean allowed = strictest.map(d -> d == GateDecision.ALLOW).orElse(!DENIED_BY_DEFAULT.contains(action));
      if (allowed) {
        // the approve keeps the branch default's limits (pushes only to the task's branches): ActionRules
        added.add(new Located<>(new GateRule(action, GateDecision.APPROVE), regulated.at(),
            "gate.rules (regulated: true, " + action + ")"));
      }
    }
    return added;
  }

  /**
   * Checks what only the merged policy shows.
   *
   * @throws PolicyException naming {@code regulated}'s place and the missing item
   */
  static void check(Located<Boolean> regulated, Located<EvidenceSigner> signer, Map<String, Located<Permission>> permissions,
      Located<?> permissionsAt, List<Located<RegistryPolicy>> registries, List<Located<String>> inspect) {
    String at = regulated.where() + ": true";
    if (signer == null) {
      throw new PolicyException(at + " requires the org evidence signer, and no evidence.signer is set; accepted: set"
          + " spec.evidence.signer in the Ceiling (docs/policy.md#evidence)");
    }
    Set<String> inspected = new TreeSet<>();
    inspect.forEach(h -> inspected.add(h.value()));
    Set<String> missing = new TreeSet<>();
    List<String> carriers = new ArrayList<>();
    if (!permissions.isEmpty()) {
      GITHUB_HOSTS.stream().filter(h -> !inspected.contains(h)).forEach(missing::add);
      carriers.add("the GitHub token (github.permissions at " + permissionsAt.at() + ")");
    }
    for (Located<RegistryPolicy> r : registries) {
      RegistryPolicy reg = r.value();
      if (reg.credentials().isPresent() || reg.tokenEnv().isPresent()) {
        String host = Optional.ofNullable(URI.create(reg.url().toString()).getHost()).orElse("");
        if (!host.isEmpty() && !inspected.contains(host)) {
          missing.add(host);
          carriers.add("the registry credential for " + host + " (" + r.at() + ")");
        }
      }
    }
    if (!missing.isEmpty()) {
      throw new PolicyException(at + " requires inspection of every host that carries a credential; egress.inspect lacks "
          + String.join(", ", missing) + " (carrying " + String.join(", ", carriers) + "); accepted: add them to"
          + " spec.egress.inspect");
    }
  }
}
