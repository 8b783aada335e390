package dev.taskbound.core.sandbox;

import java.io.File;
import java.lang.ProcessBuilder.Redirect;
import java.util.List;
import java.util.Objects;

/**
 * Where the agent's standard streams go. The sandbox's own setup messages (a failing
 * {@code unshare}) go to the same {@code stderr}.
 *
 * @param newSession empty, or the command line prefix that starts the sandbox in a session of its
 *     own whose controlling terminal is {@code stdin} (a pseudo-terminal of the agent's own, see
 *     {@link #terminal}); it executes what follows it in the same process
 */
public record SandboxIo(Redirect stdin, Redirect stdout, Redirect stderr, List<String> newSession) {
  /** The agent shares the caller's standard streams. */
  public static final SandboxIo INHERIT = new SandboxIo(Redirect.INHERIT, Redirect.INHERIT, Redirect.INHERIT);

  public SandboxIo {
    Objects.requireNonNull(stdin, "stdin");
    Objects.requireNonNull(stdout, "stdout");
    Objects.requireNonNull(stderr, "stderr");
    newSession = List.copyOf(newSession);
    if (stdout == Redirect.PIPE || stderr == Redirect.PIPE || stdin == Redirect.PIPE) {
      // Nobody would drain a pipe: the agent would block once it filled.
      throw new IllegalArgumentException("use INHERIT or a file, not PIPE");
    }
  }

  /** Streams in the caller's session. */
  public SandboxIo(Redirect stdin, Redirect stdout, Redirect stderr) {
    this(stdin, stdout, stderr, List.of());
  }

  /**
   * Every stream on {@code follower}, a pseudo-terminal's follower, which {@code newSession} makes
   * the sandbox's controlling terminal: the agent's {@code /dev/tty} is that terminal, not the caller's.
   */
  public static SandboxIo terminal(File follower, List<String> newSession) {
    if (newSession.isEmpty()) {
      throw new IllegalArgumentException("a terminal of its own needs the command that makes it the controlling one");
    }
    return new SandboxIo(Redirect.from(follower), Redirect.appendTo(follower), Redirect.appendTo(follower), newSession);
  }

  /** {@code command}, behind {@link #newSession} when there is one. */
  List<String> commandLine(List<String> command) {
    if (newSession.isEmpty()) {
      return command;
    }
    List<String> all = new java.util.ArrayList<>(newSession);
    all.addAll(command);
    return all;
  }
}
