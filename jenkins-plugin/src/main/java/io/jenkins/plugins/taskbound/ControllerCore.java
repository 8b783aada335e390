package io.jenkins.plugins.taskbound;

import edu.umd.cs.findbugs.annotations.NonNull;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One run of the core on the controller ({@code credentials issue}, {@code credentials revoke}),
 * bounded in time: a core that outlives its timeout, or whose caller is interrupted (an aborted
 * build), is stopped (SIGTERM, then SIGKILL after a grace period) and is gone when this returns, so
 * its journal's lock is released and the caller can revoke from the journal at once. Needs no
 * Jenkins type (plain-tested).
 */
final class ControllerCore {
  /** What the core did: its exit status and output; {@code timedOut} when it was stopped after the timeout (status -1). */
  record Result(int status, @NonNull String out, @NonNull String err, boolean timedOut) {}

  private ControllerCore() {}

  /**
   * Runs {@code command} with exactly {@code environment} and {@code /dev/null} as standard input;
   * never a shell.
   *
   * @throws InterruptedException if interrupted while waiting; the process is stopped first
   */
  @NonNull
  static Result run(@NonNull List<String> command, @NonNull Map<String, String> environment, @NonNull Duration timeout,
      @NonNull Duration grace) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    pb.environment().clear();
    pb.environment().putAll(environment);
    Process p = pb.start();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Thread outPump = pump(p.getInputStream(), out, "stdout");
    Thread errPump = pump(p.getErrorStream(), err, "stderr");
    boolean finished;
    try {
      finished = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      stop(p, grace); // the caller revokes from the journal, which needs the core gone
      throw e;
    }
    if (!finished) {
      stop(p, grace);
      errPump.join(TimeUnit.SECONDS.toMillis(10));
      return new Result(-1, "", err.toString(StandardCharsets.UTF_8), true);
    }
    outPump.join(TimeUnit.SECONDS.toMillis(10));
    errPump.join(TimeUnit.SECONDS.toMillis(10));
    return new Result(p.exitValue(), out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8), false);
  }

  /** SIGTERM, then SIGKILL after {@code grace}; returns once the process is gone (bounded by two graces). */
  private static void stop(Process p, Duration grace) {
    p.destroy();
    boolean interrupted = false;
    for (int attempt = 0; attempt < 2 && p.isAlive(); attempt++) {
      try {
        if (!p.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
          p.destroyForcibly();
        }
      } catch (InterruptedException e) {
        interrupted = true;
        p.destroyForcibly();
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  private static Thread pump(InputStream from, ByteArrayOutputStream to, String name) {
    Thread t = new Thread(() -> {
      try (InputStream in = from) {
        in.transferTo(to);
      } catch (IOException ignored) {
        // the process ended
      }
    }, "taskbound-controller-core-" + name);
    t.setDaemon(true);
    t.start();
    return t;
  }
}
