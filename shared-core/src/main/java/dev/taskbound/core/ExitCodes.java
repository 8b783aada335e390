package dev.taskbound.core;

/**
 * The exit codes of {@code taskbound run}. The agent's own status passes through unchanged
 * (0-119, or 128+N when a signal ended it); Taskbound's own outcomes use 120-125, in the same
 * spirit as {@code timeout(1)} and {@code docker run}. Documented in {@code docs/cli.md}.
 */
public final class ExitCodes {
  /** The policy (or a command-line value) is invalid or widens its ceiling. Nothing was started. */
  public static final int POLICY = 120;
  /** The sandbox or gateway could not be set up as the policy demands. The agent never started. */
  public static final int SANDBOX = 121;
  /** Identity or credentials could not be issued. The agent never started. */
  public static final int CREDENTIALS = 122;
  /** The agent ran, but at least one teardown step failed (see teardown.json). */
  public static final int TEARDOWN = 123;
  /** The session's TTL expired and the agent's process tree was stopped. */
  public static final int TTL_EXPIRED = 124;
  /** Bad command-line usage (an unknown option, a missing {@code --task}). */
  public static final int USAGE = 125;
  /** The agent command exists but could not be executed. */
  public static final int NOT_EXECUTABLE = 126;
  /** The agent command was not found. */
  public static final int NOT_FOUND = 127;
  /**
   * An unexpected internal error (a bug in Taskbound: a JVM {@code Error} or an exception that is not
   * a {@link TaskboundException}) outside the open phases, which map to their own codes. 128 is never
   * a signal's status: signals give 128+N with N of at least 1.
   */
  public static final int INTERNAL = 128;
  /** Added to a signal number when a signal ended the agent or Taskbound itself. */
  public static final int SIGNAL_BASE = 128;

  private ExitCodes() {}

  /**
   * The exit codes of {@code taskbound verify} (its own small range, not {@code run}'s). Documented
   * in {@code docs/cli.md} and {@code docs/evidence.md}.
   */
  public static final class Verify {
    /** Intact, and a trust anchor verified who sealed it (or {@code --allow-unverified-signer}). */
    public static final int VALID = 0;
    /** Tampered with, incomplete, or a trust anchor contradicts the signer. */
    public static final int INVALID = 1;
    /** The bundle or an anchor file cannot be read or parsed. */
    public static final int UNREADABLE = 2;
    /** Intact, but no trust anchor verified who sealed it: self-signed, as far as the verifier knows. */
    public static final int SIGNER_NOT_VERIFIED = 3;

    private Verify() {}
  }
}
