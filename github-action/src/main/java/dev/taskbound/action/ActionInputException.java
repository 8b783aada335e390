package dev.taskbound.action;

import dev.taskbound.core.ExitCodes;
import dev.taskbound.core.TaskboundException;
import java.util.List;

/**
 * One or more Action inputs are missing or invalid. Each problem is one line that names the input
 * (as the workflow spells it), quotes the offending value and lists what is accepted; the action
 * prints each as an {@code ::error::} line and exits with {@link ExitCodes#USAGE}.
 */
public final class ActionInputException extends TaskboundException {
  private static final long serialVersionUID = 1L;

  private final List<String> problems;

  /**
   * @param problems one line per bad input, in input order; must not be empty
   * @throws IllegalArgumentException if {@code problems} is empty
   */
  public ActionInputException(List<String> problems) {
    super(String.join("; ", requireNonEmpty(problems)));
    this.problems = List.copyOf(problems);
  }

  private static List<String> requireNonEmpty(List<String> problems) {
    if (problems.isEmpty()) {
      throw new IllegalArgumentException("an ActionInputException needs at least one problem");
    }
    return problems;
  }

  /** The problems, one line each, never empty. */
  public List<String> problems() {
    return problems;
  }

  @Override
  public int exitCode() {
    return ExitCodes.USAGE;
  }
}
