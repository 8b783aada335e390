package dev.taskbound.action;

import dev.taskbound.core.ExitCodes;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * Runs the core CLI as a child process with an explicit environment. A separate process is what
 * makes {@link RunnerEnvironment#withoutRunnerSecrets} hold: the core's JVM never had the runner's
 * tokens in its environment, so it cannot hand them on. If the action's JVM is asked to stop (the
 * runner cancels the job with SIGTERM), the child is asked to stop too, so the core runs its teardown.
 * Immutable; each call starts its own process.
 */
public final class ProcessCoreCli implements CoreCli {
  /** How long a stopping action waits for the core's teardown before it gives up on the child. */
  private static final long STOP_GRACE_SECONDS = 60;

  private final List<String> launcher;

  /**
   * @param launcher the command that starts the core CLI, e.g.
   *     {@code [java, -cp, taskbound-action.jar, dev.taskbound.core.cli.Main]}; the arguments of each
   *     call are appended
   * @throws IllegalArgumentException if {@code launcher} is empty
   */
  public ProcessCoreCli(List<String> launcher) {
    this.launcher = List.copyOf(launcher);
    if (this.launcher.isEmpty()) {
      throw new IllegalArgumentException("launcher must name a command");
    }
  }

  /**
   * {@inheritDoc}
   *
   * @return the child's exit status, or {@link ExitCodes#USAGE} if it could not be started (the
   *     reason is printed to {@code err})
   */
  @Override
  public int execute(
      List<String> args, Map<String, String> env, Path workingDirectory, PrintStream out, PrintStream err) {
    List<String> command = new ArrayList<>(launcher);
    command.addAll(args);
    ProcessBuilder builder = new ProcessBuilder(command).directory(workingDirectory.toFile());
    builder.environment().clear();
    builder.environment().putAll(env);
    Process process;
    try {
      process = builder.start();
    } catch (IOException e) {
      err.println("cannot start the Taskbound core (" + launcher.get(0) + "): " + e.getMessage());
      return ExitCodes.USAGE;
    }
    Thread stopper = new Thread(() -> stop(process), "taskbound-core-stopper");
    Runtime.getRuntime().addShutdownHook(stopper);
    Thread outPump = pump(process.getInputStream(), out, "taskbound-core-stdout");
    Thread errPump = pump(process.getErrorStream(), err, "taskbound-core-stderr");
    try {
      int status = process.waitFor();
      outPump.join();
      errPump.join();
      return status;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      stop(process);
      return ExitCodes.SIGNAL_BASE + 15;
    } finally {
      removeHook(stopper);
    }
  }

  private static void stop(Process process) {
    process.destroy();
    try {
      if (!process.waitFor(STOP_GRACE_SECONDS, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }

  private static void removeHook(Thread hook) {
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException alreadyStopping) {
      // The JVM is shutting down and the hook is running; it ends with the child.
    }
  }

  private static Thread pump(InputStream from, PrintStream to, String name) {
    Objects.requireNonNull(to, "to");
    Thread thread =
        new Thread(
            () -> {
              try (from) {
                from.transferTo(to);
              } catch (IOException streamClosed) {
                // A stopping child's pipe closes under the reader ("Stream closed"): the output
                // ends there. Its teardown's status is what counts, not a stack trace in the log.
              } finally {
                to.flush();
              }
            },
            name);
    thread.setDaemon(true);
    thread.start();
    return thread;
  }
}
