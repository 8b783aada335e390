package dev.taskbound.core.cli;

import dev.taskbound.core.ExitCodes;
import dev.taskbound.core.SafeText;
import dev.taskbound.core.sandbox.InitCommand;
import dev.taskbound.core.session.SessionException;
import dev.taskbound.core.session.SessionSpec;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code taskbound session start}: opens a session in a supervisor process of its own and returns
 * once the session is open, printing its handle. The supervisor runs detached ({@code setsid}) with
 * its log in the session root, and lives until {@code session end}, its TTL or a signal.
 */
@Command(
    name = "start",
    mixinStandardHelpOptions = true,
    description = {
      "Opens a task envelope for several commands and prints its handle (the session's state directory)",
      "as the only line on standard output; its summary goes to standard error.",
      "A small supervisor process keeps the gateway, the evidence and the TTL until 'session end',",
      "the TTL or SIGTERM; its log is <session-root>/<session>.supervisor.log.",
      "Takes the options of 'run'. Exit codes as for 'run' (120-122 when the session cannot open)."
    })
final class SessionStartCommand implements Callable<Integer> {
  /** How long the supervisor may take to open the session (the sandbox preflight, brokers' retries). */
  static final long READY_SECONDS = 120;
  /** Sets another time to wait for the open, in seconds. */
  static final String READY_TIMEOUT_VARIABLE = "TASKBOUND_SESSION_START_TIMEOUT";
  private static final long MOST_READY_SECONDS = 86_400;
  /** How long an ending supervisor's teardown is waited for before the step gives up on it (never killing it). */
  static final long END_SECONDS = 600;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @CommandLine.Mixin EnvelopeOptions envelope = new EnvelopeOptions();

  private final Map<String, String> env;
  private final java.io.InputStream stdin;

  SessionStartCommand(Map<String, String> env, java.io.InputStream stdin) {
    this.env = env;
    this.stdin = stdin;
  }

  @Override
  public Integer call() throws IOException, InterruptedException {
    // Bad values fail here, in one line, before any process starts.
    // A hand-off on standard input is read and checked here too (122 before any process starts).
    SessionSpec checked = envelope.builder(SessionSuperviseCommand.NO_COMMAND, env, stdin, spec.commandLine()).build();
    long readySeconds = readySeconds(env.get(READY_TIMEOUT_VARIABLE));
    Path root = checked.sessionRoot().toAbsolutePath().normalize();
    Path log;
    try {
      Files.createDirectories(root);
      log = Files.createTempFile(root, "supervisor-", ".log"); // 0600
    } catch (IOException e) {
      // the same one line (121) as `run` gives for an unwritable home, not an internal error (review finding LOW-5)
      throw new SessionException("cannot create the session directory " + root + ": " + e.getMessage()
          + "; set --session-root to a writable directory", ExitCodes.SANDBOX, e);
    }
    Process supervisor;
    try {
      // A hand-off read from standard input goes on to the supervisor through a pipe, never a file.
      ProcessBuilder pb = new ProcessBuilder(supervisorCommand())
          .redirectInput(checked.credentialHandoffInput().isPresent() ? ProcessBuilder.Redirect.PIPE
              : ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
          .redirectOutput(ProcessBuilder.Redirect.PIPE)
          .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()));
      pb.environment().clear();
      pb.environment().putAll(env);
      supervisor = pb.start();
      if (checked.credentialHandoffInput().isPresent()) {
        pipeHandoff(checked.credentialHandoffInput().get(), supervisor);
      }
    } catch (IOException e) {
      Files.deleteIfExists(log);
      if (checked.credentialHandoff().isPresent()) {
        Files.deleteIfExists(checked.credentialHandoff().get());
      }
      throw new SessionException("cannot start the session's supervisor: " + e.getMessage(), ExitCodes.SANDBOX, e);
    }
    PrintWriter err = spec.commandLine().getErr();
    String handle = awaitReady(supervisor, readySeconds, err);
    if (handle == null) {
      // It failed to open, or was told to end: its own lines (the error, its teardown) are in the log.
      // Never killed: a kill would cut its teardown short (tokens unrevoked, the evidence unsealed).
      // The brokers' retries and timeouts bound that teardown; one that still runs after END_SECONDS
      // (a wedged call) is left to finish, and this step ends saying where to look.
      if (!supervisor.waitFor(END_SECONDS, TimeUnit.SECONDS)) {
        err.println("taskbound: the supervisor (pid " + supervisor.pid() + ") has not ended " + END_SECONDS
            + " s after it was told to; it is left to finish its teardown; its log: " + log + "; if it is gone,"
            + " 'taskbound teardown --session DIR' finishes it (DIR: the newest directory in " + root + ")");
        err.flush();
        if (checked.credentialHandoff().isPresent()) {
          Files.deleteIfExists(checked.credentialHandoff().get()); // the supervisor deletes it as it opens
        }
        return ExitCodes.SANDBOX;
      }
      int status = supervisor.exitValue();
      err.print(Files.readString(log, StandardCharsets.UTF_8));
      err.flush();
      Files.deleteIfExists(log);
      // The supervisor deletes a hand-off as it opens; one it never reached is not left behind.
      if (checked.credentialHandoff().isPresent()) {
        Files.deleteIfExists(checked.credentialHandoff().get());
      }
      return status == 0 ? ExitCodes.SANDBOX : status;
    }
    Path state = Path.of(handle);
    Path named = state.resolveSibling(state.getFileName() + ".supervisor.log");
    Files.move(log, named);
    err.print(Files.readString(named, StandardCharsets.UTF_8));
    err.println("  supervisor: pid " + supervisor.pid() + ", log " + named);
    err.flush();
    PrintWriter out = spec.commandLine().getOut();
    out.println(handle);
    out.flush();
    return 0;
  }

  /**
   * Writes the hand-off to the supervisor's standard input and closes it, on a thread of its own: a
   * hand-off larger than the pipe's buffer waits for the supervisor's open to read it. A supervisor
   * that ends first fails its own open, which {@link #awaitReady} reports.
   */
  private static void pipeHandoff(dev.taskbound.core.session.CredentialHandoffInput handoff, Process supervisor) {
    Thread writer = new Thread(() -> {
      try {
        handoff.writeTo(supervisor.getOutputStream());
      } catch (IOException e) { // NOPMD: the supervisor ended or closed its input; its log says why
        // nothing more to do
      }
    }, "taskbound-handoff-pipe");
    writer.setDaemon(true);
    writer.start();
  }

  /** Seconds from {@value #READY_TIMEOUT_VARIABLE}, {@link #READY_SECONDS} when unset. */
  static long readySeconds(String value) {
    if (value == null) {
      return READY_SECONDS;
    }
    if (value.matches("[0-9]{1,6}")) {
      long seconds = Long.parseLong(value);
      if (seconds >= 1 && seconds <= MOST_READY_SECONDS) {
        return seconds;
      }
    }
    throw new SessionException(READY_TIMEOUT_VARIABLE + ": " + SafeText.quoted(value)
        + " is not a time to wait for the session to open; accepted: whole seconds from 1 to "
        + MOST_READY_SECONDS + " (default " + READY_SECONDS + ")", ExitCodes.USAGE);
  }

  /**
   * The handle line, or null when the supervisor ended before the session opened, or did not open it
   * within {@code seconds}: then it is told to end (SIGTERM), and tears down whatever it opened.
   */
  private static String awaitReady(Process supervisor, long seconds, PrintWriter err) throws InterruptedException {
    CompletableFuture<String> line = CompletableFuture.supplyAsync(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(supervisor.getInputStream(), StandardCharsets.UTF_8))) {
        return r.readLine();
      } catch (IOException e) {
        return null;
      }
    });
    try {
      String handle = line.get(seconds, TimeUnit.SECONDS);
      return handle == null || handle.isBlank() ? null : handle.strip();
    } catch (TimeoutException e) {
      err.println("taskbound: the session did not open within " + seconds + " s (" + READY_TIMEOUT_VARIABLE
          + "); ending it: its supervisor (pid " + supervisor.pid() + ") tears down what it opened, waited for here");
      err.flush();
      supervisor.destroy(); // SIGTERM: it tears down what it opened
      return null;
    } catch (ExecutionException e) {
      return null;
    }
  }

  /**
   * This JVM's java and class path running {@code session supervise} with the same options, in a
   * session of its own ({@code setsid}) so that the caller's process group and terminal signals do
   * not reach it: only {@code session end}, the TTL or a signal to its pid end it.
   */
  private List<String> supervisorCommand() {
    InitCommand self = InitCommand.current();
    List<String> cmd = new ArrayList<>();
    for (String setsid : new String[] {"/usr/bin/setsid", "/bin/setsid"}) {
      if (Files.isExecutable(Path.of(setsid))) {
        cmd.add(setsid);
        break;
      }
    }
    cmd.add(self.javaBinary().toString());
    // No TieredStopAtLevel=1: the supervisor hosts the session's gateway, and only C2 has the JDK's
    // AES-GCM intrinsics that the inspected path needs (bin/taskbound's gateway_jvm_flags).
    cmd.addAll(List.of("--add-opens=java.base/sun.nio.ch=ALL-UNNAMED", "-XX:+UseSerialGC",
        "-Xms16m", "-XX:-UsePerfData", "-Xshare:auto"));
    cmd.addAll(HugePages.jvmFlags(HugePages.SETTING));
    cmd.addAll(List.of("-cp", self.classPath(), Main.class.getName(), "session", "supervise"));
    cmd.addAll(startArguments());
    return cmd;
  }

  /** The arguments given after {@code session start}. */
  private List<String> startArguments() {
    List<String> all = spec.commandLine().getParseResult().originalArgs();
    int session = all.indexOf("session");
    int start = session < 0 ? -1 : all.subList(session, all.size()).indexOf("start");
    return start < 0 ? List.of() : List.copyOf(all.subList(session + start + 1, all.size()));
  }
}
