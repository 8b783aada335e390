package dev.taskbound.core.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskbound.core.ExitCodes;
import dev.taskbound.core.evidence.BundleVerifier;
import dev.taskbound.core.evidence.VerificationResult;
import dev.taskbound.core.session.OpenPhase;
import dev.taskbound.core.testing.ProcessScan;
import dev.taskbound.core.testing.RunArtifacts;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 10 item 2: whatever leaves a command, JVM {@code Error}s included, ends as one line on
 * stderr and a documented exit code, after the journal has undone what the session created.
 */
@Timeout(120)
class ErrorsBecomeExitCodesTest {
  /** A message a hostile value could have put in an error: a forged second line and terminal escapes. */
  private static final String HOSTILE = "deep\nok: forged.yml (Task)\u001b[31m\u0007";

  @TempDir Path work;
  private final String marker = "tb-errors-" + UUID.randomUUID();

  static Stream<Arguments> phases() {
    return Stream.of(
        Arguments.of(OpenPhase.POLICY, (Supplier<Error>) () -> new StackOverflowError(HOSTILE), ExitCodes.POLICY),
        Arguments.of(OpenPhase.STATE, (Supplier<Error>) () -> new OutOfMemoryError(HOSTILE), ExitCodes.SANDBOX),
        Arguments.of(OpenPhase.IDENTITY, (Supplier<Error>) () -> new NoSuchMethodError(HOSTILE), ExitCodes.CREDENTIALS),
        Arguments.of(OpenPhase.GATEWAY, (Supplier<Error>) () -> new StackOverflowError(HOSTILE), ExitCodes.SANDBOX),
        Arguments.of(OpenPhase.CREDENTIALS, (Supplier<Error>) () -> new NoSuchMethodError(
            "'void org.kohsuke.github.extras.HttpClientGitHubConnector.<init>(java.net.http.HttpClient)'" + HOSTILE),
            ExitCodes.CREDENTIALS),
        Arguments.of(OpenPhase.SANDBOX_PREFLIGHT, (Supplier<Error>) () -> new OutOfMemoryError(HOSTILE), ExitCodes.SANDBOX),
        Arguments.of(OpenPhase.AGENT_START, (Supplier<Error>) () -> new LinkageError(HOSTILE), ExitCodes.SANDBOX),
        Arguments.of(OpenPhase.AGENT_RUNNING, (Supplier<Error>) () -> new StackOverflowError(HOSTILE), ExitCodes.INTERNAL));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("phases")
  void anErrorInAnyPhaseIsOneEscapedLineItsExitCodeAndNothingIsLeft(OpenPhase failing, Supplier<Error> error, int code)
      throws Exception {
    Path home = Files.createDirectories(work.resolve("home"));
    Path runtime = Files.createDirectories(work.resolve("rt"));
    Path out = work.resolve("evidence");
    StringWriter err = new StringWriter();

    int status = TaskboundCli.execute(
        new String[] {"run", "--task", "T-E", "--policy", policy().toString(), "--out", out.toString(), "--",
            "sh", "-c", "sleep 600", marker},
        new PrintWriter(new StringWriter()),
        new PrintWriter(err),
        Map.of("TASKBOUND_HOME", home.toString(), "TASKBOUND_RUNTIME_DIR", runtime.toString(),
            "PATH", "/usr/bin:/bin"),
        phase -> {
          if (phase == failing) {
            throw error.get();
          }
        });

    String stderr = err.toString();
    List<String> errorLines = stderr.lines().filter(l -> l.startsWith("taskbound: error:")).toList();
    assertThat(status).as(stderr).isEqualTo(code);
    assertThat(errorLines).as(stderr).hasSize(1);
    assertThat(errorLines.get(0))
        .contains("could not " + failing.action() + ": unexpected java.lang.")
        .contains("deep\\nok: forged.yml (Task)\\u001b[31m\\u0007");
    assertThat(stderr).doesNotContain("\tat ").doesNotContain("\u001b").doesNotContain("\nok: forged.yml");
    assertThat(ProcessScan.withArgument(marker)).isEmpty();
    assertThat(RunArtifacts.sessionDirectories(home)).isEmpty();
    try (Stream<Path> left = Files.list(runtime)) {
      assertThat(left).isEmpty();
    }
    if (failing.compareTo(OpenPhase.STATE) <= 0) {
      assertThat(out).doesNotExist(); // failed before the session directory existed: nothing to undo
    } else {
      VerificationResult verified = BundleVerifier.verify(RunArtifacts.onlyBundle(out));
      assertThat(verified.valid()).as(verified.message()).isTrue();
      String events = RunArtifacts.bundleText(out, "events.jsonl");
      assertThat(events).contains("\"session.closed\"");
      if (failing.compareTo(OpenPhase.AGENT_START) < 0) {
        assertThat(events).contains("\"session.open_failed\"");
      }
      if (failing == OpenPhase.AGENT_RUNNING) {
        assertThat(events).contains("\"agent.started\"").contains("run failed: StackOverflowError");
      }
    }
  }

  @Test
  void anUnexpectedErrorOutsideTheOpenPhasesIsAnInternalErrorWithoutAStackTrace() {
    StringWriter err = new StringWriter();

    int status = TaskboundCli.report(new NoSuchMethodError("x\ny"), new PrintWriter(err), false);

    assertThat(status).isEqualTo(ExitCodes.INTERNAL);
    assertThat(err.toString()).isEqualTo("taskbound: error: internal error: java.lang.NoSuchMethodError: x\\ny;"
        + " this is a bug in taskbound, please report it (--debug prints the stack trace)" + System.lineSeparator());
  }

  @Test
  void debugAddsTheStackTraceAfterTheOneLine() {
    StringWriter err = new StringWriter();

    int status = TaskboundCli.report(new StackOverflowError(), new PrintWriter(err), true);

    assertThat(status).isEqualTo(ExitCodes.INTERNAL);
    assertThat(err.toString().lines().findFirst().orElseThrow())
        .isEqualTo("taskbound: error: internal error: java.lang.StackOverflowError; this is a bug in taskbound, please report it");
    assertThat(err.toString()).contains("\tat dev.taskbound.core.cli.ErrorsBecomeExitCodesTest");
  }

  @Test
  void debugIsAskedForByOptionBeforeTheCommandOrByEnvironment() {
    assertThat(TaskboundCli.debugWanted(new String[] {"run", "--debug", "--task", "t", "--", "x"}, Map.of())).isTrue();
    assertThat(TaskboundCli.debugWanted(new String[] {"run", "--task", "t", "--", "x", "--debug"}, Map.of())).isFalse();
    assertThat(TaskboundCli.debugWanted(new String[] {"verify", "b.zip"}, Map.of("TASKBOUND_DEBUG", "1"))).isTrue();
  }

  @Test
  void debugIsAnOptionOfEveryCommand() {
    StringWriter err = new StringWriter();

    int before = TaskboundCli.execute(new String[] {"--debug", "verify", work.resolve("none.zip").toString()},
        new PrintWriter(new StringWriter()), new PrintWriter(err), Map.of());
    int after = TaskboundCli.execute(new String[] {"verify", "--debug", work.resolve("none.zip").toString()},
        new PrintWriter(new StringWriter()), new PrintWriter(err), Map.of());

    assertThat(before).as(err.toString()).isEqualTo(dev.taskbound.core.ExitCodes.Verify.UNREADABLE);
    assertThat(after).as(err.toString()).isEqualTo(dev.taskbound.core.ExitCodes.Verify.UNREADABLE);
  }

  /**
   * The phases are the session's, whatever the backend: the cooperative one runs the agent in the
   * test's own working directory, which the netns sandbox refuses while it belongs to root (CI).
   */
  private Path policy() throws IOException {
    return Files.writeString(work.resolve("task.yml"), String.join("\n",
        "apiVersion: taskbound.dev/v1",
        "kind: Task",
        "spec:",
        "  ttl: 10m",
        "  sandbox:",
        "    backends: [proxy]",
        "    enforcement: cooperative",
        ""));
  }
}
