package dev.taskbound.action;

import java.util.Map;
import java.util.Optional;

/**
 * Refuses to run an action that was loaded from the workspace ({@code uses: ./}). The runner builds
 * such an action's image, and re-reads its {@code action.yml}, from the checked-out workspace, which
 * the agent can write: an agent that edits the Dockerfile or the post entrypoint gets its code run in
 * the post step, with the runner's tokens and the Docker socket. Developing the action itself needs
 * the local form, hence the {@code allow-local-action: true} escape.
 *
 * <p>The runner names the action's repository ({@code github.action_repository}, passed in as the
 * {@code action-repository} input's default and as {@code GITHUB_ACTION_REPOSITORY}) for actions
 * it downloads and leaves it empty for a local one. Applies only on a runner
 * ({@code GITHUB_ACTIONS=true}). Stateless.
 */
final class LocalActionGuard {
  static final String ALLOW_INPUT = "allow-local-action";
  static final String REPOSITORY_INPUT = "action-repository";

  private LocalActionGuard() {}

  /** The one line saying why this run must not start, or empty when it may. */
  static Optional<String> refusal(Map<String, String> env) {
    String allow = env.getOrDefault(ActionInputs.variableFor(ALLOW_INPUT), "").strip();
    if (!allow.isEmpty() && !allow.equals("true") && !allow.equals("false")) {
      return Optional.of("input '" + ALLOW_INPUT + "' is '" + allow + "': accepted values are true, false or empty (false)");
    }
    if (!"true".equals(env.get("GITHUB_ACTIONS")) || allow.equals("true")) {
      return Optional.empty();
    }
    boolean named = !env.getOrDefault(ActionInputs.variableFor(REPOSITORY_INPUT), "").isBlank()
        || !env.getOrDefault("GITHUB_ACTION_REPOSITORY", "").isBlank();
    if (named) {
      return Optional.empty();
    }
    return Optional.of(
        "Taskbound was loaded from the workspace ('uses: ./'): the runner would build its post step from files"
            + " the agent can change, so the agent could run code with the runner's tokens. Use"
            + " 'uses: <owner>/taskbound@<version>', or set '" + ALLOW_INPUT + ": true' only to develop"
            + " the action itself (see docs/github-action.md)");
  }
}
