package dev.taskbound.core.cli;

import dev.taskbound.core.session.EgressTally;
import dev.taskbound.core.session.Session;
import dev.taskbound.core.session.StepResult;
import dev.taskbound.core.session.TeardownReport;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.time.Duration;

/** The short end-of-run report printed to stderr: outcome, egress by host, teardown, bundle. */
final class RunSummary {
  private RunSummary() {}

  static void print(PrintWriter err, Session session, int status, TeardownReport report) {
    err.printf(
        "taskbound: task %s finished: exit %d, teardown %s%n",
        session.record().taskId(), status, report.ok() ? "ok" : "FAILED");
    // why Taskbound stopped the agent (the TTL, a failed gateway, a signal): the exit code alone does not say
    session.stopped().ifPresent(cause -> err.println("  stopped: " + dev.taskbound.core.SafeText.line(cause)));
    if (session.policy().enforcement() == dev.taskbound.core.policy.Enforcement.COOPERATIVE) {
      err.println("  WARNING: egress was NOT enforced (cooperative: proxy variables only); use enforcement: strict");
    }
    if (!session.protectionsOff().isEmpty()) {
      err.println("  WARNING: confinement was REDUCED (sandbox.confinement: reduced): "
          + String.join(", ", session.protectionsOff()) + " off; see sandbox.started in the evidence");
    }
    EgressTally tally = session.egress();
    err.printf("  egress: %d allowed, %d denied%n", tally.total(true), tally.total(false));
    for (EgressTally.Line line : tally.lines()) {
      if (line.denied() > 0) {
        err.printf("    denied %s (%dx): %s%n", line.destination(), line.denied(), line.hint());
      }
    }
    printTeardown(err, report);
    if (Files.exists(session.record().bundle())) {
      err.printf("  evidence: %s%n", session.record().bundle());
      err.printf("  summary:  %s%n", session.record().summary());
      err.printf("  verify:   taskbound verify --expect-kid %s %s%n", session.evidenceKeyId(), session.record().bundle());
    }
    err.flush();
  }

  static void printTeardown(PrintWriter err, TeardownReport report) {
    printTeardown(err, report, "taskbound teardown --session <the session directory printed above>");
  }

  /** As {@link #printTeardown(PrintWriter, TeardownReport)}, naming {@code retry} as the command to retry with. */
  static void printTeardown(PrintWriter err, TeardownReport report, String retry) {
    for (StepResult step : report.steps()) {
      err.printf(
          "  teardown %-22s %s%s%n",
          step.step(),
          step.outcome(),
          step.error().map(e -> " (" + e + ")").orElse(""));
    }
    if (!report.ok()) {
      err.println("  teardown failed; retry with: " + retry);
    }
    err.flush();
  }

  static String duration(Duration d) {
    return d.toString().substring(2).toLowerCase(java.util.Locale.ROOT);
  }
}
