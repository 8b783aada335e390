package dev.taskbound.core.cli;

import dev.taskbound.core.gate.ApprovalBroker;
import java.io.BufferedReader;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * The approval prompt on the controlling terminal of {@code taskbound run} ({@code /dev/tty} of the
 * launcher, never the agent's standard input): each waiting request is shown, one at a time, and a
 * {@code y} approves it, anything else denies it, as the launcher's user with channel {@code
 * terminal}. Without a controlling terminal (CI, a pipe) there is no prompt; the other channels and
 * the timeout still answer. One daemon thread reads the terminal.
 */
final class TerminalApprovals {
  private final ApprovalBroker broker;
  private final String user;
  private final BufferedReader in;
  private final PrintStream out;
  private final BlockingQueue<ApprovalBroker.Pending> queue = new LinkedBlockingQueue<>();

  private TerminalApprovals(ApprovalBroker broker, String user, BufferedReader in, PrintStream out) {
    this.broker = broker;
    this.user = user;
    this.in = in;
    this.out = out;
  }

  /**
   * Prompts on {@code tty} for each request {@code broker} holds, when {@code tty} can be opened for
   * reading and writing (a controlling terminal).
   *
   * @return whether a prompt was attached
   */
  static boolean attach(ApprovalBroker broker, String user, String tty) {
    if (broker == null) {
      return false;
    }
    Optional<TerminalApprovals> t = open(broker, user, tty);
    t.ifPresent(p -> {
      broker.watch(p.queue::add);
      Thread reader = new Thread(p::loop, "taskbound-terminal-approvals");
      reader.setDaemon(true);
      reader.start();
    });
    return t.isPresent();
  }

  private static Optional<TerminalApprovals> open(ApprovalBroker broker, String user, String tty) {
    try {
      FileInputStream in = new FileInputStream(tty);
      try {
        PrintStream out = new PrintStream(new FileOutputStream(tty), true, StandardCharsets.UTF_8);
        return Optional.of(new TerminalApprovals(broker, user,
            new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)), out));
      } catch (IOException | RuntimeException e) {
        in.close();
        return Optional.empty();
      }
    } catch (IOException | RuntimeException e) {
      return Optional.empty(); // no controlling terminal
    }
  }

  private void loop() {
    try {
      while (true) {
        ApprovalBroker.Pending p = queue.take();
        if (broker.pending().stream().noneMatch(w -> w.id().equals(p.id()))) {
          continue; // answered elsewhere or expired meanwhile
        }
        String target = p.request().target();
        out.printf("%ntaskbound: %s: %s%s needs approval (rule %s): %s%n"
                + "  approve? [y/N] (or 'taskbound approve|deny' from another shell; expires %s) ",
            p.id(), p.request().action(), target.isEmpty() ? "" : " " + target, p.request().rule(), p.request().reason(),
            p.expiresAt());
        String line = in.readLine();
        if (line == null) {
          return; // the terminal went away
        }
        boolean grant = line.strip().equalsIgnoreCase("y") || line.strip().equalsIgnoreCase("yes");
        Optional<ApprovalBroker.Answer> a = broker.answer(p.id(), grant, user, "terminal", grant ? "approved at the terminal"
            : "denied at the terminal");
        out.println(a.map(x -> "taskbound: " + x.describe()).orElse("taskbound: " + p.id() + " was already settled"));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException | RuntimeException e) {
      // the terminal failed: the other channels and the timeout still answer
    }
  }
}
