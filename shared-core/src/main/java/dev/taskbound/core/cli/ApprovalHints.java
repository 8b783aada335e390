package dev.taskbound.core.cli;

import dev.taskbound.core.SafeText;
import dev.taskbound.core.gate.ApprovalBroker;
import java.io.PrintWriter;
import java.nio.file.Path;

/**
 * Tells the person running {@code taskbound run} that a request waits, in one line on Taskbound's
 * standard error, and where to answer it: from another shell, with {@code taskbound approvals} and
 * {@code taskbound approve|deny}; for a run whose agent shares its terminal (no terminal relay:
 * not a terminal, {@code --no-approval-prompt}, no native {@code taskbound-tty}), where a prompt
 * would be unsafe: the agent inherits that terminal (its standard streams, and as a process of the
 * same terminal session {@code /dev/tty} too), so it could erase and redraw a prompt and read the
 * person's answer. On a terminal of its own, {@link TerminalApprovals} asks instead. The line itself can be
 * overdrawn by the agent as well; it only points to the other shell, whose listing is the text
 * that counts. Every value in it is escaped ({@link SafeText}), so it is one line.
 */
final class ApprovalHints {
  private ApprovalHints() {}

  /** Prints a hint on {@code err} for each request {@code broker} holds (none when it is null). */
  static void attach(ApprovalBroker broker, Path handle, PrintWriter err) {
    if (broker == null) {
      return;
    }
    broker.watch(p -> {
      synchronized (err) {
        err.println(line(p, handle));
        err.flush();
      }
    });
  }

  /** {@code taskbound: approval-1 waits: git.push 'refs/heads/main' ...; answer from another shell: ...}. */
  static String line(ApprovalBroker.Pending p, Path handle) {
    String session = SafeText.whole(handle.toString());
    return "taskbound: " + request(p) + "; check and answer from another shell, never this one: taskbound approvals --session "
        + session + ", then taskbound approve|deny --session " + session + " " + SafeText.whole(p.id());
  }

  /** {@code approval-1 waits for approval: git.push 'refs/heads/main' (rule ..., expires ...)}, every field escaped. */
  static String request(ApprovalBroker.Pending p) {
    String target = p.request().target();
    return SafeText.whole(p.id()) + " waits for approval: " + SafeText.whole(p.request().action())
        + (target.isEmpty() ? "" : " '" + SafeText.whole(target) + "'")
        + dev.taskbound.core.session.ApprovalClient.Waiting.requestLine(p.request().links()) + " (rule " + SafeText.whole(p.request().rule())
        + ", expires " + p.expiresAt() + ")";
  }
}
