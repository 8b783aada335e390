package dev.taskbound.core.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The native relay ({@code taskbound-tty}, as built into the jar) on a pty of its own, driven by
 * {@code relay_probe.py} (attack review 6): query replies never answer a prompt, SIGTERM ends a
 * relay that waits to write, a big paste never stalls the agent's output, and a prompt cuts one
 * cleanly.
 */
class TerminalRelayNativeTest {
  @Test
  void repliesToTerminalQueriesAndTheCodeInsideEscapeSequencesNeverAnswerOnlyTheTypedCodeDoes() throws Exception {
    // given a prompt, and the terminal sending ESC[?2004;2$y, y and Enter as it shows, then the code in an OSC and a mouse report
    // when the code shown is typed with Enter
    String out = probe("replies");

    // then nothing answered before it, and it approves
    assertThat(out).isEqualTo("answer y");
  }

  @Test
  void sigtermEndsARelayStuckWritingTheAgentsOutput() throws Exception {
    // given a relay whose output nobody reads, told to end while the agent's pty is full
    // when it gets SIGTERM
    String out = probe("stuck-writer");

    // then it ends by that signal (before: it kept waiting to write)
    assertThat(out).isEqualTo("ended 15");
  }

  @Test
  void aPasteBiggerThanThePtyTakesNeverStopsTheAgentsOutputAndArrivesWhole() throws Exception {
    // given an agent writing without reading its keys (its pty's input queue full)
    // when the person pastes 70 kB
    String out = probe("paste-under-output");

    // then the agent's output still reaches the run (before: the relay waited to write the keys, and
    // stopped reading the output the agent was blocked on), and the paste arrives whole once it reads
    assertThat(out).isEqualTo("flowing\nkeys ok");
  }

  @Test
  void aPromptCutsAPasteTheAgentHasNotReadCleanlyAndSaysSo() throws Exception {
    // given a paste the agent has not read (its pty and the relay full)
    // when a prompt comes, is answered, and the person types on
    String out = probe("ask-while-pending");

    // then the prompt says keys were discarded, and the agent gets a head of the paste, then what
    // was typed after the answer (before: the same, but the person was not told)
    assertThat(out).isEqualTo("clean cut");
  }

  private static String probe(String mode) throws Exception {
    Path exe = Path.of(TerminalRelay.class.getResource("taskbound-tty-"
        + (System.getProperty("os.arch").equals("aarch64") ? "aarch64" : "x86_64")).toURI());
    Path script = Path.of(TerminalRelayNativeTest.class.getResource("relay_probe.py").toURI());
    Process p = new ProcessBuilder("python3", script.toString(), exe.toString(), mode).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).as(out).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    return out;
  }
}
