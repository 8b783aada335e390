package dev.taskbound.core.gate;

import dev.taskbound.core.policy.GateDecision;
import java.util.Objects;
import java.util.Set;

/**
 * How the gate decides the actions the inspecting gateway reads on inspected hosts ({@code git.push}
 * with its ref, {@code github.pr.merge}, {@code package.publish}, ...; docs/gate.md): a
 * {@code gate.rules} entry that matches the action decides; without one, the built-in defaults that
 * let a coding agent work and nothing more: pushes and API content writes only to
 * {@code refs/heads/taskbound/<task>/**}, no ref deletion, no merge, no release, no workflow
 * dispatch, no GraphQL mutation, no other GitHub API write; anything else allowed. Under regulated
 * work ({@code regulated: true}, which turns every allowed write into {@code approve}) an
 * {@code approve} never loosens the branch default: a push or content write outside the task's
 * branches stays denied. {@code approve} is settled by the session's approvals. Immutable and
 * thread-safe.
 */
public final class ActionRules {
  /** Actions the built-in defaults refuse when no gate rule names them. */
  public static final Set<String> DENIED_BY_DEFAULT = Set.of("git.ref.delete", "github.pr.merge",
      "github.release.create", "github.workflow.dispatch", "github.api.write");
  /** Actions whose target is a branch, held to the task's branches by default. */
  static final Set<String> BRANCH_ACTIONS = Set.of("git.push", "github.contents.write");
  /** The GraphQL action; its target is {@code query} or {@code mutation} (anything but a plain query). */
  static final String GRAPHQL = "github.graphql";

  /**
   * What decided one action.
   *
   * @param decision allow, approve (settled by the session's approvals) or deny
   * @param rule the deciding rule as the evidence names it ({@code git.push: deny}, {@code built-in: ...})
   * @param reason one line for the agent and the evidence
   */
  public record Outcome(GateDecision decision, String rule, String reason) {
    public Outcome {
      Objects.requireNonNull(decision, "decision");
      Objects.requireNonNull(rule, "rule");
      Objects.requireNonNull(reason, "reason");
    }
  }

  private final GateRules rules;
  private final String taskBranches;
  private final boolean regulated;

  /**
   * @param rules the policy's {@code gate.rules}
   * @param task the task id, which names the branches the agent may push by default
   */
  public ActionRules(GateRules rules, String task) {
    this(rules, task, false);
  }

  /**
   * @param rules the policy's {@code gate.rules}
   * @param task the task id, which names the branches the agent may push by default
   * @param regulated whether the policy is regulated work: then {@code approve} keeps the branch default
   */
  public ActionRules(GateRules rules, String task, boolean regulated) {
    this.rules = Objects.requireNonNull(rules, "rules");
    this.taskBranches = "refs/heads/taskbound/" + Objects.requireNonNull(task, "task") + "/";
    this.regulated = regulated;
  }

  /** The rules of {@code policy} for {@code task}, regulated when the policy is. */
  public static ActionRules of(dev.taskbound.core.policy.EffectivePolicy policy, String task) {
    return new ActionRules(GateRules.of(policy), task, policy.hooks().regulated());
  }

  /**
   * Decides {@code action} on {@code target} ({@code ""} when it names none).
   */
  public Outcome decide(String action, String target) {
    GateRules.Verdict v = rules.decide(action);
    if (regulated && v.decision() == GateDecision.APPROVE && BRANCH_ACTIONS.contains(action)) {
      // regulated work asks approval for what the defaults allow; it never makes a denied default approvable
      Outcome builtIn = builtIn(action, target);
      if (builtIn.decision() == GateDecision.DENY) {
        return builtIn;
      }
    }
    if (v.rule().isPresent()) {
      String reason = switch (v.decision()) {
        case ALLOW -> "allowed by " + v.describe();
        case DENY -> "refused by " + v.describe();
        case APPROVE -> "needs approval by " + v.describe();
      };
      return new Outcome(v.decision(), v.ruleName(), reason);
    }
    return builtIn(action, target);
  }

  private Outcome builtIn(String action, String target) {
    if (BRANCH_ACTIONS.contains(action)) {
      // an API write names a bare branch, or none (the repository's default branch: never a task branch)
      String ref = target.isEmpty() || target.startsWith("refs/") ? target : "refs/heads/" + target;
      String rule = "built-in: " + action + " only to " + taskBranches + "**";
      return ref.startsWith(taskBranches) && !ref.contains("/../") && !ref.contains("/./")
          ? new Outcome(GateDecision.ALLOW, rule, "a write to the task's own branches")
          : new Outcome(GateDecision.DENY, rule, "the built-in default lets the agent write only to " + taskBranches
              + "**; to allow " + (ref.isEmpty() ? "the repository's default branch" : ref) + ", add a gate rule '"
              + action + ": allow' to the task's policy");
    }
    if (action.equals(GRAPHQL) && !target.equals("query")) {
      return new Outcome(GateDecision.DENY, "built-in: github.graphql mutations denied",
          "the built-in default refuses GraphQL mutations (and requests it cannot read as one query); a gate rule '"
              + GRAPHQL + ": allow' in the policy allows them");
    }
    if (DENIED_BY_DEFAULT.contains(action)) {
      return new Outcome(GateDecision.DENY, "built-in: " + action + " denied",
          "the built-in default refuses " + action + "; a gate rule '" + action + ": allow' in the policy allows it");
    }
    return new Outcome(GateDecision.ALLOW, "default", "no gate rule names " + action);
  }
}
