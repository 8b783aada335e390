package dev.taskbound.core.cli;

import java.util.Map;
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
public final class SecretCommand extends AgentSideCommand {
  SecretCommand(Map<String, String> env) {
    super(env, "get NAME");
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
    return print(client().secret(name));
  }
}
