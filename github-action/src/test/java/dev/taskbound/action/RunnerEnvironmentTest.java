package dev.taskbound.action;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RunnerEnvironmentTest {

  @Test
  void dropsRunnerTokensAndKeepsEverythingElse() {
    Map<String, String> env = new HashMap<>();
    env.put("ACTIONS_RUNTIME_TOKEN", "runtime-secret");
    env.put("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "oidc-secret");
    env.put("ACTIONS_ID_TOKEN_REQUEST_URL", "https://pipelines.example/oidc?x=1");
    env.put("GITHUB_REPOSITORY", "acme/app");
    env.put("PATH", "/usr/bin");

    Map<String, String> passed = RunnerEnvironment.withoutRunnerSecrets(env);

    assertThat(passed).containsOnlyKeys("GITHUB_REPOSITORY", "PATH");
    assertThat(env).hasSize(5);
  }
}
