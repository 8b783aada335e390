package dev.taskbound.core.session;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Builds the agent's environment from the host's by allow-list: only the variables below reach
 * the agent, plus the session's own and what the policy grants; nothing else the host holds
 * (cloud keys, registry tokens, CI runtime tokens) arrives by inheritance. The sandbox then sets
 * {@code HOME} (a fresh per-session home), {@code USER} and its proxy variables.
 *
 * <p>Allowed: {@code PATH}, {@code HOME}, {@code LANG}, {@code LANGUAGE}, {@code LC_*},
 * {@code TERM}, {@code TZ}, {@code USER}, {@code LOGNAME}, {@code CI}, and the CI's non-secret job
 * metadata in {@link #CI_METADATA}.
 */
public final class AgentEnvironment {
  /** The host's basic settings every program expects. */
  static final Set<String> BASICS = Set.of("PATH", "HOME", "LANG", "LANGUAGE", "TERM", "TZ", "USER", "LOGNAME", "CI");

  /** GitHub Actions' and Jenkins' documented job metadata: names and ids, no tokens. */
  public static final Set<String> CI_METADATA =
      Set.of(
          "GITHUB_ACTIONS", "GITHUB_REPOSITORY", "GITHUB_REPOSITORY_ID", "GITHUB_REPOSITORY_OWNER", "GITHUB_RUN_ID",
          "GITHUB_RUN_NUMBER", "GITHUB_RUN_ATTEMPT", "GITHUB_SHA", "GITHUB_REF", "GITHUB_REF_NAME", "GITHUB_REF_TYPE",
          "GITHUB_HEAD_REF", "GITHUB_BASE_REF", "GITHUB_EVENT_NAME", "GITHUB_WORKFLOW", "GITHUB_WORKFLOW_REF",
          "GITHUB_JOB", "GITHUB_ACTOR", "GITHUB_SERVER_URL", "GITHUB_API_URL", "GITHUB_GRAPHQL_URL", "GITHUB_WORKSPACE",
          "RUNNER_OS", "RUNNER_ARCH", "RUNNER_NAME",
          "JENKINS_URL", "BUILD_URL", "BUILD_ID", "BUILD_NUMBER", "BUILD_TAG", "JOB_NAME", "JOB_BASE_NAME", "JOB_URL",
          "NODE_NAME", "EXECUTOR_NUMBER", "WORKSPACE", "BRANCH_NAME", "CHANGE_ID", "CHANGE_TARGET", "CHANGE_BRANCH",
          "GIT_COMMIT", "GIT_BRANCH");

  private AgentEnvironment() {}

  /**
   * The allowed host variables plus the session's variables (which win).
   *
   * @param host the host's environment
   * @param sessionVariables the session's own (identity, credentials the policy issues, registries)
   */
  public static Map<String, String> build(Map<String, String> host, Map<String, String> sessionVariables) {
    return build(host, sessionVariables, List.of());
  }

  /**
   * As {@link #build(Map, Map)}, also passing the host variables the policy names ({@code
   * sandbox.env.pass}); a name that is not set on the host is skipped.
   */
  public static Map<String, String> build(Map<String, String> host, Map<String, String> sessionVariables, List<String> granted) {
    Map<String, String> env = new TreeMap<>();
    host.forEach(
        (name, value) -> {
          if (isAllowed(name) || granted.contains(name)) {
            env.put(name, value);
          }
        });
    env.putAll(sessionVariables);
    return env;
  }

  /** Whether a host variable reaches the agent without a grant. */
  public static boolean isAllowed(String name) {
    return BASICS.contains(name) || name.startsWith("LC_") || CI_METADATA.contains(name);
  }
}
