package dev.taskbound.core.policy;

import java.util.Objects;

/**
 * One gate rule: an action name ({@code git.push}, {@code secret.read}), a prefix wildcard
 * ({@code git.*}: every action below {@code git.}) or {@code *} (every action), and a decision.
 * When several effective rules match an action, the strictest decision applies.
 *
 * @param action a valid action name or wildcard (see {@link #isValidAction})
 * @param decision what the gate does with matching actions
 */
public record GateRule(String action, GateDecision decision) {
  /** The longest action name accepted; real ones are a few labels long. */
  public static final int MAX_ACTION_LENGTH = 256;

  /** The accepted forms of an action, for error messages. */
  public static final String ACCEPTED_ACTIONS =
      "dot-separated lower-case names such as git.push, optionally ending in .* (git.*), or * alone; at most "
          + MAX_ACTION_LENGTH + " characters";

  public GateRule {
    Objects.requireNonNull(decision, "decision");
    if (!isValidAction(Objects.requireNonNull(action, "action"))) {
      throw new IllegalArgumentException("invalid action '" + action + "'; " + ACCEPTED_ACTIONS);
    }
  }

  /**
   * Whether {@code action} is an accepted action name or wildcard: {@code *}, or labels of
   * {@code [a-z][a-z0-9_-]*} joined by '.', optionally ending in {@code .*}. One pass over at most
   * {@link #MAX_ACTION_LENGTH} characters, with no regex: a repeated regex group recursed once per
   * label and overflowed the stack on long actions.
   */
  public static boolean isValidAction(String action) {
    if (action.equals("*")) {
      return true;
    }
    if (action.isEmpty() || action.length() > MAX_ACTION_LENGTH) {
      return false;
    }
    String names = action.endsWith(".*") ? action.substring(0, action.length() - 2) : action;
    boolean labelStart = true;
    for (int i = 0; i < names.length(); i++) {
      char c = names.charAt(i);
      if (labelStart) {
        if (c < 'a' || c > 'z') {
          return false;
        }
        labelStart = false;
      } else if (c == '.') {
        labelStart = true;
      } else if (!(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-')) {
        return false;
      }
    }
    return !labelStart;
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
