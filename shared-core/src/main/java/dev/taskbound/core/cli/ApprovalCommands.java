package dev.taskbound.core.cli;

import dev.taskbound.core.session.ApprovalClient;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code taskbound approve|deny --session H REQUEST [--reason TEXT]} and {@code taskbound approvals
 * --session H}: a person answers, from another shell, a request the session's gate holds for approval
 * (docs/gate.md, "Approvals"). Only the session's own user or root can: the session checks the
 * caller's credentials on its approvals socket and records that user as who answered.
 */
final class ApprovalCommands {
  private ApprovalCommands() {}

  /** The options of approve and deny. */
  abstract static class Answer implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--session", required = true, paramLabel = "H",
        description = "The session's handle: the 'session:' path 'taskbound run' or 'taskbound session start' printed.")
    Path session;

    @Parameters(paramLabel = "REQUEST", description = "The request's id (approval-1), as 'taskbound approvals' lists it.")
    String request;

    @Option(names = "--reason", paramLabel = "TEXT", defaultValue = "", description = "Why; recorded with the answer.")
    String reason;

    @Option(names = "--channel", paramLabel = "NAME", defaultValue = "cli",
        description = "For hosts answering for a person (the Jenkins build page passes 'jenkins'); default cli.")
    String channel;

    @Option(names = "--on-behalf-of", paramLabel = "USER", defaultValue = "",
        description = "For hosts answering for a person: whom; recorded as 'USER (via <this OS user>)'.")
    String onBehalfOf;

    abstract boolean grant();

    @Override
    public Integer call() {
      ApprovalClient.Answered a = ApprovalClient.of(session).answer(request, grant(), reason, channel, onBehalfOf);
      PrintWriter out = spec.commandLine().getOut();
      out.println(a.request() + " " + a.outcome() + " by " + a.who() + " at " + a.at());
      out.flush();
      return 0;
    }
  }

  @Command(
      name = "approve",
      mixinStandardHelpOptions = true,
      description = {"Approves a request the session's gate holds for a person (run by the session's user or root)."},
      exitCodeListHeading = "%nExit codes:%n",
      exitCodeList = {
        "0:approved and recorded (approval.granted)",
        "121:the session takes no approvals (ended, or not running)",
        "125:no such request waits (unknown, answered or expired), not the session's user, or usage error"
      })
  static final class Approve extends Answer {
    @Override
    boolean grant() {
      return true;
    }
  }

  @Command(
      name = "deny",
      mixinStandardHelpOptions = true,
      description = {"Denies a request the session's gate holds for a person (run by the session's user or root)."},
      exitCodeListHeading = "%nExit codes:%n",
      exitCodeList = {
        "0:denied and recorded (approval.denied)",
        "121:the session takes no approvals (ended, or not running)",
        "125:no such request waits (unknown, answered or expired), not the session's user, or usage error"
      })
  static final class Deny extends Answer {
    @Override
    boolean grant() {
      return false;
    }
  }

  @Command(
      name = "approvals",
      mixinStandardHelpOptions = true,
      description = {"Lists the requests waiting for approval in a session, one a line, oldest first."},
      exitCodeListHeading = "%nExit codes:%n",
      exitCodeList = {"0:listed (possibly none)", "121:the session takes no approvals", "125:usage error"})
  static final class Pending implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--session", required = true, paramLabel = "H",
        description = "The session's handle: the 'session:' path 'taskbound run' or 'taskbound session start' printed.")
    Path session;

    @Option(names = "--json", description = {"One JSON object a line, with every field (for hosts such as the Jenkins build page),",
        "each escaped as the listing shows it (control, C1, format and bidi characters as visible escapes; never cut)."})
    boolean json;

    @Override
    public Integer call() {
      List<ApprovalClient.Waiting> waiting = ApprovalClient.of(session).pending();
      PrintWriter out = spec.commandLine().getOut();
      for (ApprovalClient.Waiting w : waiting) {
        out.println(json ? w.json() : w.describe());
      }
      out.flush();
      return 0;
    }
  }
}
