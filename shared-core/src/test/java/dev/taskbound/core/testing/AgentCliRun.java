package dev.taskbound.core.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@code bin/taskbound} (or the shaded jar) as a user would, for the real-agent end-to-end
 * tests: caches and Taskbound's home under the test's own directory, stdin empty, output and errors
 * together.
 */
public final class AgentCliRun {
  /** The exit status and everything the process printed. */
  public record Result(int status, String output) {}

  private AgentCliRun() {}

  /** Runs {@code command} in {@code dir}, with {@code env} added; at most 240 s. */
  public static Result run(Path work, Path jar, Path dir, Map<String, String> env, List<String> command)
      throws IOException, InterruptedException {
    // stdin from /dev/null, as in a CI job (an open pipe makes `codex exec` wait for more input)
    ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    pb.environment().putAll(env);
    pb.environment().put("XDG_CACHE_HOME", work.resolve("cache").toString());
    pb.environment().put("TASKBOUND_HOME", work.resolve("tbhome").toString());
    pb.environment().put("TASKBOUND_JAR", jar.toString());
    Process p = pb.start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(240, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("timed out: " + command);
    }
    return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }
}
