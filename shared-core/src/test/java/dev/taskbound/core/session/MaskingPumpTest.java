package dev.taskbound.core.session;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskbound.core.broker.Secret;
import dev.taskbound.core.broker.SecretMasker;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The agent's output passes through a named pipe and the masker, line by line. */
@Timeout(30)
class MaskingPumpTest {
  private static final String SECRET = "SENTINEL-pump-secret";

  @TempDir Path dir;

  @Test
  void masksEveryIssuedSecretAndGithubTokenInAProcessesOutput() throws Exception {
    ByteArrayOutputStream sink = new ByteArrayOutputStream();
    SecretMasker masker = new SecretMasker(List.of(Secret.of(SECRET)));

    try (MaskingPump pump = MaskingPump.start(dir.resolve("out.pipe"), sink, masker, "stdout")) {
      ProcessBuilder pb = new ProcessBuilder("sh", "-c",
          "echo \"key=$S\"; printf 'tok=ghs_%s\\nlast' abcdefghijklmnopqrstuvwxyz0123456789");
      pb.environment().put("S", SECRET);
      Process p = pb.redirectOutput(pump.redirect()).start();
      p.getOutputStream().close();
      p.waitFor();

      assertThat(pump.await(Duration.ofSeconds(10))).isTrue();
    }

    assertThat(sink.toString(StandardCharsets.UTF_8)).isEqualTo("key=***\ntok=***\nlast");
  }

  @Test
  void closingAPumpWhoseWriterNeverCameEndsItsThread() throws Exception {
    MaskingPump pump = MaskingPump.start(dir.resolve("never.pipe"), new ByteArrayOutputStream(),
        new SecretMasker(List.of()), "stderr");

    pump.close();

    assertThat(pump.await(Duration.ofSeconds(5))).isTrue();
    assertThat(dir.resolve("never.pipe")).doesNotExist();
  }
}
