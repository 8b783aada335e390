package io.jenkins.plugins.taskbound;

import edu.umd.cs.findbugs.annotations.NonNull;
import java.io.Serializable;
import java.util.List;
import java.util.Objects;

/**
 * The handle of a session the core opened on an agent: the absolute path {@code taskbound session
 * start} prints as the only line of its standard output (the session's state directory, which
 * {@code session exec/end} and {@code teardown --session} take). No Jenkins types.
 *
 * @param path the absolute path on the agent
 */
public record SessionHandle(@NonNull String path) implements Serializable {
  public SessionHandle {
    Objects.requireNonNull(path, "path");
    if (!path.startsWith("/") || path.contains("\n") || path.contains("\0") || path.length() > 4096) {
      throw new IllegalArgumentException("not a session handle (an absolute path on one line): " + path);
    }
  }

  /**
   * The handle in what {@code session start} wrote on standard output: its only non-blank line.
   *
   * @throws IllegalArgumentException naming what was found, if that is not exactly one absolute path
   */
  @NonNull
  public static SessionHandle parse(@NonNull String stdout) {
    List<String> lines = stdout.lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
    if (lines.size() != 1) {
      throw new IllegalArgumentException(
          "taskbound session start printed " + lines.size() + " lines on standard output; expected one, the session handle");
    }
    return new SessionHandle(lines.get(0));
  }
}
