package dev.taskbound.core.cli;

import java.util.Map;
import picocli.CommandLine.Command;

/**
 * {@code taskbound token refresh}, run by the agent inside the sandbox: asks the session for a
 * fresh GitHub token (the session revokes the one it replaces) and prints it, with no newline.
 */
@Command(
    name = "token",
    description = "Inside a Taskbound sandbox: refresh the session's GitHub token.",
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:the new token was printed",
      "121:the agent API could not be reached through the session's gateway",
      "122:the agent API refused (401 bad capability, 403 denied or needs approval, 404 no GitHub token) or the refresh failed",
      "125:not inside a session (TASKBOUND_AGENT_API/TASKBOUND_AGENT_TOKEN unset), or usage error"
    })
public final class TokenCommand extends AgentSideCommand {
  TokenCommand(Map<String, String> env) {
    super(env, "refresh");
  }

  @Command(
      name = "refresh",
      description = {
        "Print a fresh GitHub token to standard output (no newline); the token it replaces is revoked.",
        "GH_TOKEN/GITHUB_TOKEN in running processes keep the old value: use the printed one, e.g. export GH_TOKEN=$(taskbound token refresh)."
      },
      exitCodeListHeading = "%nExit codes:%n",
      exitCodeList = {
        "0:the new token was printed",
        "121:the agent API could not be reached through the session's gateway",
        "122:the agent API refused or the refresh failed",
        "125:not inside a session"
      })
  int refresh() {
    return print(client().refreshToken().token());
  }
}
