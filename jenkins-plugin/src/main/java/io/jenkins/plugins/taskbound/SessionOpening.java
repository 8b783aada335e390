package io.jenkins.plugins.taskbound;

import edu.umd.cs.findbugs.annotations.CheckForNull;
import edu.umd.cs.findbugs.annotations.NonNull;
import java.io.Serializable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What {@code taskbound session start} said on standard error when the block's session opened:
 * its id, the task identity (SPIFFE ID) and the evidence key's {@code kid}. The kid is the host
 * record of issue 14: Jenkins keeps it in the build, outside anything the agent can reach, before
 * any command of the block runs, so that a reviewer can later check the bundle with
 * {@code taskbound verify --expect-kid KID}. No Jenkins types.
 *
 * @param session the session id
 * @param spiffeId the task identity
 * @param kid the evidence key's id (RFC 7638 thumbprint)
 */
public record SessionOpening(@NonNull String session, @NonNull String spiffeId, @NonNull String kid) implements Serializable {
  private static final Pattern SESSION = Pattern.compile("(?m)^taskbound: task \\S+, session (\\S+),");
  private static final Pattern IDENTITY = Pattern.compile("(?m)^\\s+identity:\\s+(spiffe://\\S+)\\s*$");
  private static final Pattern KID = Pattern.compile("(?m)^\\s+evidence key: kid ([A-Za-z0-9_-]+)\\b");

  /**
   * Reads the lines {@code session start} printed.
   *
   * @throws IllegalArgumentException naming the line that is missing (a core older than the plugin)
   */
  @NonNull
  public static SessionOpening parse(@NonNull String stderr) {
    return new SessionOpening(find(SESSION, stderr, "taskbound: task T, session S, ..."),
        find(IDENTITY, stderr, "identity: spiffe://..."), find(KID, stderr, "evidence key: kid K"));
  }

  /** The command that checks the block's bundle against this record (the reviewer's step). */
  @NonNull
  public String verifyCommand(@CheckForNull String bundle) {
    return "taskbound verify --expect-kid " + kid + " " + (bundle == null ? "<bundle>" : bundle);
  }

  private static String find(Pattern pattern, String text, String line) {
    Matcher m = pattern.matcher(text);
    if (!m.find()) {
      throw new IllegalArgumentException("taskbound session start did not print the line '" + line
          + "'; the core on the agent does not match the plugin");
    }
    return m.group(1);
  }
}
