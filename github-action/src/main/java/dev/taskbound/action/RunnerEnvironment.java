package dev.taskbound.action;

import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** What of the runner's environment the core (and through it the agent) may see. Stateless. */
public final class RunnerEnvironment {
  /**
   * Runner credentials that never leave the action: the runtime token (artifact and cache access)
   * and the OIDC request pair (which mints tokens for this workflow). The action itself will use
   * the OIDC pair; the core and the agent get neither.
   */
  public static final Set<String> RUNNER_SECRETS =
      Set.of("ACTIONS_RUNTIME_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_URL");

  private RunnerEnvironment() {}

  /** A copy of {@code env} without {@link #RUNNER_SECRETS}; the argument is not modified. */
  public static Map<String, String> withoutRunnerSecrets(Map<String, String> env) {
    Map<String, String> copy = new TreeMap<>(env);
    copy.keySet().removeAll(RUNNER_SECRETS);
    return copy;
  }
}
