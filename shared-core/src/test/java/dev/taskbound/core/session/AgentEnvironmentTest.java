package dev.taskbound.core.session;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AgentEnvironmentTest {
  @ParameterizedTest
  @ValueSource(
      strings = {
        "ACTIONS_RUNTIME_TOKEN",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
        "ACTIONS_ID_TOKEN_REQUEST_URL",
        "TASKBOUND_GITHUB_APP_KEY",
        "DOCKER_HOST",
        "https_proxy",
        "NO_PROXY",
        "JAVA_TOOL_OPTIONS",
        "VAULT_TOKEN",
        "GITHUB_TOKEN"
      })
  void keepsHostCredentialsAndEndpointsFromTheAgent(String name) {
    Map<String, String> host = Map.of(name, "sentinel-value", "PATH", "/usr/bin");

    Map<String, String> env = AgentEnvironment.build(host, Map.of("TASKBOUND_TASK", "T-1"));

    assertThat(env).doesNotContainKey(name).containsEntry("PATH", "/usr/bin").containsEntry("TASKBOUND_TASK", "T-1");
  }

  /** Issue 11: an allow-list, not a deny-list; what nobody thought to list stays out. */
  @ParameterizedTest
  @ValueSource(strings = {"AWS_SECRET_ACCESS_KEY", "NPM_TOKEN", "GOOGLE_APPLICATION_CREDENTIALS", "SOME_FUTURE_SECRET", "LD_PRELOAD"})
  void hostVariablesNotOnTheAllowListStayOut(String name) {
    Map<String, String> host = Map.of(name, "sentinel-value", "PATH", "/usr/bin", "GITHUB_RUN_ID", "42", "LC_ALL", "C.UTF-8");

    Map<String, String> env = AgentEnvironment.build(host, Map.of());

    assertThat(env).containsOnlyKeys("PATH", "GITHUB_RUN_ID", "LC_ALL");
  }

  @Test
  void aVariableThePolicyGrantsIsPassed() {
    Map<String, String> host = Map.of("JAVA_HOME", "/opt/jdk", "NPM_TOKEN", "sentinel-value");

    Map<String, String> env = AgentEnvironment.build(host, Map.of(), List.of("JAVA_HOME", "NOT_SET"));

    assertThat(env).containsExactlyEntriesOf(Map.of("JAVA_HOME", "/opt/jdk"));
  }
}
