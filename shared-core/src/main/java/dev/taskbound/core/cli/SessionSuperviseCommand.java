package dev.taskbound.core.cli;

import dev.taskbound.core.session.NoticeFanout;
import dev.taskbound.core.session.OpenPhase;
import dev.taskbound.core.session.Session;
import dev.taskbound.core.session.SessionSpec;
import dev.taskbound.core.session.SessionSupervisor;
import dev.taskbound.core.session.TeardownReport;
import dev.taskbound.core.ExitCodes;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code taskbound session supervise}: the supervisor process {@code session start} launches. Opens
 * the session, listens on its control socket, writes the handle as one line on standard output and
 * closes it (the readiness signal), then serves until the session ends, and tears it down.
 */
@Command(name = "supervise", hidden = true, description = "The supervisor 'session start' launches; not for direct use.")
final class SessionSuperviseCommand implements Callable<Integer> {
  /** The placeholder command of a multi-command session's spec: each exec brings its own. */
  static final List<String> NO_COMMAND = List.of("(session: commands come with session exec)");

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @CommandLine.Mixin EnvelopeOptions envelope = new EnvelopeOptions();

  private final Map<String, String> env;
  private final java.io.InputStream stdin;
  private final OpenPhase.Listener openListener;

  SessionSuperviseCommand(Map<String, String> env, java.io.InputStream stdin, OpenPhase.Listener openListener) {
    this.env = env;
    this.stdin = stdin; // the hand-off `session start` pipes in for --credentials-handoff -
    this.openListener = openListener;
  }

  @Override
  public Integer call() throws InterruptedException {
    PrintWriter hostErr = spec.commandLine().getErr();
    NoticeFanout notices = new NoticeFanout(hostErr); // blocked hosts: the log, and the commands running
    SessionSpec sessionSpec = envelope.builder(NO_COMMAND, env, stdin, spec.commandLine())
        .denialNotices(new PrintWriter(notices, true)).openListener(openListener).build();
    AtomicReference<SessionSupervisor> supervisor = new AtomicReference<>();
    AtomicReference<String> early = new AtomicReference<>();
    try (SignalRelay relay = SignalRelay.install((name, number) -> {
      SessionSupervisor s = supervisor.get();
      if (s != null) {
        s.requestEnd("signal " + name);
      } else {
        early.compareAndSet(null, name);
      }
    })) {
      Session session = Session.open(sessionSpec);
      PrintWriter err = MaskingWriter.wrap(hostErr, session.masker());
      try {
        supervisor.set(SessionSupervisor.serve(session, notices));
      } catch (RuntimeException | Error e) {
        RunSummary.printTeardown(err, session.teardown());
        throw e;
      }
      if (early.get() != null) {
        supervisor.get().requestEnd("signal " + early.get());
      }
      err.printf(
          "taskbound: task %s, session %s, %s sandbox, ttl %s%n  identity: %s%n  session:  %s%n"
              + "  evidence key: kid %s (record it; verify with --expect-kid)%n",
          sessionSpec.task().value(),
          session.id().value(),
          session.policy().backend().name().toLowerCase(Locale.ROOT),
          RunSummary.duration(session.policy().ttl()),
          session.identity().spiffeId(),
          session.stateDirectory(),
          session.evidenceKeyId());
      err.flush();
      PrintWriter out = spec.commandLine().getOut();
      out.println(session.stateDirectory());
      out.flush();
      out.close(); // the readiness signal: 'session start' returns once it reads this line and end of file
      TeardownReport report = supervisor.get().awaitEnd();
      RunSummary.printTeardown(err, report);
      return report.ok() ? 0 : ExitCodes.TEARDOWN;
    }
  }
}
