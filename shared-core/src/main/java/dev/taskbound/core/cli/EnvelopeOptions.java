package dev.taskbound.core.cli;

import dev.taskbound.core.identity.TaskId;
import dev.taskbound.core.session.CredentialHandoffInput;
import dev.taskbound.core.session.CredentialSources;
import dev.taskbound.core.session.SessionSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * The options that open a task envelope, shared by {@code run} (one command) and {@code session
 * start} (a session for several): task, policy, sandbox, TTL, where state and evidence go, claims.
 */
final class EnvelopeOptions {
  @Option(names = "--task", required = true, paramLabel = "ID", description = "The approved task, e.g. FIX-123 ([A-Za-z0-9._-]).")
  String task;

  @Option(
      names = "--policy",
      paramLabel = "FILE",
      description = "A policy file (Task, and/or Ceiling documents); repeatable. Without one, the built-in default applies.")
  List<Path> policies = new ArrayList<>();

  @Option(
      names = "--ceiling",
      paramLabel = "FILE",
      description = {
        "The org ceiling policy (default: $TASKBOUND_CEILING if set): a file, or",
        "github:OWNER/.github/taskbound/ceiling.yml, read with the GitHub App at the default branch's head."
      })
  String ceiling;

  @Option(
      names = "--repository-ceiling",
      description = {
        "With a github: ceiling: the policy files may hold the repository's own Ceiling. Accepted where the",
        "org ceiling is missing (then no org ceiling applies, and the run says so), or under one that sets",
        "allowRepositoryCeiling: true (it then narrows the org ceiling); refused otherwise."
      })
  boolean repositoryCeiling;

  @Option(names = "--profile", paramLabel = "NAME", description = "The agent profile defined by the ceiling, e.g. coding-agent.")
  String profile;

  @Option(
      names = "--sandbox",
      paramLabel = "BACKEND",
      description = "netns, container or proxy; must be allowed by the policy (default: the policy's first).")
  String sandbox;

  @Option(
      names = "--image",
      paramLabel = "IMAGE",
      description = "The agent's image for --sandbox container (default: $TASKBOUND_AGENT_IMAGE); it needs nothing of ours.")
  String image;

  @Option(
      names = "--pass-env",
      paramLabel = "NAME",
      split = ",",
      description = {
        "Give the agent this host variable too (repeatable or comma-separated), e.g. ANTHROPIC_API_KEY:",
        "the agent's environment is otherwise an allow-list. Not masked: it is the host's value, not one issued."
      })
  List<String> passEnv = new java.util.ArrayList<>();

  @Option(
      names = "--egress-allow",
      paramLabel = "RULE",
      split = ",",
      description = {
        "Narrow egress to these host[:port] rules (repeatable or comma-separated); each must be allowed",
        "by the policy files already: this can only take hosts away."
      })
  List<String> egressAllow = new ArrayList<>();

  @Option(names = "--ttl", paramLabel = "DURATION", description = "A TTL shorter than the policy's, e.g. 15m.")
  String ttl;

  @Option(
      names = "--out",
      paramLabel = "DIR",
      description = "Where the evidence bundle and reports go (default: ./taskbound-evidence).")
  Path out = Path.of("taskbound-evidence");

  @Option(
      names = "--session-root",
      paramLabel = "DIR",
      description = {
        "Where session state lives (default: $TASKBOUND_SESSION_ROOT, else $TASKBOUND_HOME/sessions,",
        "else ~/.taskbound/sessions).",
        "The gateway socket goes under $TASKBOUND_RUNTIME_DIR (default: the JVM's temp directory)."
      })
  Path sessionRoot;

  @Option(
      names = "--claim",
      paramLabel = "NAME=VALUE",
      description = "An extra identity claim, e.g. repository=acme/app or run_url=...; repeatable.")
  Map<String, String> claims = Map.of();

  @Option(
      names = "--credentials-handoff",
      paramLabel = "FILE|-",
      description = {
        "Use the credentials another host issued ('taskbound credentials issue') instead of minting here:",
        "the 0600 file is read and deleted at open; '-' reads the hand-off from standard input instead, so",
        "no file of it exists on this host. Refused (122) unless it grants exactly what the effective policy",
        "grants, and (122) when it is not a hand-off or standard input is empty. This host then needs no",
        "GitHub App key or Vault login."
      })
  String credentialHandoff;

  /** The value of {@code --credentials-handoff} that reads the hand-off from standard input. */
  static final String STDIN = "-";

  /**
   * A session spec builder for these options, reading the host configuration (ceiling, roots,
   * credential sources) from {@code env} once. {@code stdin} is read (to its end) only for {@code
   * --credentials-handoff -}.
   */
  SessionSpec.Builder builder(List<String> command, Map<String, String> env, java.io.InputStream stdin,
      CommandLine usage) {
    SessionSpec.Builder b = SessionSpec.builder(TaskId.parse(task), command);
    if (ceiling != null && ceiling.isBlank()) { // silently "no ceiling" in place of $TASKBOUND_CEILING's
      throw new CommandLine.ParameterException(usage, "--ceiling: empty; accepted: a file or"
          + " github:OWNER/.github/taskbound/ceiling.yml (leave the option out and $TASKBOUND_CEILING applies)");
    }
    String ceilingSource = ceiling != null ? ceiling : env.get("TASKBOUND_CEILING");
    CeilingOption.apply(ceilingSource, repositoryCeiling, b, usage);
    policies.forEach(b::policyFile);
    if (profile != null) {
      b.profile(profile);
    }
    if (sandbox != null) {
      b.backend(RunCommand.CliValues.backend(sandbox));
    }
    passEnv.forEach(name -> b.passEnv(RunCommand.CliValues.variableName(name)));
    String agentImage = image != null ? image : env.get("TASKBOUND_AGENT_IMAGE");
    if (agentImage != null && !agentImage.isBlank()) {
      b.agentImage(agentImage);
    }
    egressAllow.forEach(rule -> b.egressAllow(RunCommand.CliValues.egressRule("--egress-allow", rule)));
    if (ttl != null) {
      b.ttl(RunCommand.CliValues.duration("--ttl", ttl));
    }
    Path home = envPath(env, "TASKBOUND_HOME");
    Path rootFromEnv = envPath(env, "TASKBOUND_SESSION_ROOT");
    if (sessionRoot != null) {
      b.sessionRoot(sessionRoot);
    } else if (rootFromEnv != null) {
      b.sessionRoot(rootFromEnv);
    } else if (home != null) {
      b.sessionRoot(home.resolve("sessions"));
    }
    Path runtime = envPath(env, "TASKBOUND_RUNTIME_DIR");
    if (runtime != null) {
      b.runtimeRoot(runtime);
    }
    // Issue 15: the CAs inspected upstreams are verified against instead of the system's (a host
    // setting for local stand-ins; no policy can weaken upstream verification).
    Path upstreamCa = envPath(env, "TASKBOUND_INSPECT_UPSTREAM_CA");
    if (upstreamCa != null) {
      b.inspectionUpstreamTrust(upstreamCa);
    }
    claims.forEach(b::identityClaim);
    // Host configuration for the brokers, read once here; secrets come from the environment or files.
    b.credentialSources(CredentialSources.fromEnvironment(env));
    if (STDIN.equals(credentialHandoff)) {
      b.credentialHandoff(CredentialHandoffInput.read(stdin)); // an empty or bad one fails here (122), before anything starts
    } else if (credentialHandoff != null) {
      b.credentialHandoff(Path.of(credentialHandoff).toAbsolutePath());
    }
    return b.outDir(out).hostEnvironment(env);
  }

  private static Path envPath(Map<String, String> env, String name) {
    String value = env.get(name);
    return value == null || value.isBlank() ? null : Path.of(value);
  }
}
