package dev.taskbound.core.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A host command run to its end with no standard input and both outputs captured whole: how the
 * launcher ITs call {@code bin/taskbound} (or a command around it) and read what it printed.
 *
 * @param status the exit status
 * @param stdout everything it wrote on standard output
 * @param stderr everything it wrote on standard error
 */
public record FinishedCommand(int status, String stdout, String stderr) {
  /** The status and both outputs, for an assertion's description. */
  public String all() {
    return "status " + status + "\n--- stdout\n" + stdout + "--- stderr\n" + stderr;
  }

  /**
   * Runs {@code command} in {@code workDir}, with {@code env} added to this JVM's environment and its
   * standard input closed, and waits for its end.
   *
   * @throws AssertionError if it has not ended within {@code timeout} (it is killed)
   */
  public static FinishedCommand run(List<String> command, Path workDir, Map<String, String> env, Duration timeout)
      throws Exception {
    ProcessBuilder pb = new ProcessBuilder(command).directory(workDir.toFile());
    pb.environment().putAll(env);
    Process p = pb.start();
    p.getOutputStream().close();
    CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> {
      try {
        return p.getErrorStream().readAllBytes();
      } catch (IOException e) {
        return new byte[0];
      }
    });
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("timed out: " + command);
    }
    return new FinishedCommand(p.exitValue(), new String(out, StandardCharsets.UTF_8),
        new String(err.get(30, TimeUnit.SECONDS), StandardCharsets.UTF_8));
  }
}
