package dev.taskbound.core.cli;

import dev.taskbound.core.ExitCodes;
import dev.taskbound.core.session.SessionClient;
import dev.taskbound.core.session.TeardownReport;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code taskbound session end --session H}: tears an open session down, or finishes a crashed one. */
@Command(
    name = "end",
    mixinStandardHelpOptions = true,
    description = {
      "Ends session H: stops its running commands, revokes its credentials, stops its gateway, seals its",
      "evidence into the bundle. Safe to run more than once. When its supervisor is gone (SIGKILL, a lost",
      "node) it finishes the teardown from the journal, as 'taskbound teardown --session H' does."
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:the session is torn down (now or earlier)",
      "123:a teardown step failed (listed); run again to retry",
      "124:the session had already been ended by its TTL"
    })
final class SessionEndCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--session", required = true, paramLabel = "H", description = "The handle 'session start' printed.")
  Path session;

  private final Map<String, String> env;

  SessionEndCommand(Map<String, String> env) {
    this.env = env;
  }

  @Override
  public Integer call() {
    PrintWriter err = spec.commandLine().getErr();
    Optional<SessionClient.Finished> finished = SessionClient.finished(session);
    if (finished.isPresent()) {
      err.println("taskbound: " + finished.get().description());
      err.flush();
      return finished.get().ttlExpired() ? ExitCodes.TTL_EXPIRED : 0;
    }
    Optional<SessionClient.Ended> ended = SessionClient.of(session).end();
    TeardownReport report;
    boolean ttl = false;
    if (ended.isPresent()) {
      report = ended.get().report();
      ttl = ended.get().ttlExpired();
    } else {
      err.println("taskbound: the session's supervisor is gone; finishing its teardown from the journal");
      report = TeardownCommand.finish(session, env, err);
    }
    RunSummary.printTeardown(err, report);
    if (!report.ok()) {
      return ExitCodes.TEARDOWN;
    }
    return ttl ? ExitCodes.TTL_EXPIRED : 0;
  }
}
