package dev.taskbound.core.cli;

import dev.taskbound.core.broker.SecretMasker;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The agent's own pseudo-terminal, relayed to {@code run}'s terminal by the native
 * {@code taskbound-tty} ({@code shared-core/src/main/c/taskbound-tty.c}, in the jar), so that
 * {@code run} can prompt the person on the real terminal while the agent can neither read the
 * answer nor draw over the prompt. The agent's command line starts with {@link #sessionPrefix()},
 * which makes the pty's follower its controlling terminal; its output comes back through this
 * process ({@link #startOutput}), masked. Thread-safe: {@link #ask} is serialised.
 */
final class TerminalRelay implements AutoCloseable {
  private static final String RESOURCE = "taskbound-tty-";

  private final Process process;
  private final Path directory;
  private final Path executable;
  private final Path terminal;
  private final Path follower;
  private final Writer control;
  private final BlockingQueue<String> replies = new LinkedBlockingQueue<>();
  private final Object screen = new Object();
  private Thread output;
  private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

  private TerminalRelay(Process process, Path directory, Path executable, Path terminal, Path follower) {
    this.process = process;
    this.directory = directory;
    this.executable = executable;
    this.terminal = terminal;
    this.follower = follower;
    this.control = new java.io.OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
  }

  /**
   * Starts the relay on this process's terminal (standard input; {@code System.console()} says both
   * standard input and output are one), or says why not.
   */
  static Result start(String osArch) {
    Path terminal;
    try {
      terminal = Files.readSymbolicLink(Path.of("/proc/self/fd/0"));
    } catch (IOException | UnsupportedOperationException e) {
      return new Result(Optional.empty(), Optional.of("cannot name the terminal (/proc/self/fd/0): " + e.getMessage()));
    }
    String arch = switch (osArch.toLowerCase(Locale.ROOT)) {
      case "amd64", "x86_64" -> "x86_64";
      case "aarch64", "arm64" -> "aarch64";
      default -> "";
    };
    byte[] binary;
    try (InputStream in = TerminalRelay.class.getResourceAsStream(RESOURCE + arch)) {
      if (arch.isEmpty() || in == null) {
        return new Result(Optional.empty(), Optional.of("this Taskbound was built without its terminal relay (no C compiler,"
            + " or no build for " + osArch + ")"));
      }
      binary = in.readAllBytes();
    } catch (IOException e) {
      return new Result(Optional.empty(), Optional.of("cannot read the terminal relay from the Taskbound jar: " + e.getMessage()));
    }
    Path dir = null;
    try {
      dir = Files.createTempDirectory("taskbound-tty-", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      Path exe = dir.resolve("taskbound-tty");
      Files.write(exe, binary);
      Files.setPosixFilePermissions(exe, PosixFilePermissions.fromString("r-x------"));
      if (!Files.isExecutable(exe)) {
        deleteQuietly(dir);
        return new Result(Optional.empty(), Optional.of(dir.getParent() + " does not execute programs (noexec)"));
      }
      // with its directory: it removes its copy when it ends, also after a run killed outright
      ProcessBuilder pb = new ProcessBuilder(exe.toString(), "relay", terminal.toString(), dir.toString())
          .redirectInput(ProcessBuilder.Redirect.PIPE)
          .redirectOutput(ProcessBuilder.Redirect.PIPE)
          .redirectError(ProcessBuilder.Redirect.PIPE);
      pb.environment().clear();
      Process p = pb.start();
      BufferedReader err = new BufferedReader(new java.io.InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8));
      String first = err.readLine(); // "pty PATH" at once, or "error ..." and the relay's exit
      if (first == null || !first.startsWith("pty /dev/")) {
        p.destroyForcibly();
        deleteQuietly(dir);
        return new Result(Optional.empty(), Optional.of(first == null ? "the terminal relay exited at start"
            : first.replaceFirst("^error ", "")));
      }
      TerminalRelay relay = new TerminalRelay(p, dir, exe, terminal, Path.of(first.substring(4)));
      relay.readReplies(err);
      return new Result(Optional.of(relay), Optional.empty());
    } catch (IOException e) {
      if (dir != null) {
        deleteQuietly(dir);
      }
      return new Result(Optional.empty(), Optional.of("cannot start the terminal relay: " + e.getMessage()));
    }
  }

  /** A started relay, or why there is none. */
  record Result(Optional<TerminalRelay> relay, Optional<String> why) {}

  private void readReplies(BufferedReader err) {
    Thread t = new Thread(() -> {
      try {
        for (String line; (line = err.readLine()) != null; ) {
          replies.add(line);
        }
      } catch (IOException e) {
        // the relay is gone
      }
      replies.add("eof");
    }, "taskbound-tty-replies");
    t.setDaemon(true);
    t.start();
  }

  /** The pty's follower: the agent's standard streams. */
  Path follower() {
    return follower;
  }

  /** The terminal the person sits at (the device {@code run}'s standard input is). */
  Path terminal() {
    return terminal;
  }

  /** What the agent's command line starts with: a new session whose controlling terminal is its standard input. */
  List<String> sessionPrefix() {
    return List.of(executable.toString(), "session", "--");
  }

  /**
   * Starts copying the agent's output to {@code sink}, masked by {@code masker}'s values and any GitHub
   * token ({@link StreamMask}: at once, holding back only an end that could still become a secret), or
   * as written when {@code masker} is null (the session has nothing to mask); then
   * raw mode on the terminal, whose keys go to the agent from now on.
   */
  void startOutput(OutputStream sink, java.util.function.Supplier<SecretMasker> masker) {
    output = new Thread(() -> copy(process.getInputStream(), sink, masker), "taskbound-tty-output");
    output.setDaemon(true);
    output.start();
    send("go");
  }

  private void copy(InputStream in, OutputStream sink, java.util.function.Supplier<SecretMasker> maskers) {
    byte[] buf = new byte[16384];
    StreamMask mask = new StreamMask();
    try {
      for (int n; (n = in.read(buf)) > 0; ) {
        synchronized (screen) { // ask() holds it while the prompt is up: nothing of the agent's shows then
          if (maskers == null) {
            sink.write(buf, 0, n);
          } else { // credentials issued later (on request) count from then on; GitHub tokens by their form always
            sink.write(mask.next(buf, n, maskers.get()).getBytes(StandardCharsets.UTF_8));
          }
          sink.flush();
        }
      }
      if (maskers != null) {
        synchronized (screen) {
          sink.write(mask.rest(maskers.get()).getBytes(StandardCharsets.UTF_8));
          sink.flush();
        }
      }
    } catch (IOException e) {
      // the terminal or the relay is gone: nothing more to show
    }
  }

  /** A prompt is up (between ask's request and its answer): {@link #close} withdraws it first. */
  private volatile boolean asking;

  /**
   * Pauses the relay and asks the person on the terminal: {@code lines} (escaped by the caller)
   * under the relay's fixed banner, answered from the terminal only: the random code the relay shows
   * (approve) or n (deny), each with Enter; escape sequences (the terminal's replies to queries) never count.
   *
   * @param stillOpen polled about once a second; when it turns false (answered elsewhere, expired)
   *     the prompt is withdrawn and the relay resumes
   * @return the answer; empty when withdrawn or the relay is gone
   */
  synchronized Optional<Boolean> ask(List<String> lines, BooleanSupplier stillOpen) throws InterruptedException {
    synchronized (screen) { // the agent's output stops here first, so the prompt is drawn after its last byte
      replies.clear();
      StringBuilder b = new StringBuilder();
      lines.forEach(l -> b.append("line ").append(l.replace('\n', ' ')).append('\n'));
      b.append("ask");
      if (!send(b.toString())) {
        return Optional.empty();
      }
      asking = true;
      try {
        boolean cancelled = false;
        while (true) {
          String r = replies.poll(1, TimeUnit.SECONDS);
          if (r == null) {
            if (!cancelled && !stillOpen.getAsBoolean()) {
              cancelled = send("cancel");
            }
            continue;
          }
          if (r.equals("answer y") || r.equals("answer n")) {
            return Optional.of(r.equals("answer y"));
          }
          if (r.equals("cancelled") || r.equals("eof") || r.startsWith("error ")) {
            return Optional.empty();
          }
        }
      } finally {
        asking = false;
      }
    }
  }

  private boolean send(String lines) {
    try {
      synchronized (control) {
        control.write(lines + "\n");
        control.flush();
      }
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * Ends the relay: what the agent left in the pty is shown, the terminal's modes are restored, the
   * pty is closed (its last holder, with the agent gone), and the relay's copy is deleted.
   */
  @Override
  public void close() { // not synchronized: a prompt that waits (ask) ends with the relay
    if (closed.getAndSet(true)) {
      return;
    }
    if (asking) { // the run ends under a prompt (its request settled less than ask's poll ago): withdrawn on screen first
      send("cancel");
    }
    send("end");
    try {
      control.close();
    } catch (IOException e) {
      // it may have ended already
    }
    try {
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroy(); // SIGTERM: it restores the terminal's modes on its way out
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
          process.destroyForcibly(); // bounded: the run's end never waits on a stuck relay (stty sane then)
          process.waitFor(5, TimeUnit.SECONDS);
        }
      }
      if (output != null) {
        output.join(5_000);
      }
    } catch (InterruptedException e) {
      process.destroy();
      Thread.currentThread().interrupt();
    }
    deleteQuietly(directory);
  }

  private static void deleteQuietly(Path dir) {
    try (var files = Files.list(dir)) {
      for (Path f : files.toList()) {
        Files.deleteIfExists(f);
      }
      Files.deleteIfExists(dir);
    } catch (IOException | UncheckedIOException e) {
      // a leftover empty directory under the temporary directory is harmless
    }
  }
}
