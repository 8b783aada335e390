package dev.taskbound.core.policy;

import java.util.Objects;
import java.util.Optional;

/**
 * One {@code gate.tools} rule: decides an agent's tool call, reported by its hooks, whose target
 * matches {@code match}. The target is the command line for {@code tool.bash} (each simple command
 * of it: {@code git push *}), the path for {@code tool.write} (a glob: {@code *} within a path
 * segment, {@code **} across), the host for {@code tool.web_fetch} ({@code example.com},
 * {@code *.example.com}); any other {@code tool.*} action has no target and only {@code *} matches.
 * Together with {@code gate.rules} and the built-in defaults the strictest decision wins, so a rule
 * can only tighten what the rest allows.
 *
 * @param action {@code tool.bash}, {@code tool.write}, {@code tool.web_fetch}, {@code tool.mcp.<server>.<tool>}, ...
 * @param match the pattern for the target; {@code *} matches every target
 * @param decision what the gate does with a matching call
 * @param reason said to the agent (and the evidence) with the decision; empty: the rule is named
 */
public record ToolRule(String action, String match, GateDecision decision, Optional<String> reason) {
  /** The accepted forms of an action, for error messages. */
  public static final String ACCEPTED_ACTIONS = "tool.bash, tool.write, tool.web_fetch, tool.mcp.<server>.<tool> or another"
      + " tool.<name> (lower-case labels, optionally ending in .*)";

  public ToolRule {
    Objects.requireNonNull(match, "match");
    Objects.requireNonNull(decision, "decision");
    Objects.requireNonNull(reason, "reason");
    if (!isValidAction(Objects.requireNonNull(action, "action"))) {
      throw new IllegalArgumentException("invalid tool action '" + action + "'; accepted: " + ACCEPTED_ACTIONS);
    }
    if (match.isEmpty() || match.length() > 512) {
      throw new IllegalArgumentException("match must be 1..512 characters");
    }
  }

  /** Whether {@code action} is a gate action under {@code tool.}. */
  public static boolean isValidAction(String action) {
    return action.startsWith("tool.") && GateRule.isValidAction(action);
  }

  /** Whether this rule's action names {@code concrete} ({@code tool.mcp.*} names {@code tool.mcp.github.create_issue}). */
  public boolean names(String concrete) {
    return GateRule.covers(action, concrete);
  }

  @Override
  public String toString() {
    return action + " '" + match + "': " + decision.yamlName();
  }
}
