package dev.taskbound.core.cli;

import dev.taskbound.core.broker.Secret;
import dev.taskbound.core.gate.AgentApiClient;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code taskbound secret get NAME}, run by the agent inside the sandbox: fetches an on-request
 * secret from the session's agent API and prints its value, exactly, with no newline.
 */
@Command(
    name = "secret",
    description = "Inside a Taskbound sandbox: fetch the session's on-request secrets.",
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:the value was printed",
      "121:the agent API could not be reached through the session's gateway",
      "122:the agent API refused (401 bad capability, 403 denied or needs approval, 404 unknown name) or failed",
      "125:not inside a session (TASKBOUND_AGENT_API/TASKBOUND_AGENT_TOKEN unset), or usage error"
    })
public final class SecretCommand implements Runnable {
  private final Map<String, String> env;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  SecretCommand(Map<String, String> env) {
    this.env = env;
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required: get NAME");
  }

  @Command(
      name = "get",
      description = "Print the value of the on-request secret NAME to standard output (no newline). Each access is recorded in the evidence.",
      exitCodeListHeading = "%nExit codes:%n",
      exitCodeList = {
        "0:the value was printed",
        "121:the agent API could not be reached through the session's gateway",
        "122:the agent API refused (401 bad capability, 403 denied or needs approval, 404 unknown name) or failed",
        "125:not inside a session, or an invalid NAME"
      })
  int get(@Parameters(paramLabel = "NAME", description = "the secret's name in the policy") String name) {
    Secret secret = AgentApiClient.fromEnvironment(env).secret(name);
    spec.commandLine().getOut().print(secret.reveal());
    spec.commandLine().getOut().flush();
    return 0;
  }
}
