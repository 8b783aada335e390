package dev.taskbound.core.policy;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One gate rule: an action name ({@code git.push}, {@code secret.read}), a prefix wildcard
 * ({@code git.*}: every action below {@code git.}) or {@code *} (every action), and a decision.
 * When several effective rules match an action, the strictest decision applies.
 *
 * @param action a valid action name or wildcard (see {@link #isValidAction})
 * @param decision what the gate does with matching actions
 */
public record GateRule(String action, GateDecision decision) {
  /** The accepted forms of an action, for error messages. */
  public static final String ACCEPTED_ACTIONS =
      "dot-separated lower-case names such as git.push, optionally ending in .* (git.*), or * alone";

  private static final Pattern ACTION =
      Pattern.compile("\\*|[a-z][a-z0-9_-]*(\\.[a-z][a-z0-9_-]*)*(\\.\\*)?");

  public GateRule {
    Objects.requireNonNull(decision, "decision");
    if (!isValidAction(Objects.requireNonNull(action, "action"))) {
      throw new IllegalArgumentException("invalid action '" + action + "'; " + ACCEPTED_ACTIONS);
    }
  }

  /** Whether {@code action} is an accepted action name or wildcard. */
  public static boolean isValidAction(String action) {
    return ACTION.matcher(action).matches();
  }

  /** Whether this rule applies to the concrete action {@code name}. */
  public boolean matches(String name) {
    return covers(action, name);
  }

  /**
   * Whether action pattern {@code upper} names every action that pattern {@code lower} names
   * ({@code git.*} covers {@code git.push} and {@code git.push.*}; {@code *} covers everything).
   */
  static boolean covers(String upper, String lower) {
    if (upper.equals(lower) || upper.equals("*")) {
      return true;
    }
    return upper.endsWith(".*") && !lower.equals("*")
        && lower.startsWith(upper.substring(0, upper.length() - 1));
  }

  @Override
  public String toString() {
    return action + ": " + decision.yamlName();
  }
}
