package dev.taskbound.core.escape;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.taskbound.core.testing.AgentOwner;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Review finding F1 (issue 11): run from a terminal, the agent shared the caller's controlling
 * terminal and could push keystrokes into it with {@code TIOCSTI}, which the caller's shell ran
 * after the session, as the caller (bubblewrap's CVE-2017-5226). Here {@code bin/taskbound} runs
 * under {@code script}, so stdin is a real terminal, and the agent tries {@code TIOCSTI} on its
 * standard input. By default the agent is on a pseudo-terminal of its own (issue 16's terminal
 * prompt): what it pushes lands in its own input, read back by itself. With
 * {@code --no-approval-prompt} it shares the caller's terminal, and the sandbox's new session leaves
 * it no controlling terminal, so the call fails.
 */
@Timeout(180)
class TerminalInjectionIT {
  private static final Path REPO = Path.of(System.getProperty("taskbound.repo.root")).toAbsolutePath().normalize();
  private static final Path JAR = Path.of(System.getProperty("taskbound.jar"));

  @TempDir Path work;

  @Test
  void whatTheAgentPushesWithTiocstiLandsInItsOwnTerminalNeverTheCallers() throws Exception {
    String output = run("");

    assertThat(output).as(output).contains("stdin is a tty: True");
    if (!output.contains("TIOCSTI refused:")) { // a kernel with dev.tty.legacy_tiocsti=0 refuses it anyway
      // (script, its stdin at its end, may type a NUL of its own before it)
      assertThat(output).as(output).contains("TIOCSTI accepted").containsPattern("read back: '[^'\n]*#\\\\n'");
    }
  }

  @Test
  void onTheCallersOwnTerminalTheAgentCannotPushKeystrokesIntoIt() throws Exception {
    String output = run("--no-approval-prompt ");

    assertThat(output).as(output).contains("stdin is a tty: True").contains("TIOCSTI refused:")
        .doesNotContain("TIOCSTI accepted");
  }

  private String run(String options) throws Exception {
    assumeThat(Path.of("/usr/bin/script")).as("util-linux script gives the run a terminal").isExecutable();
    Path workspace = Files.createDirectories(work.resolve("ws"));
    Files.writeString(workspace.resolve("tiocsti.py"), String.join("\n",
        "import fcntl, os, sys, termios",
        "print('stdin is a tty:', os.isatty(0))",
        "try:",
        "    for c in b'#\\n':",
        "        fcntl.ioctl(0, termios.TIOCSTI, bytes([c]))",
        "    print('TIOCSTI accepted')",
        "    print('read back:', repr(os.read(0, 16).decode()))  # a whole line waits: it does not block",
        "except OSError as e:",
        "    print('TIOCSTI refused:', e.errno)",
        ""));
    Path policy = Files.writeString(workspace.resolve("p.yml"),
        "apiVersion: taskbound.dev/v1\nkind: Task\nspec:\n  ttl: 5m\n  sandbox: {backends: [netns]}\n");
    AgentOwner.own(workspace);
    String run = REPO.resolve("bin/taskbound") + " run " + options + "--task TTY-1 --policy p.yml --out " + work.resolve("out")
        + " -- python3 tiocsti.py";

    ProcessBuilder pb = new ProcessBuilder(List.of("/usr/bin/script", "-qec", run, "/dev/null"))
        .directory(workspace.toFile()).redirectErrorStream(true)
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    pb.environment().put("TASKBOUND_JAR", JAR.toString());
    pb.environment().put("TASKBOUND_HOME", work.resolve("home").toString());
    pb.environment().put("XDG_CACHE_HOME", work.resolve("cache").toString());
    Process p = pb.start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(150, TimeUnit.SECONDS)).as(output).isTrue();
    assertThat(p.exitValue()).as(output).isZero();
    return output;
  }
}
