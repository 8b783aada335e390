package dev.taskbound.action;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Appends Markdown to the step summary ({@code $GITHUB_STEP_SUMMARY}) within what GitHub takes: past
 * 1 MiB in one step's file the runner drops the whole summary ("upload aborted"), the evidence key's
 * line with it. The bundle's summary is agent-driven (a host per denied connection, a row per tool
 * call), so what would not fit is cut at a line break and a note says where the whole of it is.
 */
final class StepSummary {
  /** GitHub's limit of one step's summary file, in bytes. */
  static final long LIMIT = 1024 * 1024;
  /** Kept free by a cut text for the short lines appended after it (the org ceiling's). */
  static final long RESERVE = 16 * 1024;
  static final String NOTE = "\n> **Summary cut here:** GitHub keeps at most 1 MiB of a step's summary. The whole of it is"
      + " `summary.md` in the evidence bundle.\n";

  private StepSummary() {}

  /**
   * Appends {@code markdown} (a line break added if it lacks one), cut as the class says so that
   * the file stays {@link #RESERVE} bytes under the limit.
   *
   * @throws UncheckedIOException if the file cannot be read or written
   */
  static void append(Path file, String markdown) {
    String text = markdown.endsWith("\n") ? markdown : markdown + "\n";
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    try {
      long used = Files.exists(file) ? Files.size(file) : 0;
      long budget = LIMIT - used;
      if (bytes.length <= budget - RESERVE || bytes.length <= budget && bytes.length <= RESERVE) {
        write(file, bytes, bytes.length, new byte[0]); // whole: it fits, or it is a short line using the reserve
        return;
      }
      byte[] note = NOTE.getBytes(StandardCharsets.UTF_8);
      long room = budget - RESERVE - note.length;
      int cut = 0; // after the last line break that fits: a cut never splits a character or a table row
      for (int i = 0; i < bytes.length && i < room; i++) {
        if (bytes[i] == '\n') {
          cut = i + 1;
        }
      }
      if (note.length <= budget) {
        write(file, bytes, cut, note);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot append to " + file, e);
    }
  }

  private static void write(Path file, byte[] bytes, int length, byte[] note) throws IOException {
    try (OutputStream out = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
      out.write(bytes, 0, length);
      out.write(note);
    }
  }
}
