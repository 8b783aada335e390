package dev.taskbound.action;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class LocalActionGuardTest {
  private final Map<String, String> env = new HashMap<>();

  @BeforeEach
  void onARunner() {
    env.put("GITHUB_ACTIONS", "true");
  }

  @Test
  void refusesAnActionLoadedFromTheWorkspace() {
    env.put("GITHUB_ACTION_REPOSITORY", "");
    env.put("INPUT_ACTION-REPOSITORY", "");

    assertThat(LocalActionGuard.refusal(env)).hasValueSatisfying(line -> assertThat(line)
        .contains("'uses: ./'", "allow-local-action: true", "<owner>/taskbound@<version>"));
  }

  @Test
  void runsAnActionTheRunnerDownloaded() {
    env.put("INPUT_ACTION-REPOSITORY", "acme/taskbound");

    assertThat(LocalActionGuard.refusal(env)).isEmpty();
  }

  @Test
  void runsALocalActionWhenAllowed() {
    env.put("INPUT_ALLOW-LOCAL-ACTION", "true");

    assertThat(LocalActionGuard.refusal(env)).isEmpty();
  }

  @Test
  void rejectsAnAllowValueOtherThanTrueOrFalse() {
    env.put("INPUT_ALLOW-LOCAL-ACTION", "yes");
    env.put("GITHUB_ACTION_REPOSITORY", "acme/taskbound");

    assertThat(LocalActionGuard.refusal(env))
        .hasValue("input 'allow-local-action' is 'yes': accepted values are true, false or empty (false)");
  }

  @Test
  void appliesOnlyOnARunner() {
    env.remove("GITHUB_ACTIONS");

    assertThat(LocalActionGuard.refusal(env)).isEmpty();
  }
}
