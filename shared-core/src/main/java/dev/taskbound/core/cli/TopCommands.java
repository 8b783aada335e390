package dev.taskbound.core.cli;

import java.util.List;
import java.util.Map;
import picocli.CommandLine;

/**
 * The top-level commands of {@code taskbound}, registered on demand: picocli builds a command's
 * model (reflection over every option, mixin and nested command) when it is registered, and
 * building all of them cost a {@code run} more CPU than the rest of its use of picocli together
 * (bench/README.md, "Start-up"). When the arguments name a command, only that one is registered;
 * when they only ask for the version, none; otherwise (no command, an unknown one, {@code help}) all
 * are, in this order, so help, suggestions and errors are those of the whole tree.
 */
final class TopCommands {
  /** Each command's name as in its {@code @Command(name)} ({@code TopCommandsTest} checks they agree), in help order. */
  static final List<Map.Entry<String, Class<?>>> ALL = List.of(
      Map.entry("run", RunCommand.class),
      Map.entry("policy", PolicyCommand.class),
      Map.entry("verify", VerifyCommand.class),
      Map.entry("teardown", TeardownCommand.class),
      Map.entry("secret", SecretCommand.class),
      Map.entry("token", TokenCommand.class),
      Map.entry("gate", GateCommand.class),
      Map.entry("session", SessionCommand.class),
      Map.entry("approve", ApprovalCommands.Approve.class),
      Map.entry("deny", ApprovalCommands.Deny.class),
      Map.entry("approvals", ApprovalCommands.Pending.class),
      Map.entry("credentials", CredentialsCommand.class),
      Map.entry("help", CommandLine.HelpCommand.class));

  private TopCommands() {}

  /**
   * Adds to {@code cli} the command {@code args} names, or every command when they name none of them
   * (or {@code help}); none when they only ask for the version ({@code taskbound --version} prints
   * the top command's, and building every model by reflection cost it ~0.1 s of CPU).
   */
  static void register(CommandLine cli, String[] args, CommandLine.IFactory factory) {
    if (asksOnlyForTheVersion(args)) {
      return;
    }
    String name = commandName(args);
    for (Map.Entry<String, Class<?>> command : ALL) {
      if (command.getKey().equals(name) && command.getValue() != CommandLine.HelpCommand.class) {
        cli.addSubcommand(command(command.getValue(), factory));
        return;
      }
    }
    for (Map.Entry<String, Class<?>> command : ALL) {
      cli.addSubcommand(command(command.getValue(), factory));
    }
  }

  /** {@code run}'s model is built without reflection ({@link StartPathModels}); the others from their annotations. */
  private static CommandLine command(Class<?> cls, CommandLine.IFactory factory) {
    if (cls != RunCommand.class) {
      return new CommandLine(cls, factory);
    }
    try {
      return new CommandLine(StartPathModels.run(factory.create(RunCommand.class)), factory);
    } catch (Exception e) {
      throw new CommandLine.InitializationException("could not create the run command: " + e, e);
    }
  }

  /** {@code -V} or {@code --version}, with nothing else but {@code --debug}. */
  static boolean asksOnlyForTheVersion(String[] args) {
    boolean version = false;
    for (String arg : args) {
      if (arg.equals("-V") || arg.equals("--version")) {
        version = true;
      } else if (!arg.equals("--debug")) {
        return false;
      }
    }
    return version;
  }

  /**
   * The first argument that is not an option, as picocli reads it (the top-level options take no
   * value; nothing after {@code --} is a command); empty when there is none.
   */
  static String commandName(String[] args) {
    for (String arg : args) {
      if (arg.equals("--")) {
        return "";
      }
      if (!arg.startsWith("-")) {
        return arg;
      }
    }
    return "";
  }
}
