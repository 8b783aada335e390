package dev.taskbound.core.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.taskbound.core.ExitCodes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The shared check of the policy rejection tables: org.yml (optional) and task.yml in one directory. */
final class PolicyTables {
  private PolicyTables() {}

  /** Writes the files, resolves them, and asserts one policy error with exactly {@code expected}. */
  static void assertRejected(Path dir, String name, String org, String task, String expected) throws IOException {
    List<Path> files = new ArrayList<>();
    if (org != null) {
      files.add(Files.writeString(dir.resolve("org.yml"), org));
    }
    files.add(Files.writeString(dir.resolve("task.yml"), task));

    PolicyException e = catchThrowableOfType(
        () -> PolicyResolver.resolve(files, Optional.empty()), PolicyException.class);

    assertThat(e).as(name).isNotNull();
    assertThat(e.getMessage().replace(dir + "/", "")).isEqualTo(expected);
    assertThat(e.exitCode()).isEqualTo(ExitCodes.POLICY);
  }
}
