package dev.taskbound.core.session;

import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Builds the agent's environment from the host's: host CI tokens, Docker endpoints, proxy settings
 * and Taskbound's own configuration are removed, so nothing the host holds reaches the agent by
 * inheritance. The sandbox then adds its proxy variables.
 */
public final class AgentEnvironment {
  /** Variables that carry the host's own credentials or control endpoints. */
  private static final Set<String> HOST_SECRETS =
      Set.of(
          "ACTIONS_RUNTIME_TOKEN",
          "ACTIONS_RUNTIME_URL",
          "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
          "ACTIONS_ID_TOKEN_REQUEST_URL",
          "ACTIONS_CACHE_URL",
          "ACTIONS_RESULTS_URL",
          "JENKINS_API_TOKEN",
          "DOCKER_HOST",
          "DOCKER_CERT_PATH",
          "DOCKER_TLS_VERIFY",
          "SSH_AUTH_SOCK",
          "VAULT_TOKEN",
          "GITHUB_TOKEN",
          "GH_TOKEN");

  private AgentEnvironment() {}

  /**
   * The host environment less host secrets, any {@code TASKBOUND_*} configuration and any proxy
   * settings (the sandbox sets its own), plus the session's identity variables.
   */
  public static Map<String, String> build(Map<String, String> host, Map<String, String> sessionVariables) {
    Map<String, String> env = new TreeMap<>();
    host.forEach(
        (name, value) -> {
          if (!isScrubbed(name)) {
            env.put(name, value);
          }
        });
    env.putAll(sessionVariables);
    return env;
  }

  /** Whether a host variable is kept from the agent. */
  public static boolean isScrubbed(String name) {
    String upper = name.toUpperCase(Locale.ROOT);
    return HOST_SECRETS.contains(upper)
        || upper.startsWith("TASKBOUND_")
        || upper.endsWith("_PROXY")
        || upper.startsWith("ACTIONS_ID_TOKEN")
        || upper.equals("JAVA_TOOL_OPTIONS")
        || upper.startsWith("GIT_CONFIG_");
  }
}
