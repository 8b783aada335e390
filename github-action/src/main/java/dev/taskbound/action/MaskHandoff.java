package dev.taskbound.action;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Objects;

/**
 * The core's standard output on its way to the runner log. Until the core's
 * {@code taskbound-mask-end} line (printed after the credentials are issued and before the agent
 * starts, when the core runs with {@code TASKBOUND_MASK_HANDOFF=stdout}), each
 * {@code taskbound-mask: <base64>} line becomes {@code ::add-mask::} commands (one per line of the
 * value) and is never passed on; the end line becomes {@code ::stop-commands::<token>}. From then on
 * the output (the agent's) passes through unchanged inside the fence; {@link #finish} ends it. A
 * line the agent prints that looks like a hand-off line is just output. Not thread-safe: one
 * writer, the core's output pump.
 */
final class MaskHandoff extends OutputStream {
  static final String VARIABLE = "TASKBOUND_MASK_HANDOFF";
  private static final String MASK = "taskbound-mask: ";
  private static final String END = "taskbound-mask-end";

  private final PrintStream runnerLog;
  private final String token;
  private final ByteArrayOutputStream line = new ByteArrayOutputStream();
  private boolean agentOutput;

  /** @param token the fence's token, from {@link dev.taskbound.core.StopCommands#token} */
  MaskHandoff(PrintStream runnerLog, String token) {
    this.runnerLog = Objects.requireNonNull(runnerLog, "runnerLog");
    this.token = Objects.requireNonNull(token, "token");
  }

  @Override
  public void write(int b) {
    if (agentOutput) {
      runnerLog.write(b);
      return;
    }
    if (b == '\n') {
      handOff(line.toString(StandardCharsets.UTF_8));
      line.reset();
    } else {
      line.write(b);
    }
  }

  private void handOff(String text) {
    if (text.startsWith(MASK)) {
      try {
        String value = new String(Base64.getDecoder().decode(text.substring(MASK.length()).strip()), StandardCharsets.UTF_8);
        WorkflowCommands.addMask(value).forEach(runnerLog::println);
      } catch (IllegalArgumentException notBase64) {
        // Not the core's line: a value is never passed on raw.
      }
    } else if (text.equals(END)) {
      runnerLog.println(dev.taskbound.core.StopCommands.stop(token));
      agentOutput = true;
    } else {
      runnerLog.println(text);
    }
  }

  @Override
  public void flush() {
    runnerLog.flush();
  }

  /** Ends the fence if the agent's output began (else passes on a last unterminated line). */
  void finish() throws IOException {
    if (agentOutput) {
      runnerLog.println();
      runnerLog.println(dev.taskbound.core.StopCommands.resume(token));
    } else if (line.size() > 0) {
      handOff(line.toString(StandardCharsets.UTF_8));
      line.reset();
    }
    runnerLog.flush();
  }
}
