package dev.taskbound.core.cli;

import dev.taskbound.core.SafeText;
import dev.taskbound.core.gate.ApprovalBroker;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * Asks the person at {@code run}'s terminal about each waiting request, one at a time, when the
 * agent is on a pseudo-terminal of its own ({@link TerminalRelay}): the relay pauses, the request
 * is shown escaped ({@link SafeText#whole}) under a fixed banner, and the y or n typed on the real
 * terminal answers it through {@link ApprovalBroker#answer} with channel {@value #CHANNEL} and the
 * terminal's owner as who answered. A request settled meanwhile elsewhere (another shell, expiry)
 * withdraws its prompt. {@code taskbound approve} from another shell keeps working.
 */
final class TerminalApprovals {
  static final String CHANNEL = "terminal";

  private final ApprovalBroker broker;
  private final TerminalRelay relay;
  private final Path handle;
  private final PrintWriter err;
  private final String who;
  private final BlockingQueue<ApprovalBroker.Pending> queue = new LinkedBlockingQueue<>();

  private TerminalApprovals(ApprovalBroker broker, TerminalRelay relay, Path handle, PrintWriter err) {
    this.broker = broker;
    this.relay = relay;
    this.handle = handle;
    this.err = err;
    this.who = owner(relay.terminal());
  }

  /** Starts asking about every request {@code broker} gets (none when it is null). */
  static void attach(ApprovalBroker broker, TerminalRelay relay, Path handle, PrintWriter err) {
    if (broker == null) {
      return;
    }
    TerminalApprovals a = new TerminalApprovals(broker, relay, handle, err);
    Thread t = new Thread(a::askEach, "taskbound-terminal-approvals");
    t.setDaemon(true);
    t.start();
    broker.watch(a.queue::add); // the broker's thread only queues: the prompt waits for a person
  }

  /** The user owning the terminal device: who logged in there (also under sudo, where this process is root). */
  static String owner(Path terminal) {
    try {
      return Files.getOwner(terminal).getName();
    } catch (IOException | UnsupportedOperationException e) {
      return System.getProperty("user.name", "unknown");
    }
  }

  private void askEach() {
    try {
      while (true) {
        ApprovalBroker.Pending p = queue.take();
        if (!waiting(p)) {
          continue;
        }
        Optional<Boolean> answer = relay.ask(lines(p, handle), () -> waiting(p));
        if (answer.isEmpty()) {
          continue;
        }
        try {
          if (broker.answer(p.id(), answer.get(), who, CHANNEL, "").isEmpty()) {
            say("taskbound: " + SafeText.whole(p.id()) + " was settled before the answer on the terminal arrived;"
                + " see taskbound approvals --session " + SafeText.whole(handle.toString()));
          }
        } catch (RuntimeException e) {
          say("taskbound: the answer to " + SafeText.whole(p.id()) + " could not be recorded, it still waits: "
              + SafeText.whole(String.valueOf(e.getMessage())));
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private boolean waiting(ApprovalBroker.Pending p) {
    return broker.pending().stream().anyMatch(w -> w.id().equals(p.id()));
  }

  /** What the person is shown: every field escaped, each its own line. */
  static List<String> lines(ApprovalBroker.Pending p, Path handle) {
    List<String> lines = new java.util.ArrayList<>(List.of(ApprovalHints.request(p)));
    if (!p.request().reason().isEmpty()) {
      lines.add("reason: " + SafeText.whole(p.request().reason()));
    }
    lines.add("Answer y or n here, or from another shell: taskbound approve|deny --session " + SafeText.whole(handle.toString())
        + " " + SafeText.whole(p.id()));
    return lines;
  }

  private void say(String line) {
    synchronized (err) {
      err.println(line);
      err.flush();
    }
  }
}
