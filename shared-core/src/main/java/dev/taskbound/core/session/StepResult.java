package dev.taskbound.core.session;

import java.util.Objects;
import java.util.Optional;

/**
 * The outcome of one teardown step.
 *
 * @param step the step's name, e.g. {@code stop-sandbox}
 * @param outcome {@code ok}, {@code failed}, {@code skipped}, or {@code scheduled} (in the bundle's own
 *     report, for a step that runs after the seal: its result is in the report next to the bundle)
 * @param attempts how many times the undo was tried
 * @param error for a failure, a one-line description free of secret values (for a skipped or
 *     scheduled step, why)
 */
public record StepResult(String step, String outcome, int attempts, Optional<String> error) {
  public StepResult {
    Objects.requireNonNull(step, "step");
    Objects.requireNonNull(outcome, "outcome");
    Objects.requireNonNull(error, "error");
  }

  public static StepResult ok(String step, int attempts) {
    return new StepResult(step, "ok", attempts, Optional.empty());
  }

  public static StepResult failed(String step, int attempts, String error) {
    return new StepResult(step, "failed", attempts, Optional.of(error));
  }

  public boolean failed() {
    return "failed".equals(outcome);
  }
}
