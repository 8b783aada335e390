package dev.taskbound.core.cli;

import dev.taskbound.core.StopCommands;
import java.io.PrintWriter;
import java.util.Map;
import java.util.Optional;

/**
 * Fences the agent's output from the GitHub Actions runner when {@code taskbound run} is a step's
 * own command ({@code run: taskbound run -- ...}): the runner reads every line of a step's output
 * for workflow commands, so an agent printing {@code ::add-mask::}, {@code ::error file=...::} or
 * {@code ::stop-commands::} would drive the job log and its annotations. Before the agent starts,
 * {@code ::stop-commands::TOKEN} (a fresh random token) goes to standard output and standard error;
 * after it ends, {@code ::TOKEN::} resumes them, so Taskbound's own report is read as usual. The
 * Taskbound Action fences the output itself ({@code TASKBOUND_MASK_HANDOFF}), so it gets no second
 * fence.
 */
final class WorkflowCommandFence {
  private final String token;
  private final PrintWriter out;
  private final PrintWriter err;

  private WorkflowCommandFence(String token, PrintWriter out, PrintWriter err) {
    this.token = token;
    this.out = out;
    this.err = err;
  }

  /** Opens the fence on a GitHub Actions runner ({@code GITHUB_ACTIONS=true}) outside the Action; else none. */
  static Optional<WorkflowCommandFence> open(Map<String, String> host, PrintWriter out, PrintWriter err) {
    if (!"true".equals(host.get("GITHUB_ACTIONS")) || host.containsKey(RunCommand.MASK_HANDOFF)) {
      return Optional.empty();
    }
    WorkflowCommandFence fence = new WorkflowCommandFence(StopCommands.token(), out, err);
    fence.both(StopCommands.stop(fence.token));
    return Optional.of(fence);
  }

  /**
   * Resumes workflow commands: the agent's output has ended. An empty line first: an agent whose last
   * line lacks its newline would otherwise have the resume read as the end of its own line, and
   * commands would stay off for the rest of the job's step.
   */
  void close() {
    both(System.lineSeparator() + StopCommands.resume(token));
  }

  private void both(String line) {
    out.println(line);
    out.flush();
    err.println(line);
    err.flush();
  }
}
