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

    try (MaskingPump pump = MaskingPump.start(dir.resolve("out.pipe"), sink, () -> masker, "stdout")) {
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

  /** A secret issued while the agent runs (a refreshed GitHub token) is masked from the next line on. */
  @Test
  void aSecretIssuedWhileTheAgentRunsIsMaskedFromTheNextLineOn() throws Exception {
    String fresh = "SENTINEL-issued-mid-run"; // no GitHub token pattern: only the masker's knowledge can hide it
    java.util.concurrent.CountDownLatch firstLine = new java.util.concurrent.CountDownLatch(1);
    ByteArrayOutputStream sink = new ByteArrayOutputStream() {
      @Override
      public synchronized void write(byte[] b, int off, int len) {
        super.write(b, off, len);
        if (toString(StandardCharsets.UTF_8).contains("\n")) {
          firstLine.countDown();
        }
      }
    };
    java.util.concurrent.atomic.AtomicReference<SecretMasker> current =
        new java.util.concurrent.atomic.AtomicReference<>(new SecretMasker(List.of()));

    try (MaskingPump pump = MaskingPump.start(dir.resolve("live.pipe"), sink, current::get, "stdout")) {
      try (java.io.OutputStream agent = new java.io.FileOutputStream(dir.resolve("live.pipe").toFile())) {
        agent.write(("before=" + fresh + "\n").getBytes(StandardCharsets.UTF_8));
        agent.flush();
        assertThat(firstLine.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        current.set(new SecretMasker(List.of(Secret.of(fresh)))); // the session issues it now
        agent.write(("after=" + fresh + "\n").getBytes(StandardCharsets.UTF_8));
      }
      assertThat(pump.await(Duration.ofSeconds(10))).isTrue();
    }

    assertThat(sink.toString(StandardCharsets.UTF_8)).isEqualTo("before=" + fresh + "\nafter=***\n");
  }

  /** The agent chooses where its lines end: a secret across the 64 KiB cut of a long line was passed on in two halves. */
  @Test
  void aSecretAcrossTheCutOfAnOverlongLineIsMaskedWherePositionedAndInBinaryOutput() throws Exception {
    ByteArrayOutputStream sink = new ByteArrayOutputStream();
    SecretMasker masker = new SecretMasker(List.of(Secret.of(SECRET)));
    String token = "ghs_abcdefghijklmnopqrstuvwxyz0123456789AB";
    StringBuilder script = new StringBuilder();
    for (int at : new int[] {10, SECRET.length() / 2, 1}) { // the secret ends this many bytes past the cut
      script.append("head -c ").append(MaskingPump.MAX_LINE - SECRET.length() + at).append(" /dev/zero | tr '\\0' A;")
          .append(" printf '%s\\n' \"$S\";");
    }
    script.append("head -c ").append(MaskingPump.MAX_LINE - 20).append(" /dev/zero | tr '\\0' '\\377';")
        .append(" printf '%s\\n' ").append(token).append(";");

    try (MaskingPump pump = MaskingPump.start(dir.resolve("long.pipe"), sink, () -> masker, "stdout")) {
      ProcessBuilder pb = new ProcessBuilder("sh", "-c", script.toString());
      pb.environment().put("S", SECRET);
      Process p = pb.redirectOutput(pump.redirect()).start();
      p.getOutputStream().close();
      p.waitFor();

      assertThat(pump.await(Duration.ofSeconds(10))).isTrue();
    }

    String out = sink.toString(StandardCharsets.ISO_8859_1);
    assertThat(out).doesNotContain(SECRET.substring(0, 8)).doesNotContain(SECRET.substring(SECRET.length() - 8))
        .doesNotContain("ghs_abcdefghij").endsWith("***\n");
    assertThat(out.split("\n")).hasSize(4).allSatisfy(line -> assertThat(line).endsWith("***"));
  }

  @Test
  void closingAPumpWhoseWriterNeverCameEndsItsThread() throws Exception {
    MaskingPump pump = MaskingPump.start(dir.resolve("never.pipe"), new ByteArrayOutputStream(),
        () -> new SecretMasker(List.of()), "stderr");

    pump.close();

    assertThat(pump.await(Duration.ofSeconds(5))).isTrue();
    assertThat(dir.resolve("never.pipe")).doesNotExist();
  }
}
