package dev.taskbound.core.session;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArraySet;

/**
 * Where a multi-command session's live notices go ({@link SessionSpec.Builder#denialNotices}): the
 * supervisor's log, and the standard error of every {@code session exec} running at that moment,
 * so a CI log shows a blocked host, with the rule to add, next to the command that hit it. The
 * notices are masked and escaped before they get here. Thread-safe.
 */
public final class NoticeFanout extends Writer {
  private final PrintWriter log;
  private final Set<OutputStream> execs = new CopyOnWriteArraySet<>();

  /** @param log the supervisor's own standard error */
  public NoticeFanout(PrintWriter log) {
    this.log = Objects.requireNonNull(log, "log");
  }

  void attach(OutputStream execStderr) {
    execs.add(execStderr);
  }

  void detach(OutputStream execStderr) {
    execs.remove(execStderr);
  }

  @Override
  public void write(char[] cbuf, int off, int len) {
    log.write(cbuf, off, len);
    byte[] bytes = new String(cbuf, off, len).getBytes(StandardCharsets.UTF_8);
    for (OutputStream exec : execs) {
      try {
        exec.write(bytes);
      } catch (IOException e) {
        execs.remove(exec); // that caller went away
      }
    }
  }

  @Override
  public void flush() {
    log.flush();
  }

  @Override
  public void close() {
    flush();
  }
}
