package dev.taskbound.action;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Approvals in GitHub Actions (docs/github-action.md, "Approvals"): a step cannot pause for a person,
 * so the core settles every {@code approve} decision at once ({@code --approvals-before-run}). The
 * only approval that counts is one given before the run: the protection rules (required reviewers,
 * wait timers) of the job's environment. The runner exports no variable naming that environment, so
 * the workflow names it in the {@code environment} input and the action checks it against the
 * {@code environment} claim of the job's OIDC token, which GitHub sets only for a job that ran in that
 * environment, after its protection rules passed. The claim counts only from a token
 * {@link OidcTokenVerifier} accepted: a job's own {@code env:} can point the action at a token server
 * of its choosing. Stateless.
 */
final class ActionApprovals {
  static final String INPUT = "environment";

  private ActionApprovals() {}

  /**
   * {@code --approvals-before-run}, and {@code --approval-environment NAME} when the input names the
   * environment the OIDC token's claim confirms and {@code protection} finds a person's approval
   * stood in front of it (required reviewers, no self-review); otherwise the error saying why goes to
   * {@code errors} and no environment is passed, so the core denies every approve rule.
   *
   * @param claims the run's claims ({@link RunClaims}); {@code environment} is there only from a verified token
   * @param errors receives the one line saying why a confirmed environment grants no approval
   * @throws ActionInputException if the input names an environment the token does not confirm (no
   *     token, a job without an environment, or another one)
   */
  static List<String> options(Map<String, String> env, Map<String, String> claims, boolean fromToken,
      EnvironmentProtection protection, Consumer<String> errors) {
    List<String> args = new ArrayList<>(List.of("--approvals-before-run"));
    Optional<String> wanted = Optional.ofNullable(env.get(ActionInputs.variableFor(INPUT))).map(String::strip)
        .filter(e -> !e.isEmpty());
    if (wanted.isEmpty()) {
      return args;
    }
    if (!fromToken) {
      throw new ActionInputException(List.of("input 'environment' (" + wanted.get() + ") is checked against the job's OIDC"
          + " token, which the action did not fetch; set oidc-audience and 'permissions: id-token: write', or leave"
          + " 'environment' empty (then every approve rule is denied)"));
    }
    String claimed = claims.get("environment");
    if (claimed == null) {
      throw new ActionInputException(List.of("input 'environment' is '" + wanted.get() + "' but the job's OIDC token names no"
          + " environment; set 'environment: " + wanted.get() + "' on the job, or leave the input empty"));
    }
    if (!claimed.equals(wanted.get())) {
      throw new ActionInputException(List.of("input 'environment' is '" + wanted.get() + "' but the job ran in environment '"
          + claimed + "' (the OIDC token's environment claim); accepted: the job's own environment"));
    }
    Optional<String> refusal = protection.refusal(claimed);
    if (refusal.isPresent()) { // review finding MEDIUM: a name alone, even one GitHub created on the fly, proves no approval
      errors.accept(refusal.get());
      return args;
    }
    args.addAll(List.of("--approval-environment", claimed));
    return args;
  }

  /**
   * What the step says, besides the refusal itself, when the job's OIDC token was not accepted: that
   * the {@code environment} input, if set, cannot be satisfied. Empty without the input.
   */
  static List<String> unconfirmedByRefusedToken(Map<String, String> env) {
    return Optional.ofNullable(env.get(ActionInputs.variableFor(INPUT))).map(String::strip).filter(e -> !e.isEmpty())
        .map(e -> List.of("input 'environment' is '" + e + "' but only a verified OIDC token can confirm it, and the job's was"
            + " not accepted (above): no approval is settled from it"))
        .orElse(List.of());
  }
}
