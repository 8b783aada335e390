package dev.taskbound.core.session;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskbound.core.identity.TaskId;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RuntimeDirectoryTest {
  @TempDir Path dir;

  @Test
  void aMissingRuntimeRootIsCreatedAndTheSessionsOwnDirectoryIsPrivateAndRemovedAtClose() throws Exception {
    Path runtimeRoot = dir.resolve("not/yet/there");
    SessionSpec spec = SessionSpec.builder(TaskId.parse("RT-1"), List.of("true"))
        .sessionRoot(dir.resolve("sessions"))
        .runtimeRoot(runtimeRoot)
        .outDir(dir.resolve("out"))
        .build();

    Path own;
    try (Session session = Session.open(spec)) {
      own = runtimeRoot.resolve("tb-" + session.id().value());

      assertThat(own).isDirectory();
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(own))).isEqualTo("rwx------");
    }

    assertThat(own).doesNotExist();
    assertThat(runtimeRoot).isDirectory();
  }
}
