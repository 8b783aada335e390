package dev.taskbound.core.cli;

import dev.taskbound.core.ExitCodes;
import dev.taskbound.core.policy.SandboxBackend;
import dev.taskbound.core.sandbox.SandboxIo;
import dev.taskbound.core.TaskboundException;
import dev.taskbound.core.session.OpenPhase;
import dev.taskbound.core.session.SessionException;
import dev.taskbound.core.session.Session;
import dev.taskbound.core.session.SessionSpec;
import dev.taskbound.core.session.TeardownReport;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code taskbound run}: wraps one agent command in a task envelope and tears it down afterwards. */
@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    description = {
      "Runs COMMAND in a task envelope, then tears it down.",
      "The envelope: a task-bound identity, a sandbox whose only way out is the",
      "egress gateway, and a signed evidence bundle. Teardown runs on success, failure, SIGINT/SIGTERM",
      "and TTL expiry. Returns the agent's exit status, or one of Taskbound's own codes (see 'taskbound --help')."
    })
final class RunCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @CommandLine.Mixin EnvelopeOptions envelope = new EnvelopeOptions();

  @Option(
      names = "--wait-all",
      description = {
        "Keep the envelope until every process in the sandbox has exited, not only COMMAND (for hosts",
        "whose command backgrounds the real work, such as Jenkins' durable sh). netns backend only."
      })
  boolean waitAll;

  @Option(names = "--timings", description = "Print how long each open/run/close phase took.")
  boolean timings;

  @Option(
      names = "--approvals-before-run",
      description = {
        "Settle every 'approve' decision at once instead of waiting for a person (hosts that cannot pause,",
        "such as GitHub Actions): granted only when --approval-environment is one of the policy's",
        "gate.approval.environments, else denied saying so."
      })
  boolean approvalsBeforeRun;

  @Option(
      names = "--approval-environment",
      paramLabel = "NAME",
      description = {"With --approvals-before-run: the job's environment, as the host verified it (the OIDC token's claim).",
          "Taken as given: a host-side assertion; the agent cannot set it, the host must verify it first."})
  String approvalEnvironment;

  @Option(names = "--no-approval-prompt", description = {"No prompt on the terminal and no 'waits for approval' lines:",
      "the agent shares the run's terminal, approvals come from another shell only."})
  boolean noApprovalPrompt;

  @Parameters(arity = "1..*", paramLabel = "COMMAND", description = "The agent command and its arguments (after --).")
  List<String> command;

  /** The variable a host sets to {@code stdout} to be handed the issued values before the agent starts. */
  static final String MASK_HANDOFF = "TASKBOUND_MASK_HANDOFF";

  private final Map<String, String> env;
  private final java.io.InputStream stdin;
  private final OpenPhase.Listener openListener;

  RunCommand(Map<String, String> env, java.io.InputStream stdin, OpenPhase.Listener openListener) {
    this.env = env;
    this.stdin = stdin;
    this.openListener = openListener;
  }

  /**
   * Asked for by a host that masks on its own side ({@value #MASK_HANDOFF}{@code =stdout}, set by
   * the GitHub Action, which turns the lines into {@code ::add-mask::}): after the credentials are
   * issued and before the agent starts, one {@code taskbound-mask: <base64>} line per issued value
   * on standard output, then {@code taskbound-mask-end}. Only the host reads these lines; anything
   * after the end line is the agent's.
   */
  private void handOffMasks(Session session) {
    if (!"stdout".equals(env.get(MASK_HANDOFF))) {
      return;
    }
    PrintWriter out = spec.commandLine().getOut();
    for (String value : session.masker().values()) {
      out.println("taskbound-mask: " + java.util.Base64.getEncoder().encodeToString(value.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }
    out.println("taskbound-mask-end");
    out.flush();
  }

  @Override
  public Integer call() throws InterruptedException {
    PrintWriter hostErr = spec.commandLine().getErr();
    SessionSpec.Builder sessionSpec = buildSpec();
    StopSwitch stopSwitch = new StopSwitch();
    // Signals are relayed from before open, so a SIGTERM at any point still ends in teardown.
    Optional<TerminalRelay> terminal = approvalsBeforeRun || noApprovalPrompt ? Optional.empty() : terminal(hostErr);
    try (SignalRelay relay = SignalRelay.install(stopSwitch)) {
      terminal.ifPresent(t -> sessionSpec.agentTerminal(SandboxIo.terminal(t.follower().toFile(), t.sessionPrefix())));
      SessionSpec built = sessionSpec.build();
      Session session = Session.open(built);
      // From here on Taskbound's own messages pass the session's masker too.
      PrintWriter err = MaskingWriter.wrap(hostErr, session.masker());
      int status;
      // lifted only once the sandbox is stopped: a process the agent left behind writes until then
      Optional<WorkflowCommandFence> fence = Optional.empty();
      try {
        err.printf(
            "taskbound: task %s, session %s, %s sandbox, ttl %s%n  identity: %s%n  session:  %s%n"
                + "  evidence key: kid %s (record it; verify with --expect-kid)%n",
            built.task().value(),
            session.id().value(),
            session.policy().backend().name().toLowerCase(Locale.ROOT),
            RunSummary.duration(session.policy().ttl()),
            session.identity().spiffeId(),
            session.stateDirectory(),
            session.evidenceKeyId());
        session.orgCeiling().ifPresent(org -> err.printf("  ceiling:  %s%n", org.describe()));
        err.flush();
        handOffMasks(session);
        if (terminal.isPresent()) {
          TerminalApprovals.attach(session.approvals(), terminal.get(), session.stateDirectory(), err);
          // masked as MaskingPump masks a pipe when the session must mask (StreamMask), else passed through as written
          terminal.get().startOutput(new java.io.FileOutputStream(java.io.FileDescriptor.out), session.masksAgentOutput()
              ? session::masker : null);
        } else if (!approvalsBeforeRun && !noApprovalPrompt) {
          ApprovalHints.attach(session.approvals(), session.stateDirectory(), err);
        }
        stopSwitch.attach(session);
        fence = WorkflowCommandFence.open(env, spec.commandLine().getOut(), hostErr);
        try {
          status = session.runAgent();
        } finally {
          terminal.ifPresent(TerminalRelay::close); // the terminal's modes back before anything else is printed
        }
      } catch (InterruptedException e) {
        TeardownReport report = session.teardown();
        fence.ifPresent(WorkflowCommandFence::close);
        RunSummary.printTeardown(err, report);
        throw e;
      } catch (RuntimeException | Error e) {
        // Whatever ended the run, Errors included, the session is closed before the error is reported.
        try {
          TeardownReport report = session.teardown();
          fence.ifPresent(WorkflowCommandFence::close);
          RunSummary.printTeardown(err, report);
        } catch (RuntimeException | Error teardown) {
          fence.ifPresent(WorkflowCommandFence::close);
          e.addSuppressed(teardown);
        }
        throw masked(e, session);
      }
      TeardownReport report = session.teardown();
      fence.ifPresent(WorkflowCommandFence::close);
      RunSummary.print(err, session, status, report);
      ClassDataMark.runCompleted();
      if (timings) {
        session.timings().forEach(p -> err.printf("  timing %-28s %8.1f ms%n", p.name(), p.millis()));
        err.flush();
      }
      return report.ok() ? status : ExitCodes.TEARDOWN;
    } finally {
      terminal.ifPresent(TerminalRelay::close); // a failed open, too: the relay holds the terminal
    }
  }

  /**
   * The agent's own pseudo-terminal when this run's standard input and output are a terminal, so
   * approvals can be asked for on it; else none, and a line saying why when a terminal is there.
   */
  private Optional<TerminalRelay> terminal(PrintWriter err) {
    if (stdin != System.in || System.console() == null) { // Java 17: both streams are a terminal
      return Optional.empty();
    }
    TerminalRelay.Result r = TerminalRelay.start(System.getProperty("os.arch", ""));
    r.why().ifPresent(why -> {
      err.println("taskbound: no approval prompt on this terminal (" + why + "); the agent shares it,"
          + " answer approvals from another shell");
      err.flush();
    });
    return r.relay();
  }

  /**
   * The error to report, its message passed through the session's masker. The copy keeps the stack
   * trace (for {@code --debug}) but not the cause, whose message nothing has masked.
   */
  private static RuntimeException masked(Throwable e, Session session) {
    int code = e instanceof TaskboundException t ? t.exitCode() : ExitCodes.INTERNAL;
    String message = e instanceof TaskboundException
        ? e.getMessage()
        : "internal error: " + e.getClass().getName() + (e.getMessage() == null ? "" : ": " + e.getMessage())
            + "; this is a bug in taskbound, please report it";
    String text = session.masker().mask(message == null ? "" : message);
    if (e instanceof TaskboundException t && text.equals(message) && e.getCause() == null) {
      return t;
    }
    SessionException copy = new SessionException(text, code);
    copy.setStackTrace(e.getStackTrace());
    return copy;
  }

  private SessionSpec.Builder buildSpec() {
    SessionSpec.Builder b = envelope.builder(command, env, stdin, spec.commandLine());
    b.waitForAll(waitAll);
    if (approvalEnvironment != null && !approvalsBeforeRun) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--approval-environment: only with --approvals-before-run (a host that cannot pause for a person)");
    }
    if (approvalsBeforeRun) {
      b.approvalsBeforeRun(java.util.Optional.ofNullable(approvalEnvironment).map(String::strip).filter(e -> !e.isEmpty()),
          "");
    }
    b.denialNotices(spec.commandLine().getErr()); // a forgotten allow rule shows the moment it bites
    return b.openListener(openListener);
  }


  /** Converts command-line strings to policy values with messages that name the option. */
  static final class CliValues {
    private CliValues() {}

    /**
     * What a value error is reported against. Not {@code new CommandLine(RunCommand.class)}: picocli
     * cannot build a RunCommand without its host environment, and the error became an internal one.
     */
    private static CommandLine usage() {
      return new CommandLine(CommandLine.Model.CommandSpec.create().name("taskbound run"));
    }

    static SandboxBackend backend(String value) {
      for (SandboxBackend b : SandboxBackend.values()) {
        if (b.name().equalsIgnoreCase(value)) {
          return b;
        }
      }
      throw new CommandLine.ParameterException(
          usage(), "--sandbox: '" + value + "' is not a backend; accepted: netns, container, proxy");
    }

    /**
     * A host variable the user gives the agent: a shell name, never one of Taskbound's own (they hold
     * the host's credential configuration: the App key, the Vault login).
     */
    static String variableName(String value) {
      if (!value.matches("[A-Za-z_][A-Za-z0-9_]{0,127}")) {
        throw new CommandLine.ParameterException(usage(), "--pass-env: "
            + dev.taskbound.core.SafeText.quoted(value) + " is not a variable name; accepted: letters, digits and _, not"
            + " starting with a digit");
      }
      if (value.startsWith("TASKBOUND_")) {
        throw new CommandLine.ParameterException(usage(), "--pass-env: " + value
            + " is Taskbound's own host configuration and never reaches the agent; accepted: any other variable");
      }
      return value;
    }

    /** An egress rule; a malformed one is a policy error (120) naming the option and the rule. */
    static dev.taskbound.core.egress.EgressRule egressRule(String option, String value) {
      try {
        return dev.taskbound.core.egress.EgressRule.parse(value);
      } catch (dev.taskbound.core.egress.EgressRuleException e) {
        throw new dev.taskbound.core.egress.EgressRuleException(option + ": " + e.getMessage());
      }
    }

    static Duration duration(String option, String value) {
      try {
        return dev.taskbound.core.policy.DurationFormat.parse(value);
      } catch (RuntimeException e) {
        throw new CommandLine.ParameterException(
            usage(), option + ": '" + value + "' is not a duration; accepted: e.g. 90s, 15m, 1h30m");
      }
    }
  }
}
