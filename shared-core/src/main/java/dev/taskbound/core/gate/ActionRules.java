package dev.taskbound.core.gate;

import dev.taskbound.core.policy.GateDecision;
import java.util.Objects;
import java.util.Set;

/**
 * How the gate decides the actions the inspecting gateway reads on inspected hosts ({@code git.push}
 * with its ref, {@code github.pr.merge}, {@code package.publish}, ...; docs/gate.md): a
 * {@code gate.rules} entry that matches the action decides; without one, the built-in defaults that
 * let a coding agent work and nothing more: pushes only to {@code refs/heads/taskbound/<task>/**}, no
 * ref deletion, no merge, no release, no workflow dispatch; anything else allowed. {@code approve}
 * is settled by the session's approvals. Immutable and thread-safe.
 */
public final class ActionRules {
  /** Actions the built-in defaults refuse when no gate rule names them. */
  public static final Set<String> DENIED_BY_DEFAULT =
      Set.of("git.ref.delete", "github.pr.merge", "github.release.create", "github.workflow.dispatch");

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

  /**
   * @param rules the policy's {@code gate.rules}
   * @param task the task id, which names the branches the agent may push by default
   */
  public ActionRules(GateRules rules, String task) {
    this.rules = Objects.requireNonNull(rules, "rules");
    this.taskBranches = "refs/heads/taskbound/" + Objects.requireNonNull(task, "task") + "/";
  }

  /**
   * Decides {@code action} on {@code target} ({@code ""} when it names none).
   */
  public Outcome decide(String action, String target) {
    GateRules.Verdict v = rules.decide(action);
    if (v.rule().isPresent()) {
      String reason = switch (v.decision()) {
        case ALLOW -> "allowed by " + v.describe();
        case DENY -> "refused by " + v.describe();
        case APPROVE -> "needs approval by " + v.describe();
      };
      return new Outcome(v.decision(), v.ruleName(), reason);
    }
    if (action.equals("git.push")) {
      String rule = "built-in: git.push only to " + taskBranches + "**";
      return target.startsWith(taskBranches) && !target.contains("/../")
          ? new Outcome(GateDecision.ALLOW, rule, "a push to the task's own branches")
          : new Outcome(GateDecision.DENY, rule, "the built-in default lets the agent push only to " + taskBranches
              + "**; to allow " + target + ", add a gate rule 'git.push: allow' to the task's policy");
    }
    if (DENIED_BY_DEFAULT.contains(action)) {
      return new Outcome(GateDecision.DENY, "built-in: " + action + " denied",
          "the built-in default refuses " + action + "; a gate rule '" + action + ": allow' in the policy allows it");
    }
    return new Outcome(GateDecision.ALLOW, "default", "no gate rule names " + action);
  }
}
