package dev.taskbound.core.cli;

import dev.taskbound.core.ExitCodes;
import dev.taskbound.core.TaskboundException;
import dev.taskbound.core.session.OpenPhase;
import java.io.InputStream;
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
    // subcommands: TopCommands (registered by name, only the one asked for)
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
      "128:an unexpected internal error (a bug; --debug prints its stack trace)",
      "128+N:the agent or taskbound was ended by signal N"
    })
public final class TaskboundCli implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @CommandLine.Option(
      names = "--debug",
      scope = CommandLine.ScopeType.INHERIT,
      description = "Print the stack trace of an unexpected error (also TASKBOUND_DEBUG=1).")
  boolean debug;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a command is required (run, policy, verify, teardown)");
  }

  /**
   * Runs {@code taskbound} with the given arguments and returns its exit status. Whatever leaves a
   * command, {@code Error}s included, ends as one line on {@code err} (control characters escaped)
   * and an exit code: a {@link TaskboundException}'s own, {@link ExitCodes#INTERNAL} for anything
   * else. The stack trace follows only with {@code --debug} or {@code TASKBOUND_DEBUG=1}.
   *
   * @param env the host environment, read once by the caller
   */
  public static int execute(String[] args, PrintWriter out, PrintWriter err, Map<String, String> env) {
    return execute(args, InputStream.nullInputStream(), out, err, env, OpenPhase.Listener.NONE);
  }

  /**
   * As {@link #execute(String[], PrintWriter, PrintWriter, Map)}, with the host's standard input,
   * which a command reads only where an option says so ({@code --credentials-handoff -}); without
   * it, standard input is empty.
   *
   * @param in the host's standard input; not closed
   */
  public static int execute(String[] args, InputStream in, PrintWriter out, PrintWriter err, Map<String, String> env) {
    return execute(args, in, out, err, env, OpenPhase.Listener.NONE);
  }

  /** As {@link #execute(String[], PrintWriter, PrintWriter, Map)}, telling {@code listener} of each open phase. */
  static int execute(String[] args, PrintWriter out, PrintWriter err, Map<String, String> env, OpenPhase.Listener listener) {
    return execute(args, InputStream.nullInputStream(), out, err, env, listener);
  }

  private static int execute(String[] args, InputStream in, PrintWriter out, PrintWriter err, Map<String, String> env,
      OpenPhase.Listener listener) {
    boolean debug = debugWanted(args, env);
    try {
      Factory factory = new Factory(env, in, listener);
      CommandLine cli = new CommandLine(StartPathModels.top(new TaskboundCli()), factory); // no reflection: StartPathModels
      TopCommands.register(cli, args, factory); // before the settings below: they reach only registered commands
      // An argument is what it says: picocli would read "@NAME" as a file of more arguments, so a
      // task, policy path or agent argument from a workflow input or a repository file could add
      // options such as --approval-environment, and an agent's "@x" argument would be rewritten.
      cli.setExpandAtFiles(false);
      cli.setOut(out);
      cli.setErr(err);
      cli.setExitCodeExceptionMapper(
          e -> e instanceof TaskboundException ? ((TaskboundException) e).exitCode() : ExitCodes.INTERNAL);
      cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> report(e, commandLine.getErr(), debug));
      cli.setParameterExceptionHandler(
          (e, a) -> {
            CommandLine c = e.getCommandLine();
            c.getErr().println("taskbound: " + ErrorLine.of(e.getMessage()));
            c.getErr().println("Try '" + c.getCommandSpec().qualifiedName() + " --help' for more information.");
            c.getErr().flush();
            return ExitCodes.USAGE;
          });
      return cli.execute(args);
    } catch (Throwable e) { // picocli hands only Exceptions to the handler: Errors arrive here
      return report(e, err, debug);
    } finally {
      out.flush();
      err.flush();
    }
  }

  /**
   * Prints {@code e} as one line and returns its exit code. Our own errors say what, where and what
   * is accepted; anything else is a bug, and says so.
   */
  static int report(Throwable e, PrintWriter err, boolean debug) {
    int code;
    String text;
    if (e instanceof TaskboundException t) {
      code = t.exitCode();
      text = t.getMessage();
    } else {
      code = ExitCodes.INTERNAL;
      String message = e.getMessage();
      text = "internal error: " + e.getClass().getName() + (message == null || message.isBlank() ? "" : ": " + message)
          + "; this is a bug in taskbound, please report it" + (debug ? "" : " (--debug prints the stack trace)");
    }
    try {
      err.println("taskbound: error: " + ErrorLine.of(text));
      if (debug) {
        e.printStackTrace(err);
      }
      err.flush();
    } catch (Throwable ignored) { // NOPMD: even printing failed (out of memory): the exit code still tells
      // nothing more can be said
    }
    return code;
  }

  /** {@code --debug} anywhere before {@code --}, or {@code TASKBOUND_DEBUG} set to 1 or true. */
  static boolean debugWanted(String[] args, Map<String, String> env) {
    String fromEnv = env.get("TASKBOUND_DEBUG");
    if (fromEnv != null && (fromEnv.equals("1") || fromEnv.equalsIgnoreCase("true"))) {
      return true;
    }
    for (String a : args) {
      if (a.equals("--")) {
        return false;
      }
      if (a.equals("--debug")) {
        return true;
      }
    }
    return false;
  }

  /** Creates commands, giving those that need it the host environment. */
  static final class Factory implements CommandLine.IFactory {
    private final Map<String, String> env;
    private final InputStream in;
    private final OpenPhase.Listener listener;
    private final CommandLine.IFactory fallback = CommandLine.defaultFactory();

    Factory(Map<String, String> env, InputStream in, OpenPhase.Listener listener) {
      this.env = Map.copyOf(env);
      this.in = in;
      this.listener = listener;
    }

    @Override
    public <K> K create(Class<K> cls) throws Exception {
      if (cls == RunCommand.class) {
        return cls.cast(new RunCommand(env, in, listener));
      }
      if (cls == PolicyCommand.Check.class) {
        return cls.cast(new PolicyCommand.Check(env));
      }
      if (cls == PolicyCommand.Explain.class) {
        return cls.cast(new PolicyCommand.Explain(env));
      }
      if (cls == SecretCommand.class) {
        return cls.cast(new SecretCommand(env));
      }
      if (cls == TokenCommand.class) {
        return cls.cast(new TokenCommand(env));
      }
      if (cls == GateCommand.class) {
        return cls.cast(new GateCommand(env));
      }
      if (cls == TeardownCommand.class) {
        return cls.cast(new TeardownCommand(env));
      }
      if (cls == SessionStartCommand.class || cls == SessionExecCommand.class || cls == SessionEndCommand.class
          || cls == SessionSuperviseCommand.class) {
        return cls.cast(SessionCommands.create(cls, env, in, listener));
      }
      if (CredentialsCommand.WITH_ENV.contains(cls)) {
        return cls.cast(CredentialsCommand.create(cls, env));
      }
      return fallback.create(cls);
    }
  }
}
