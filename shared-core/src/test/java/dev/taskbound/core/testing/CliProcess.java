package dev.taskbound.core.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * The real {@code taskbound} CLI in a child JVM (same java binary and class path as the tests), with
 * its output lines captured so a test can wait for a line instead of sleeping.
 */
public final class CliProcess implements AutoCloseable {
  private final Process process;
  private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
  private final List<String> stdout = new CopyOnWriteArrayList<>();
  private final List<String> stderr = new CopyOnWriteArrayList<>();

  private CliProcess(Process process) {
    this.process = process;
    pump(process.getInputStream(), stdout, "taskbound-test-stdout");
    pump(process.getErrorStream(), stderr, "taskbound-test-stderr");
  }

  /** Starts {@code taskbound ARGS...} in {@code workDir} with the extra environment given. */
  public static CliProcess start(Path workDir, Map<String, String> env, String... args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add("dev.taskbound.core.cli.Main");
    command.addAll(List.of(args));
    AgentOwner.own(workDir); // the agent runs as the workspace's owner, never root
    ProcessBuilder pb = new ProcessBuilder(command).directory(workDir.toFile());
    pb.environment().putAll(env);
    return new CliProcess(pb.start());
  }

  private void pump(InputStream in, List<String> sink, String name) {
    Thread t =
        new Thread(
            () -> {
              try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                  sink.add(line);
                  lines.add(line);
                }
              } catch (IOException ignored) {
                // The process ended; what was read is kept.
              }
            },
            name);
    t.setDaemon(true);
    t.start();
  }

  /** Blocks until a line (stdout or stderr) matches, or fails after {@code timeout}. */
  public String awaitLine(Predicate<String> match, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    for (long left; (left = deadline - System.nanoTime()) > 0; ) {
      String line = lines.poll(left, TimeUnit.NANOSECONDS);
      if (line != null && match.test(line)) {
        return line;
      }
    }
    throw new AssertionError("no matching line within " + timeout + "; stdout=" + stdout + " stderr=" + stderr);
  }

  /** Waits for the process to end and returns its exit status. */
  public int waitFor(Duration timeout) throws InterruptedException {
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("taskbound did not end within " + timeout + "; stderr=" + stderr);
    }
    return process.exitValue();
  }

  public Process process() {
    return process;
  }

  public String stdout() {
    return String.join("\n", stdout);
  }

  public String stderr() {
    return String.join("\n", stderr);
  }

  @Override
  public void close() {
    process.destroyForcibly();
  }
}
