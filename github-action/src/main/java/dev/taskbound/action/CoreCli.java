package dev.taskbound.action;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The Taskbound core CLI as the action drives it: one call is one {@code taskbound} command line
 * ({@code run ...}, {@code teardown ...}). Implementations must give the command exactly
 * {@code env} as its environment, nothing inherited, since that is how the action keeps runner
 * credentials away from the core and the agent.
 */
@FunctionalInterface
public interface CoreCli {
  /**
   * Runs one core command to completion.
   *
   * @param args the arguments after {@code taskbound}, e.g. {@code [run, --task, FIX-1, ...]}
   * @param env the complete environment of the command
   * @param workingDirectory the directory relative paths in {@code args} are resolved against
   * @param out where the command's standard output goes
   * @param err where the command's standard error goes
   * @return the command's exit status (the agent's status for {@code run}, 120-125 for Taskbound's own
   *     outcomes)
   */
  int execute(
      List<String> args, Map<String, String> env, Path workingDirectory, PrintStream out, PrintStream err);
}
