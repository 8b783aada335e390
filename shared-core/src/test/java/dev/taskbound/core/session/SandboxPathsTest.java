package dev.taskbound.core.session;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SandboxPathsTest {
  @TempDir Path tmp;

  /**
   * Review finding: the launcher's cache was made (as root, for the Action and Jenkins) through a link
   * the agent planted among its parents, putting a directory wherever the agent chose. It is made only
   * under parents the launcher would trust.
   */
  @Test
  void theLaunchersCacheIsMadeOnlyUnderParentsTheLauncherWouldTrust() throws Exception {
    Path elsewhere = Files.createDirectories(tmp.resolve("elsewhere"));
    Path link = Files.createSymbolicLink(tmp.resolve("xdg-link"), elsewhere);
    Path shared = Files.createDirectories(tmp.resolve("group-writable"));
    Files.setAttribute(shared, "unix:mode", 0775);
    Path fine = Files.createDirectories(tmp.resolve("fine"));

    SandboxPaths.makeLauncherCache(Map.of("XDG_CACHE_HOME", link.toString()));
    SandboxPaths.makeLauncherCache(Map.of("XDG_CACHE_HOME", shared.toString()));
    SandboxPaths.makeLauncherCache(Map.of("XDG_CACHE_HOME", fine.resolve("not/yet").toString()));

    assertThat(elsewhere.resolve("taskbound")).doesNotExist();
    assertThat(shared.resolve("taskbound")).doesNotExist();
    assertThat(fine.resolve("not/yet/taskbound")).isDirectory();
    assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(fine.resolve("not/yet/taskbound"))))
        .isEqualTo("rwx------");
  }

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
