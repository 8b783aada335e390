package dev.taskbound.core.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which directories are bound onto themselves so that a hidden path keeps its place. */
class HiddenPathLocksTest {
  @TempDir Path dir;

  @Test
  void aHiddenDirectoryHoldingTheWorkspaceDoesNotExemptTheDirectoriesAboveAHiddenFile() throws Exception {
    // given a workspace under a directory the sandbox hides (the host's /tmp, a home), and a hidden file deep in it
    Path workspace = Files.createDirectories(dir.resolve("ws")).toRealPath();
    Path secret = Files.writeString(Files.createDirectories(workspace.resolve("deep/er")).resolve("secret.txt"), "s");

    // when the locks are planned with the holding directories among the hidden paths
    List<Path> locked = HiddenPathLocks.directoriesToLock(List.of(dir.getParent(), dir, secret), List.of(workspace), List.of());

    // then every directory between the workspace and the hidden file is locked all the same
    assertThat(locked).containsExactly(workspace.resolve("deep"), workspace.resolve("deep/er"));
  }

  @Test
  void directoriesInsideAHiddenDirectoryOfTheWorkspaceAreNotLocked() throws Exception {
    Path workspace = Files.createDirectories(dir.resolve("ws")).toRealPath();
    Path hiddenDir = Files.createDirectories(workspace.resolve("a/vault"));
    Path inner = Files.writeString(Files.createDirectories(hiddenDir.resolve("b")).resolve("key"), "s");

    List<Path> locked = HiddenPathLocks.directoriesToLock(List.of(hiddenDir, inner), List.of(workspace), List.of());

    assertThat(locked).containsExactly(workspace.resolve("a"));
  }
}
