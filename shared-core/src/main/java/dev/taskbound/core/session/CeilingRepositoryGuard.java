package dev.taskbound.core.session;

import dev.taskbound.core.policy.EffectivePolicy;
import dev.taskbound.core.policy.GithubPolicyLocation;
import dev.taskbound.core.policy.PolicyException;
import dev.taskbound.core.policy.Permission;
import dev.taskbound.core.policy.Provenance;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * No session's GitHub token may write the repository that holds the org ceiling binding it: an
 * agent that could push to {@code acme/.github} could widen the ceiling for every later run. A
 * grant reaches it through {@code acme/*} (GitHub's token then covers every repository of the
 * installation, which the ceiling's repository must be part of) or by naming it; either is refused
 * when any permission is above read. Checked wherever a policy is resolved under a GitHub ceiling
 * ({@link OrgCeiling#resolve}: run, session start, credentials issue, policy check and explain),
 * before anything exists. The same holds for the organisation permissions that reach the ceiling
 * by another way (a member or team given write on it, the members' base permission, a custom role,
 * the App key's organisation secret, a runner of the agent's that takes other repositories' jobs):
 * above read they are refused in a token of the ceiling's owner, whatever the repositories. Not
 * covered: a workflow the agent pushes to a repository it may write, which runs with that
 * repository's secrets (docs/platform-teams.md). Stateless.
 */
final class CeilingRepositoryGuard {
  /** Organisation permissions with which a token could get the ceiling's repository written. */
  private static final Set<String> REACHING_ORG_PERMISSIONS = Set.of("members", "organization_administration",
      "organization_custom_roles", "organization_custom_org_roles", "organization_secrets",
      "organization_self_hosted_runners");

  private CeilingRepositoryGuard() {}

  /**
   * @param ceiling where the org ceiling was read from, empty when it is a local file
   * @throws PolicyException (exit 120) naming the grant, the ceiling and what is accepted
   */
  static void check(EffectivePolicy policy, Optional<GithubPolicyLocation> ceiling) {
    if (ceiling.isEmpty()) {
      return;
    }
    GithubPolicyLocation at = ceiling.get();
    refuseReachingOrgPermissions(policy, at);
    String whole = (at.owner() + "/*").toLowerCase(Locale.ROOT);
    String named = (at.owner() + "/" + at.repository()).toLowerCase(Locale.ROOT);
    Optional<String> reaching = policy.repositories().stream()
        .filter(r -> r.toLowerCase(Locale.ROOT).equals(whole) || r.toLowerCase(Locale.ROOT).equals(named))
        .findFirst();
    Map<String, Permission> writes = new TreeMap<>();
    policy.permissions().forEach((name, level) -> {
      if (level != Permission.READ) {
        writes.put(name, level);
      }
    });
    if (reaching.isEmpty() || writes.isEmpty()) {
      return;
    }
    throw new PolicyException("spec.github.repositories '" + reaching.get() + "' (" + at("github.repositories", policy)
        + ") reaches " + at.owner() + "/" + at.repository() + ", which holds the org ceiling (" + at
        + "), and spec.github.permissions (" + at("github.permissions", policy) + ") grant " + levels(writes)
        + ": the agent could rewrite the ceiling that binds it; accepted: name the repositories the task works on,"
        + " without " + at.owner() + "/" + at.repository() + ", or read-only permissions");
  }

  private static void refuseReachingOrgPermissions(EffectivePolicy policy, GithubPolicyLocation at) {
    String owner = at.owner().toLowerCase(Locale.ROOT) + "/";
    if (policy.repositories().stream().noneMatch(r -> r.toLowerCase(Locale.ROOT).startsWith(owner))) {
      return; // a token of another owner's installation: its organisation permissions are that owner's
    }
    Map<String, Permission> reaching = new TreeMap<>();
    policy.permissions().forEach((name, level) -> {
      if (level != Permission.READ && REACHING_ORG_PERMISSIONS.contains(name)) {
        reaching.put(name, level);
      }
    });
    if (!reaching.isEmpty()) {
      throw new PolicyException("spec.github.permissions (" + at("github.permissions", policy) + ") grant "
          + levels(reaching) + " on " + at.owner() + ", whose " + at.repository() + " repository holds the org ceiling ("
          + at + "): with them the agent could get the ceiling that binds it rewritten; accepted: read, or none");
    }
  }

  private static String at(String key, EffectivePolicy policy) {
    Provenance provenance = policy.provenance().get(key);
    return provenance == null ? "the effective policy" : provenance.toString();
  }

  private static String levels(Map<String, Permission> writes) {
    StringBuilder text = new StringBuilder();
    writes.forEach((name, level) -> text.append(text.length() == 0 ? "" : ", ").append(name).append(": ")
        .append(level.yamlName()));
    return text.toString();
  }
}
