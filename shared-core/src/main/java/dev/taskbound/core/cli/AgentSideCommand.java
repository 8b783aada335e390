package dev.taskbound.core.cli;

import dev.taskbound.core.broker.Secret;
import dev.taskbound.core.gate.AgentApiClient;
import java.util.Map;
import picocli.CommandLine;

/**
 * Base of the commands the agent runs inside the sandbox ({@code secret}, {@code token}): they
 * talk to the session's agent API with the environment the host read, and print one value.
 */
abstract class AgentSideCommand implements Runnable {
  private final Map<String, String> env;
  private final String subcommands;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  AgentSideCommand(Map<String, String> env, String subcommands) {
    this.env = env;
    this.subcommands = subcommands;
  }

  @Override
  public final void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required: " + subcommands);
  }

  /** @throws dev.taskbound.core.gate.AgentApiUsageException when not inside a session */
  final AgentApiClient client() {
    return AgentApiClient.fromEnvironment(env);
  }

  /** Prints exactly the value, no newline, so {@code $(...)} and redirects get it unchanged. */
  final int print(Secret value) {
    spec.commandLine().getOut().print(value.reveal());
    spec.commandLine().getOut().flush();
    return 0;
  }
}
