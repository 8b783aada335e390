package dev.taskbound.core.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code taskbound session}: one envelope for several commands, for CI hosts with pre and post steps. */
@Command(
    name = "session",
    mixinStandardHelpOptions = true,
    description = {
      "One task envelope for several commands: 'session start' opens it (identity, credentials, gateway,",
      "evidence) and prints its handle; 'session exec --session H -- CMD' runs each command in a fresh",
      "sandbox attached to it; 'session end --session H' tears it down and seals the evidence.",
      "'taskbound run' is the one-shot form of the three."
    },
    subcommands = {
      SessionStartCommand.class,
      SessionExecCommand.class,
      SessionEndCommand.class,
      SessionSuperviseCommand.class
    })
final class SessionCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a session command is required (start, exec, end)");
  }
}
