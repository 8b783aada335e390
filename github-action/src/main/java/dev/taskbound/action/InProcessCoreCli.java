package dev.taskbound.action;

import dev.taskbound.core.cli.TaskboundCli;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Runs the core CLI in this JVM: one JVM start less per step than {@link ProcessCoreCli} (the
 * action's image shades the core in). The core reads only the environment it is given ({@link
 * TaskboundCli} never reads {@code System.getenv}), so the runner's tokens the action withholds
 * stay withheld from the core and the agent; the agent's containers get their variables from the
 * core's map alone.
 *
 * <p>What the command writes goes to {@code out} and {@code err}; the agent's own output goes to
 * this process's standard output and error (directly, or through the core's masking when a
 * credential exists), in order after everything written to {@code out} before the agent started.
 * So when {@code out} ends up on this process's standard output, as the action's does, the agent's
 * output lands where the core's would have: after the masks and the opening fence, before the
 * closing one.
 *
 * <p>The core resolves relative paths against this process's working directory; a call for another
 * directory goes to {@code elsewhere}. While a {@code run} lasts, the core handles SIGINT, SIGTERM
 * and SIGHUP itself (it stops the agent and tears down), so a cancel ends in a normal return.
 */
final class InProcessCoreCli implements CoreCli {
  private final Path workingDirectory;
  private final CoreCli elsewhere;

  /**
   * @param workingDirectory this process's working directory
   * @param elsewhere the core for calls in another directory (a child process)
   */
  InProcessCoreCli(Path workingDirectory, CoreCli elsewhere) {
    this.workingDirectory = workingDirectory.toAbsolutePath().normalize();
    this.elsewhere = Objects.requireNonNull(elsewhere, "elsewhere");
  }

  @Override
  public int execute(List<String> args, Map<String, String> env, Path directory, PrintStream out, PrintStream err) {
    if (!directory.toAbsolutePath().normalize().equals(workingDirectory)) {
      return elsewhere.execute(args, env, directory, out, err);
    }
    PrintWriter coreOut = new PrintWriter(out, true, StandardCharsets.UTF_8);
    PrintWriter coreErr = new PrintWriter(err, true, StandardCharsets.UTF_8);
    return TaskboundCli.execute(args.toArray(String[]::new), coreOut, coreErr, Map.copyOf(env));
  }
}
