package dev.taskbound.core.sandbox;

import java.lang.ProcessBuilder.Redirect;
import java.util.Objects;

/**
 * Where the agent's standard streams go. The sandbox's own setup messages (a failing
 * {@code unshare}) go to the same {@code stderr}.
 */
public record SandboxIo(Redirect stdin, Redirect stdout, Redirect stderr) {
  /** The agent shares the caller's standard streams. */
  public static final SandboxIo INHERIT = new SandboxIo(Redirect.INHERIT, Redirect.INHERIT, Redirect.INHERIT);

  public SandboxIo {
    Objects.requireNonNull(stdin, "stdin");
    Objects.requireNonNull(stdout, "stdout");
    Objects.requireNonNull(stderr, "stderr");
    if (stdout == Redirect.PIPE || stderr == Redirect.PIPE || stdin == Redirect.PIPE) {
      // Nobody would drain a pipe: the agent would block once it filled.
      throw new IllegalArgumentException("use INHERIT or a file, not PIPE");
    }
  }
}
