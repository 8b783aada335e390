package dev.taskbound.action;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The host's record of the session's evidence key (issue 14): passes the core's stderr through to
 * the job log unchanged and, the moment the core prints {@code evidence key: kid KID} at open
 * (before the agent starts), appends the kid to the step summary, where the agent cannot rewrite
 * it. A reviewer then runs {@code taskbound verify --expect-kid KID}. It also keeps the session's
 * id from the core's first line ({@code taskbound: task T, session S, ...}), printed just before: the
 * step finds the run's bundle by that name, not by a file the agent could have planted.
 */
final class HostRecord extends OutputStream {
  private static final Pattern KID = Pattern.compile("evidence key: kid ([A-Za-z0-9_-]{43})");
  private static final Pattern SESSION = Pattern.compile("^taskbound: task [^ ,]+, session ([0-9a-z]{1,64}), ");

  private final OutputStream log;
  private final Optional<Path> summary;
  private final ByteArrayOutputStream line = new ByteArrayOutputStream();
  private boolean recorded;
  private String sessionId;
  private String kid;

  HostRecord(OutputStream log, Optional<Path> summary) {
    this.log = log;
    this.summary = summary;
  }

  @Override
  public void write(int b) throws IOException {
    log.write(b);
    if (recorded) {
      return;
    }
    if (b == '\n') {
      String text = line.toString(StandardCharsets.UTF_8);
      Matcher m = KID.matcher(text);
      line.reset();
      Matcher session = SESSION.matcher(text);
      if (sessionId == null && session.find()) {
        sessionId = session.group(1);
      }
      if (m.find()) {
        recorded = true;
        kid = m.group(1);
        summary.ifPresent(file -> append(file, kid));
      }
    } else if (line.size() < 4096) {
      line.write(b);
    }
  }

  /** The session's id, once the core printed its first line; never what the agent prints after it. */
  Optional<String> sessionId() {
    return Optional.ofNullable(sessionId);
  }

  /** The evidence key's kid the core printed at open, before the agent started; never one printed after it. */
  Optional<String> kid() {
    return Optional.ofNullable(kid);
  }

  @Override
  public void flush() throws IOException {
    log.flush();
  }

  private static void append(Path file, String kid) {
    String text = "**Taskbound evidence key** (recorded by the runner at open, before the agent started): `" + kid
        + "`  \nVerify the bundle with `taskbound verify --expect-kid " + kid + " BUNDLE`\n\n";
    StepSummary.append(file, text);
  }
}
