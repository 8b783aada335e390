package dev.taskbound.core.cli;

import dev.taskbound.core.gate.AgentApiClient;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code taskbound gate check ACTION [--target T] [--reason TEXT]}, run by an agent or a script
 * inside the sandbox: asks the session's runtime gate whether an action may happen, before doing it
 * (docs/hooks.md). The decision is recorded in the evidence; the answer is one line on standard
 * output and the exit code.
 */
@Command(
    name = "gate",
    description = "Inside a Taskbound sandbox: ask the session's runtime gate about an action.",
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:allowed",
      "1:denied",
      "2:needs a person's approval (refused until approvals exist)",
      "121:the agent API could not be reached through the session's gateway",
      "122:the agent API refused the request (401 bad capability, 404 the session serves no hooks) or failed",
      "125:not inside a session (TASKBOUND_AGENT_API/TASKBOUND_AGENT_TOKEN unset), or usage error"
    })
public final class GateCommand extends AgentSideCommand {
  /** Exit code of a denied action. */
  public static final int DENIED = 1;
  /** Exit code of an action that needs approval. */
  public static final int NEEDS_APPROVAL = 2;

  GateCommand(Map<String, String> env) {
    super(env, "check ACTION");
  }

  @Command(
      name = "check",
      description = "Decide ACTION (tool.bash, git.push, package.publish, ...) on --target with the policy's gate rules,"
          + " record the decision, print 'DECISION RULE: REASON' and exit 0 (allow), 1 (deny) or 2 (approve).",
      exitCodeListHeading = "%nExit codes:%n",
      exitCodeList = {"0:allowed", "1:denied", "2:needs approval", "121:unreachable", "122:refused", "125:usage"})
  int check(
      @Parameters(paramLabel = "ACTION", description = "the action, e.g. tool.bash or git.push") String action,
      @Option(names = "--target", paramLabel = "T", defaultValue = "",
          description = "what the action is on: a command line, a path, a host, a ref (refs/heads/main)") String target,
      @Option(names = "--reason", paramLabel = "TEXT", defaultValue = "",
          description = "why it is wanted; recorded with the decision") String reason) {
    AgentApiClient.GateAnswer answer = client().gateCheck(action, target, reason);
    spec.commandLine().getOut().println(answer.decision() + " " + answer.rule() + ": " + answer.reason());
    spec.commandLine().getOut().flush();
    switch (answer.decision()) {
      case "allow":
        return 0;
      case "approve":
        return NEEDS_APPROVAL;
      default:
        return DENIED;
    }
  }
}
