package dev.taskbound.core.cli;

import dev.taskbound.core.session.SessionClient;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code taskbound session exec --session H -- CMD}: one command in a fresh sandbox of an open session. */
@Command(
    name = "exec",
    mixinStandardHelpOptions = true,
    description = {
      "Runs COMMAND in a fresh sandbox (its own namespaces and process tree) attached to the open session H:",
      "its gateway and policy, its credentials, its evidence. Runs in the current directory; standard input",
      "is /dev/null; the output is masked as in 'run'. Returns COMMAND's exit status; 124 when the",
      "session's TTL stopped it; 121 when the session has ended or its supervisor is gone; 143 when the",
      "session was ended while it ran."
    })
final class SessionExecCommand implements Callable<Integer> {
  @Option(names = "--session", required = true, paramLabel = "H", description = "The handle 'session start' printed.")
  Path session;

  @Option(
      names = "--wait-all",
      description = "Keep the sandbox until every process in it has exited, not only COMMAND (Jenkins' durable sh).")
  boolean waitAll;

  @Option(
      names = "--rw",
      paramLabel = "DIR",
      description = {
        "Let COMMAND write DIR too (repeatable). Only the CI host's own control directory qualifies:",
        "a directory strictly under <current directory>@tmp/ (where Jenkins' durable-task keeps its files)."
      })
  List<Path> readWrite = new ArrayList<>();

  @Option(
      names = "--ro",
      paramLabel = "FILE",
      description = {
        "Let COMMAND read FILE too (repeatable). Only a file strictly under <current directory>@tmp/",
        "qualifies (a Jenkins freestyle step's script, jenkins<N>.sh); the rest of that directory stays hidden."
      })
  List<Path> readOnly = new ArrayList<>();

  @Parameters(arity = "1..*", paramLabel = "COMMAND", description = "The command and its arguments (after --).")
  List<String> command;

  private final Map<String, String> env;

  SessionExecCommand(Map<String, String> env) {
    this.env = env;
  }

  @Override
  public Integer call() {
    Path workDir = Path.of("").toAbsolutePath();
    return SessionClient.of(session).exec(command, workDir, env, waitAll, readWrite, readOnly,
        new FileOutputStream(FileDescriptor.out), new FileOutputStream(FileDescriptor.err));
  }
}
