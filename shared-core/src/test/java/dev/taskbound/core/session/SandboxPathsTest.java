package dev.taskbound.core.session;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SandboxPathsTest {
  /**
   * Review finding: in the Action a policy's readWrite: [/github/file_commands] let the agent write
   * $GITHUB_ENV, which sets the environment of the job's later steps, outside any sandbox.
   */
  @Test
  void theRunnersFileCommandDirectoriesAreHidden() {
    Map<String, String> host = Map.of("GITHUB_ENV", "/github/file_commands/set_env_1", "GITHUB_PATH",
        "/github/file_commands/add_path_1", "GITHUB_STEP_SUMMARY", "/github/file_commands/step_summary_1",
        "GITHUB_OUTPUT", "relative/out", "GITHUB_STATE", "/state_at_root", "HOME", "/github/home");

    assertThat(SandboxPaths.hidden(Path.of("/s"), Path.of("/r"), host))
        .contains(Path.of("/github/file_commands"))
        .doesNotContain(Path.of("relative"), Path.of("/"));
  }
}
