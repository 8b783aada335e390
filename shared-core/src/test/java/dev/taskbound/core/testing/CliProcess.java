package dev.taskbound.core.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
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
  private final List<Thread> pumps = new CopyOnWriteArrayList<>();

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

  /**
   * Starts {@code bin/taskbound ARGS...} in {@code workDir}, the shipped launcher with the shaded jar
   * of system property {@code taskbound.jar} (set by failsafe: for {@code *IT} tests, after
   * {@code package}). Its class-data archive goes to {@code workDir/cache} unless {@code env} sets
   * {@code XDG_CACHE_HOME}.
   */
  public static CliProcess startLauncher(Path workDir, Map<String, String> env, String... args) throws IOException {
    return startLauncher(workDir, env, ProcessBuilder.Redirect.PIPE, args);
  }

  /**
   * As {@link #startLauncher(Path, Map, String...)}, with standard input from {@code stdin} (a file:
   * {@code taskbound ... < FILE}, as a shell redirects it).
   */
  public static CliProcess startLauncher(Path workDir, Map<String, String> env, ProcessBuilder.Redirect stdin,
      String... args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(launcher().toString());
    command.addAll(List.of(args));
    AgentOwner.own(workDir); // the agent runs as the workspace's owner, never root
    ProcessBuilder pb = new ProcessBuilder(command).directory(workDir.toFile());
    pb.environment().put("TASKBOUND_JAR", shadedJar().toString());
    pb.environment().put("XDG_CACHE_HOME", workDir.resolve("cache").toString());
    pb.environment().putAll(env);
    return new CliProcess(pb.redirectInput(stdin).start());
  }

  /**
   * Runs {@code script} with {@code bash -o pipefail -c} in {@code workDir}, for a real shell pipeline
   * between launcher runs: {@code $0} is {@code bin/taskbound} (as {@link #startLauncher}: the shaded
   * jar, its class-data cache in {@code workDir/cache}), {@code $1...} are {@code args}.
   */
  public static CliProcess startPipeline(Path workDir, Map<String, String> env, String script, String... args)
      throws IOException {
    List<String> command = new ArrayList<>(List.of("bash", "-o", "pipefail", "-c", script, launcher().toString()));
    command.addAll(List.of(args));
    AgentOwner.own(workDir); // the agent runs as the workspace's owner, never root
    ProcessBuilder pb = new ProcessBuilder(command).directory(workDir.toFile());
    pb.environment().put("TASKBOUND_JAR", shadedJar().toString());
    pb.environment().put("XDG_CACHE_HOME", workDir.resolve("cache").toString());
    pb.environment().putAll(env);
    return new CliProcess(pb.start());
  }

  /** {@code bin/taskbound} of this checkout. */
  public static Path launcher() {
    return Path.of(System.getProperty("taskbound.repo.root", "..")).toAbsolutePath().normalize().resolve("bin/taskbound");
  }

  /** The shaded jar under test; fails when not run by failsafe after {@code package}. */
  public static Path shadedJar() {
    String jar = System.getProperty("taskbound.jar");
    if (jar == null || !Files.isRegularFile(Path.of(jar))) {
      throw new AssertionError("no shaded jar (taskbound.jar=" + jar + "): run as an *IT test, after package");
    }
    return Path.of(jar).toAbsolutePath();
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
    pumps.add(t);
    t.start();
  }

  /**
   * Blocks until a line (stdout or stderr) matches; fails after {@code timeout}, or as soon as the
   * process has ended and all its output was read without a match.
   */
  public String awaitLine(Predicate<String> match, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    for (long left; (left = deadline - System.nanoTime()) > 0; ) {
      String line = lines.poll(Math.min(left, TimeUnit.MILLISECONDS.toNanos(250)), TimeUnit.NANOSECONDS);
      if (line != null && match.test(line)) {
        return line;
      }
      if (line == null && !process.isAlive() && outputRead() && lines.isEmpty()) {
        throw new AssertionError("taskbound exited with " + process.exitValue() + " before a matching line; stdout="
            + stdout + " stderr=" + stderr);
      }
    }
    throw new AssertionError("no matching line within " + timeout + "; stdout=" + stdout + " stderr=" + stderr);
  }

  private boolean outputRead() {
    return pumps.stream().noneMatch(Thread::isAlive);
  }

  /**
   * Waits for the process to end, then for its output to be read to the end (so that {@link #stdout}
   * and {@link #stderr} hold all of it), and returns its exit status. A child that keeps the output
   * pipes open (a detached supervisor) bounds that second wait at {@link #OUTPUT_DRAIN}.
   */
  public int waitFor(Duration timeout) throws InterruptedException {
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("taskbound did not end within " + timeout + "; stderr=" + stderr);
    }
    long deadline = System.nanoTime() + OUTPUT_DRAIN.toNanos();
    for (Thread pump : pumps) {
      long left = deadline - System.nanoTime();
      if (left > 0) {
        pump.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
      }
    }
    return process.exitValue();
  }

  /** How long {@link #waitFor} waits, after the process ended, for its output to be read. */
  private static final Duration OUTPUT_DRAIN = Duration.ofSeconds(10);

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
