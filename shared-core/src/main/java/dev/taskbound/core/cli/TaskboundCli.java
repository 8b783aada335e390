package dev.taskbound.core.cli;

import dev.taskbound.core.ExitCodes;
import dev.taskbound.core.TaskboundException;
import java.io.PrintWriter;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code taskbound} command. Hosts call {@link #execute} with the arguments, output streams and
 * environment they read at their edge; nothing here reads {@code System.getenv} or exits.
 */
@Command(
    name = "taskbound",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description = "Runs a coding agent inside a task envelope: task-bound identity, restricted egress, evidence, teardown.",
    subcommands = {
      RunCommand.class,
      PolicyCommand.class,
      VerifyCommand.class,
      TeardownCommand.class,
      SecretCommand.class,
      TokenCommand.class,
      CommandLine.HelpCommand.class
    },
    exitCodeListHeading = "%nExit codes of 'run':%n",
    exitCodeList = {
      "0-119:the agent's own exit status",
      "120:the policy is invalid or widens its ceiling",
      "121:the sandbox or gateway could not be set up",
      "122:identity or credentials could not be issued",
      "123:teardown failed (see the teardown report)",
      "124:the session's TTL expired",
      "125:usage error",
      "126/127:the agent command is not executable / not found",
      "128+N:the agent or taskbound was ended by signal N"
    })
public final class TaskboundCli implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a command is required (run, policy, verify, teardown)");
  }

  /**
   * Runs {@code taskbound} with the given arguments and returns its exit status. Errors that are
   * the user's (a {@link TaskboundException}) print one line without a stack trace.
   *
   * @param env the host environment, read once by the caller
   */
  public static int execute(String[] args, PrintWriter out, PrintWriter err, Map<String, String> env) {
    CommandLine cli = new CommandLine(new TaskboundCli(), new Factory(env));
    cli.setOut(out);
    cli.setErr(err);
    cli.setExitCodeExceptionMapper(
        e -> e instanceof TaskboundException ? ((TaskboundException) e).exitCode() : ExitCodes.USAGE);
    cli.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          if (e instanceof TaskboundException) {
            commandLine.getErr().println("taskbound: error: " + e.getMessage());
            commandLine.getErr().flush();
            return ((TaskboundException) e).exitCode();
          }
          throw e;
        });
    cli.setParameterExceptionHandler(
        (e, a) -> {
          CommandLine c = e.getCommandLine();
          c.getErr().println("taskbound: " + e.getMessage());
          c.getErr().println("Try '" + c.getCommandSpec().qualifiedName() + " --help' for more information.");
          c.getErr().flush();
          return ExitCodes.USAGE;
        });
    int code = cli.execute(args);
    out.flush();
    err.flush();
    return code;
  }

  /** Creates commands, giving those that need it the host environment. */
  private static final class Factory implements CommandLine.IFactory {
    private final Map<String, String> env;
    private final CommandLine.IFactory fallback = CommandLine.defaultFactory();

    Factory(Map<String, String> env) {
      this.env = Map.copyOf(env);
    }

    @Override
    public <K> K create(Class<K> cls) throws Exception {
      if (cls == RunCommand.class) {
        return cls.cast(new RunCommand(env));
      }
      if (cls == SecretCommand.class) {
        return cls.cast(new SecretCommand(env));
      }
      if (cls == TokenCommand.class) {
        return cls.cast(new TokenCommand(env));
      }
      if (cls == TeardownCommand.class) {
        return cls.cast(new TeardownCommand(env));
      }
      return fallback.create(cls);
    }
  }
}
