package dev.taskbound.core.gate;

import java.util.List;
import java.util.Objects;

/**
 * An agent's tool call as the gate sees it: the action ({@code tool.bash}, {@code tool.write},
 * {@code tool.web_fetch}, {@code tool.mcp.<server>.<tool>}, ...), its target (the command line, the
 * path, the URL's host; empty when the tool has none), a one-line summary for the evidence, and
 * what the call would do that the gateway also gates (the refs a {@code git push} updates).
 *
 * @param id the agent's id for the call ({@code toolu_...}), links the evidence events; may be empty
 * @param tool the agent's name for the tool ({@code Bash}, {@code Edit}, {@code mcp__github__create_issue})
 * @param action the gate action
 * @param target what {@code gate.tools} rules match against; {@code ""} when none
 * @param summary the command line, the path or the URL, at most {@link #SUMMARY_LIMIT} characters
 * @param summaryWhole whether the summary shows the whole call (nothing cut): only then is it put to
 *     a person for approval
 * @param pushes for a shell command that runs {@code git push}: each ref it would update
 *     ({@code refs/heads/main}); {@link #UNKNOWN_REF} when the command does not name it
 * @param deletes refs a {@code git push --delete} (or {@code :ref}) would delete
 */
public record ToolCall(String id, String tool, String action, String target, String summary, boolean summaryWhole,
    List<String> pushes, List<String> deletes) {
  /** The longest summary kept. */
  public static final int SUMMARY_LIMIT = 1000;
  /** A push whose refs the command line does not name ({@code git push --all}, a detached HEAD). */
  public static final String UNKNOWN_REF = "(refs not named on the command line)";

  public ToolCall {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(tool, "tool");
    Objects.requireNonNull(action, "action");
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(summary, "summary");
    pushes = List.copyOf(pushes);
    deletes = List.copyOf(deletes);
  }

  /** Shortens {@code text} to {@link #SUMMARY_LIMIT} characters, control characters but tab and newline as spaces. */
  public static String summariseText(String text) {
    return summarise(text);
  }

  static String summarise(String text) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < text.length() && b.length() < SUMMARY_LIMIT; i++) {
      char c = text.charAt(i);
      b.append(c < 0x20 && c != '\n' && c != '\t' || c == 0x7f ? ' ' : c);
    }
    return text.length() > SUMMARY_LIMIT ? b + "..." : b.toString();
  }

  /**
   * Whether the summary of {@code text} is {@code text} itself: nothing cut and no control character
   * shown as a space (a vertical tab reads as a space to a person, and to bash as part of a word).
   * Only such a text is put to a person for approval.
   */
  public static boolean showsWhole(String text) {
    return text.length() <= SUMMARY_LIMIT && summarise(text).equals(text);
  }
}
