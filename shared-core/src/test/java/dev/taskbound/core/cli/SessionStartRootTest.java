package dev.taskbound.core.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskbound.core.testing.CliProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Review finding LOW-5: a session root that cannot be created is one clear line with 121, as for {@code run}. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SessionStartRootTest {
  @TempDir Path work;

  @Test
  void aSessionRootThatCannotBeCreatedIsOneLineWithExit121NotAnInternalError() throws Exception {
    Path ws = Files.createDirectories(work.resolve("ws"));
    Path file = Files.writeString(work.resolve("not-a-directory"), "x"); // unwritable as a directory, for root too
    Path root = file.resolve("sessions");

    try (CliProcess start = CliProcess.start(ws, Map.of(), "session", "start", "--task", "T-11", "--session-root",
        root.toString())) {
      int status = start.waitFor(Duration.ofSeconds(50));

      assertThat(status).as(start.stderr()).isEqualTo(121);
      assertThat(start.stderr()).isEqualTo("taskbound: error: cannot create the session directory " + root + ": " + root
          + ": Not a directory; set --session-root to a writable directory");
    }
  }
}
