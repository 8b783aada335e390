package dev.taskbound.action;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The workflow run's claims the task identity carries ({@code taskbound run --claim NAME=VALUE}),
 * so a relying party and the evidence can tell which repository, run, workflow, commit and actor the
 * agent ran for. From the job's OIDC token when the action fetched one, and only once
 * {@link OidcTokenVerifier} has verified it (its issuer's signature, issuer, audience, lifetime, and
 * this run's repository and run id: the token's URL can be the job's own, so an unverified payload
 * could say anything); else from the runner's {@code GITHUB_*} variables, which have no
 * {@code job_workflow_ref} and no {@code environment}. Stateless.
 */
final class RunClaims {
  /** The OIDC claims that matter, in the order they are passed, and the runner variable for each. */
  static final Map<String, String> CLAIMS = orderedClaims();

  /** Longer values are not a GitHub claim; they are left out rather than cut. */
  private static final int MAX_VALUE = 1024;

  private RunClaims() {}

  private static Map<String, String> orderedClaims() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("repository", "GITHUB_REPOSITORY");
    m.put("run_id", "GITHUB_RUN_ID");
    m.put("run_attempt", "GITHUB_RUN_ATTEMPT");
    m.put("workflow_ref", "GITHUB_WORKFLOW_REF");
    m.put("sha", "GITHUB_SHA");
    m.put("actor", "GITHUB_ACTOR");
    m.put("job_workflow_ref", "");
    m.put("environment", ""); // only from the token: GitHub sets it for a job that ran in an environment
    return java.util.Collections.unmodifiableMap(m);
  }

  /**
   * The claims: every one of {@link #CLAIMS} the token (or, without one, the environment) has as a
   * string or number of at most 1,024 characters without control characters.
   *
   * @param oidcToken the job's verified OIDC token, if the action fetched one
   */
  static Map<String, String> of(Optional<OidcTokenVerifier.VerifiedToken> oidcToken, Map<String, String> env) {
    Map<String, String> claims = new LinkedHashMap<>();
    if (oidcToken.isPresent()) {
      Map<String, Object> verified = oidcToken.get().claims().getClaims();
      CLAIMS.keySet().forEach(name -> {
        Object v = verified.get(name);
        if (v instanceof String || v instanceof Number) {
          keep(claims, name, v.toString());
        }
      });
    } else {
      CLAIMS.forEach((name, variable) -> {
        if (!variable.isEmpty() && env.get(variable) != null) {
          keep(claims, name, env.get(variable));
        }
      });
    }
    return claims;
  }

  /** {@code --claim NAME=VALUE} for each claim, for the {@code taskbound run} command line. */
  static List<String> options(Map<String, String> claims) {
    List<String> args = new ArrayList<>();
    claims.forEach((name, value) -> args.addAll(List.of("--claim", name + "=" + value)));
    return args;
  }

  private static void keep(Map<String, String> claims, String name, String value) {
    String v = value.strip();
    if (!v.isEmpty() && v.length() <= MAX_VALUE && v.chars().noneMatch(Character::isISOControl)) {
      claims.put(name, v);
    }
  }
}
