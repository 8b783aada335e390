package io.jenkins.plugins.taskbound;

import edu.umd.cs.findbugs.annotations.CheckForNull;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the core's own exit codes of {@code taskbound run} mean to a pipeline author (docs/cli.md,
 * "Exit codes"; {@code dev.taskbound.core.ExitCodes}). The agent's own status passes through the
 * core unchanged; these are the codes the envelope itself ends with. No Jenkins types.
 */
final class EnvelopeExit {
  /** The first and last of the core's own codes. */
  static final int FIRST = 120;

  static final int LAST = 125;

  /** The sandbox or gateway could not be set up. */
  static final int SANDBOX = 121;

  /** The session's TTL expired. */
  static final int TTL_EXPIRED = 124;

  private static final Map<Integer, String> MEANINGS = new TreeMap<>(Map.of(
      120, "the envelope refused the policy or an option (--sandbox, --ttl, --image) before starting anything",
      121, "the sandbox or gateway could not be set up as the policy demands, or the block's session has ended or lost its"
          + " supervisor; the command never started",
      122, "identity or credentials could not be issued; the command never started",
      123, "a teardown step of the envelope failed (the lines above name it; the session can be torn down with"
          + " taskbound teardown --session DIR); the step fails because a credential may still be live",
      124, "the session's TTL expired: the command's whole process tree was stopped, or it never started",
      125, "the envelope was started with a bad command line or hit an internal error"));

  private EnvelopeExit() {}

  /** Whether {@code status} is one of the core's own codes rather than the command's. */
  static boolean isEnvelopes(int status) {
    return status >= FIRST && status <= LAST;
  }

  /** The one line the build log gets for the core's own code {@code status}, or null for another status. */
  @CheckForNull
  static String message(int status) {
    String meaning = MEANINGS.get(status);
    return meaning == null ? null : "taskbound: envelope exit " + status + ": " + meaning;
  }

  /** A failed teardown: only {@code session end} (and a one-shot {@code run}) ends with it. */
  static final int TEARDOWN_FAILED = 123;

  /**
   * The codes a command launched in the block's session ({@code session exec}) can end with on the
   * envelope's own account, with their message lines, in order. Not 123: an exec never tears the
   * session down, so a 123 there is the command's own status; the block's teardown result is read
   * from {@code session end} ({@link #endMessage}).
   */
  static Map<Integer, String> messages() {
    Map<Integer, String> all = new TreeMap<>();
    MEANINGS.keySet().stream().filter(code -> code != TEARDOWN_FAILED).forEach(code -> all.put(code, message(code)));
    return all;
  }

  /**
   * The line for the status of {@code session end}, which runs no command of the user's: 123 is the
   * session's teardown (its report is in the lines above), 124 its TTL; null for 0.
   */
  @CheckForNull
  static String endMessage(int status) {
    if (status == 0) {
      return null;
    }
    String meaning = MEANINGS.get(status);
    return "taskbound: the block's session end exited " + status + ": "
        + (status == TEARDOWN_FAILED ? "the session's teardown failed, so a credential may still be live (its teardown"
            + " report is in the lines above; finish it on the node with taskbound teardown --session DIR)"
            : meaning != null ? meaning : "unexpected status");
  }
}
