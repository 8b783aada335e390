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
 * is shown whole and escaped ({@link SafeText#whole}) under a fixed banner, and the code shown there
 * (approve) or n (deny), typed with Enter on the real terminal, answers it through
 * {@link ApprovalBroker#answer} with channel {@value #CHANNEL} and the terminal's owner as who
 * answered. A request too long to show whole in the prompt's lines is not asked about here: one
 * line says so and points to another shell, where it waits ({@code taskbound approvals} lists it
 * whole). A request settled meanwhile elsewhere (another shell, expiry) withdraws its prompt.
 * {@code taskbound approve} from another shell keeps working.
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
        List<String> lines = lines(p, handle);
        if (lines.isEmpty()) {
          say(tooLong(p, handle));
          continue;
        }
        Optional<Boolean> answer = relay.ask(lines, () -> waiting(p));
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

  /**
   * What the person is shown: every field escaped and whole, each its own line; none (an empty
   * list) when a line would be longer than {@value #MAX_LINE} characters. Such a request is not put
   * to the person here: a cut line would show part of what the code grants, and the code grants
   * the whole (review: escaping can take a target of at most 1000 characters past the limit, and
   * the cut middle of a padded target could hold what matters).
   */
  static List<String> lines(ApprovalBroker.Pending p, Path handle) {
    String session = SafeText.whole(handle.toString());
    List<String> lines = new java.util.ArrayList<>(List.of(ApprovalHints.request(p)));
    if (!p.request().reason().isEmpty()) {
      lines.add("reason: " + SafeText.whole(p.request().reason()));
    }
    lines.add("Answer here with the code below, or from another shell: taskbound approve|deny --session " + session
        + " " + SafeText.whole(p.id()));
    return lines.stream().allMatch(l -> l.length() <= MAX_LINE) ? List.copyOf(lines) : List.of();
  }

  /** The longest prompt line sent to the relay (in characters: at most 4 bytes each, under its 4096-byte line). */
  static final int MAX_LINE = 900;

  /**
   * The one line shown instead of a prompt for a request {@link #lines} cannot show whole: its id
   * and where to read and answer it, none of its content.
   */
  static String tooLong(ApprovalBroker.Pending p, Path handle) {
    String session = SafeText.whole(handle.toString());
    String id = SafeText.whole(p.id());
    return "taskbound: " + id + " waits for approval but is too long to show whole here (over " + MAX_LINE
        + " characters in a line), so it is not asked on this terminal; check and answer it from another shell:"
        + " taskbound approvals --session " + session + ", then taskbound approve|deny --session " + session + " " + id;
  }

  private void say(String line) {
    synchronized (err) {
      err.println(line);
      err.flush();
    }
  }
}
