package dev.taskbound.core.session;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
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
}
