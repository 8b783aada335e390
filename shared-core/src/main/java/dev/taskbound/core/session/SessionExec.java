package dev.taskbound.core.session;

import java.io.OutputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * One command of a multi-command session ({@code taskbound session exec}), as the supervisor hands
 * it to {@link Session#exec}. Immutable.
 *
 * @param command the command line; not empty; run without a shell
 * @param workDir the command's working directory
 * @param hostEnvironment the caller's environment; only what {@link AgentEnvironment} allows is kept
 * @param waitForAll whether the sandbox lasts until every process in it has exited
 * @param readWrite extra directories the command may write ({@link ExecPaths#readWrite})
 * @param readOnly extra files the command may read ({@link ExecPaths#readOnly})
 * @param stdout where the command's standard output goes, masked line by line
 * @param stderr where its standard error goes, masked line by line
 * @param abandoned completed when the caller is gone: the command's whole tree is then stopped
 */
public record SessionExec(
    List<String> command,
    Path workDir,
    Map<String, String> hostEnvironment,
    boolean waitForAll,
    List<Path> readWrite,
    List<Path> readOnly,
    OutputStream stdout,
    OutputStream stderr,
    CompletableFuture<Void> abandoned) {
  public SessionExec {
    command = List.copyOf(command);
    if (command.isEmpty()) {
      throw new IllegalArgumentException("empty command");
    }
    Objects.requireNonNull(workDir, "workDir");
    hostEnvironment = Map.copyOf(hostEnvironment);
    readWrite = List.copyOf(readWrite);
    readOnly = List.copyOf(readOnly);
    Objects.requireNonNull(stdout, "stdout");
    Objects.requireNonNull(stderr, "stderr");
    Objects.requireNonNull(abandoned, "abandoned");
  }

  /** The environment is not printed: it may hold credentials. */
  @Override
  public String toString() {
    return "SessionExec[command=" + command + ", workDir=" + workDir + ", environment=" + hostEnvironment.keySet()
        + " (values hidden), waitForAll=" + waitForAll + ", readWrite=" + readWrite + ", readOnly=" + readOnly + "]";
  }
}
