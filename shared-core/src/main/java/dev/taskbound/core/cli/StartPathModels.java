package dev.taskbound.core.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * The picocli models of {@code taskbound} and {@code taskbound run}, built without reflection: every
 * start builds them, and reading their annotations (and generating the annotation proxy classes,
 * which no class-data archive keeps) cost ~59 ms of CPU on the opening thread (bench/README.md,
 * "Fourth pass"). The annotations on {@link TaskboundCli}, {@link RunCommand} and {@link
 * EnvelopeOptions} stay the reference ({@code session start} and the other commands still use
 * them); {@code StartPathModelsTest} checks these models against them option by option and their
 * help text line by line, so the two cannot drift.
 */
final class StartPathModels {
  /** The key picocli's own {@code mixinStandardHelpOptions} uses for {@code --help} and {@code --version}. */
  private static final String STANDARD_HELP = "mixinStandardHelpOptions";

  private StartPathModels() {}

  /** The {@code taskbound} command, bound to {@code cli} (its {@code spec} set). */
  static CommandSpec top(TaskboundCli cli) {
    CommandSpec spec = CommandSpec.wrapWithoutInspection(cli).name("taskbound");
    spec.versionProvider(new VersionProvider());
    standardHelp(spec);
    Map<String, String> exitCodes = new LinkedHashMap<>();
    exitCodes.put("0-119", "the agent's own exit status");
    exitCodes.put("120", "the policy is invalid or widens its ceiling");
    exitCodes.put("121", "the sandbox or gateway could not be set up");
    exitCodes.put("122", "identity or credentials could not be issued");
    exitCodes.put("123", "teardown failed (see the teardown report)");
    exitCodes.put("124", "the session's TTL expired");
    exitCodes.put("125", "usage error");
    exitCodes.put("126/127", "the agent command is not executable / not found");
    exitCodes.put("128", "an unexpected internal error (a bug; --debug prints its stack trace)");
    exitCodes.put("128+N", "the agent or taskbound was ended by signal N");
    spec.usageMessage()
        .description("Runs a coding agent inside a task envelope: task-bound identity, restricted egress, evidence, teardown.")
        .exitCodeListHeading("%nExit codes of 'run':%n")
        .exitCodeList(exitCodes);
    spec.addOption(OptionSpec.builder("--debug")
        .paramLabel("<debug>")
        .scopeType(CommandLine.ScopeType.INHERIT)
        .description("Print the stack trace of an unexpected error (also TASKBOUND_DEBUG=1).")
        .descriptionKey("")
        .type(boolean.class)
        .initialValue(cli.debug)
        .getter(bind(() -> cli.debug, v -> cli.debug = (Boolean) v))
        .setter(bind(() -> cli.debug, v -> cli.debug = (Boolean) v))
        .build());
    cli.spec = spec;
    return spec;
  }

  /** The {@code run} command, bound to {@code run} and its {@link EnvelopeOptions} (its {@code spec} set). */
  static CommandSpec run(RunCommand run) {
    CommandSpec spec = CommandSpec.wrapWithoutInspection(run).name("run");
    standardHelp(spec);
    spec.usageMessage().description(
        "Runs COMMAND in a task envelope, then tears it down.",
        "The envelope: a task-bound identity, a sandbox whose only way out is the",
        "egress gateway, and a signed evidence bundle. Teardown runs on success, failure, SIGINT/SIGTERM",
        "and TTL expiry. Returns the agent's exit status, or one of Taskbound's own codes (see 'taskbound --help').");
    envelope(spec, run.envelope);
    spec.addOption(flag("--wait-all", "waitAll", () -> run.waitAll, v -> run.waitAll = v,
        "Keep the envelope until every process in the sandbox has exited, not only COMMAND (for hosts",
        "whose command backgrounds the real work, such as Jenkins' durable sh). netns backend only."));
    spec.addOption(flag("--timings", "timings", () -> run.timings, v -> run.timings = v,
        "Print how long each open/run/close phase took."));
    spec.addOption(flag("--approvals-before-run", "approvalsBeforeRun", () -> run.approvalsBeforeRun, v -> run.approvalsBeforeRun = v,
        "Settle every 'approve' decision at once instead of waiting for a person (hosts that cannot pause,",
        "such as GitHub Actions): granted only when --approval-environment is one of the policy's",
        "gate.approval.environments, else denied saying so."));
    spec.addOption(value("--approval-environment", "NAME", String.class, () -> run.approvalEnvironment,
        v -> run.approvalEnvironment = (String) v,
        "With --approvals-before-run: the job's environment, as the host verified it (the OIDC token's claim).",
        "Taken as given: a host-side assertion; the agent cannot set it, the host must verify it first."));
    spec.addOption(flag("--no-approval-prompt", "noApprovalPrompt", () -> run.noApprovalPrompt, v -> run.noApprovalPrompt = v,
        "No prompt on the terminal and no 'waits for approval' lines:",
        "the agent shares the run's terminal, approvals come from another shell only."));
    BoundValue command = bind(() -> run.command, v -> run.command = cast(v));
    spec.addPositional(PositionalParamSpec.builder()
        .arity("1..*")
        .required(true)
        .paramLabel("COMMAND")
        .description("The agent command and its arguments (after --).")
        .descriptionKey("")
        .type(List.class)
        .auxiliaryTypes(String.class)
        .initialValue(run.command)
        .getter(command)
        .setter(command)
        .build());
    run.spec = spec;
    return spec;
  }

  /** {@link EnvelopeOptions}' options, as its {@code @Option}s declare them. */
  private static void envelope(CommandSpec spec, EnvelopeOptions e) {
    spec.addOption(valueBuilder("--task", "ID", String.class, () -> e.task, v -> e.task = (String) v,
        "The approved task, e.g. FIX-123 ([A-Za-z0-9._-]).").required(true).build());
    spec.addOption(list("--policy", "FILE", Path.class, null, () -> e.policies, v -> e.policies = cast(v),
        "A policy file (Task, and/or Ceiling documents); repeatable. Without one, the built-in default applies."));
    spec.addOption(value("--ceiling", "FILE", String.class, () -> e.ceiling, v -> e.ceiling = (String) v,
        "The org ceiling policy (default: $TASKBOUND_CEILING if set): a file, or",
        "github:OWNER/.github/taskbound/ceiling.yml, read with the GitHub App at the default branch's head."));
    spec.addOption(flag("--repository-ceiling", "repositoryCeiling", () -> e.repositoryCeiling, v -> e.repositoryCeiling = v,
        "With a github: ceiling: the policy files may hold the repository's own Ceiling. Accepted where the",
        "org ceiling is missing (then no org ceiling applies, and the run says so), or under one that sets",
        "allowRepositoryCeiling: true (it then narrows the org ceiling); refused otherwise."));
    spec.addOption(value("--profile", "NAME", String.class, () -> e.profile, v -> e.profile = (String) v,
        "The agent profile defined by the ceiling, e.g. coding-agent."));
    spec.addOption(value("--sandbox", "BACKEND", String.class, () -> e.sandbox, v -> e.sandbox = (String) v,
        "netns, container or proxy; must be allowed by the policy (default: the policy's first)."));
    spec.addOption(value("--image", "IMAGE", String.class, () -> e.image, v -> e.image = (String) v,
        "The agent's image for --sandbox container (default: $TASKBOUND_AGENT_IMAGE); it needs nothing of ours."));
    spec.addOption(list("--pass-env", "NAME", String.class, ",", () -> e.passEnv, v -> e.passEnv = cast(v),
        "Give the agent this host variable too (repeatable or comma-separated), e.g. ANTHROPIC_API_KEY:",
        "the agent's environment is otherwise an allow-list. Not masked: it is the host's value, not one issued."));
    spec.addOption(list("--egress-allow", "RULE", String.class, ",", () -> e.egressAllow, v -> e.egressAllow = cast(v),
        "Narrow egress to these host[:port] rules (repeatable or comma-separated); each must be allowed",
        "by the policy files already: this can only take hosts away."));
    spec.addOption(value("--ttl", "DURATION", String.class, () -> e.ttl, v -> e.ttl = (String) v,
        "A TTL shorter than the policy's, e.g. 15m."));
    spec.addOption(value("--out", "DIR", Path.class, () -> e.out, v -> e.out = (Path) v,
        "Where the evidence bundle and reports go (default: ./taskbound-evidence)."));
    spec.addOption(value("--session-root", "DIR", Path.class, () -> e.sessionRoot, v -> e.sessionRoot = (Path) v,
        "Where session state lives (default: $TASKBOUND_SESSION_ROOT, else $TASKBOUND_HOME/sessions,",
        "else ~/.taskbound/sessions).",
        "The gateway socket goes under $TASKBOUND_RUNTIME_DIR (default: the JVM's temp directory)."));
    BoundValue claims = bind(() -> e.claims, v -> e.claims = cast(v));
    spec.addOption(OptionSpec.builder("--claim")
        .paramLabel("NAME=VALUE")
        .description("An extra identity claim, e.g. repository=acme/app or run_url=...; repeatable.")
        .descriptionKey("")
        .type(Map.class)
        .auxiliaryTypes(String.class, String.class)
        .initialValue(e.claims)
        .getter(claims)
        .setter(claims)
        .build());
    spec.addOption(value("--credentials-handoff", "FILE|-", String.class, () -> e.credentialHandoff,
        v -> e.credentialHandoff = (String) v,
        "Use the credentials another host issued ('taskbound credentials issue') instead of minting here:",
        "the 0600 file is read and deleted at open; '-' reads the hand-off from standard input instead, so",
        "no file of it exists on this host. Refused (122) unless it grants exactly what the effective policy",
        "grants, and (122) when it is not a hand-off or standard input is empty. This host then needs no",
        "GitHub App key or Vault login."));
  }

  /** {@code -h, --help} and {@code -V, --version}, as picocli's {@code mixinStandardHelpOptions = true} adds them. */
  private static void standardHelp(CommandSpec spec) {
    boolean[] requested = new boolean[2];
    CommandSpec mixin = CommandSpec.create();
    mixin.addOption(OptionSpec.builder("${picocli.help.name.0:--h}", "${picocli.help.name.1:---help}")
        .usageHelp(true)
        .paramLabel("<helpRequested>")
        .descriptionKey("mixinStandardHelpOptions.help")
        .description("Show this help message and exit.")
        .type(boolean.class)
        .initialValue(false)
        .getter(bind(() -> requested[0], v -> requested[0] = (Boolean) v))
        .setter(bind(() -> requested[0], v -> requested[0] = (Boolean) v))
        .build());
    mixin.addOption(OptionSpec.builder("${picocli.version.name.0:--V}", "${picocli.version.name.1:---version}")
        .versionHelp(true)
        .paramLabel("<versionRequested>")
        .descriptionKey("mixinStandardHelpOptions.version")
        .description("Print version information and exit.")
        .type(boolean.class)
        .initialValue(false)
        .getter(bind(() -> requested[1], v -> requested[1] = (Boolean) v))
        .setter(bind(() -> requested[1], v -> requested[1] = (Boolean) v))
        .build());
    spec.addMixin(STANDARD_HELP, mixin);
  }

  /** A boolean option; its label (never shown) is {@code <field>}, as picocli names an annotated field's. */
  private static OptionSpec flag(String name, String field, Supplier<Boolean> get, Consumer<Boolean> set,
      String... description) {
    BoundValue binding = bind(get::get, v -> set.accept((Boolean) v));
    return OptionSpec.builder(name)
        .paramLabel("<" + field + ">")
        .description(description)
        .descriptionKey("") // as an annotation's default
        .type(boolean.class)
        .initialValue(get.get())
        .getter(binding)
        .setter(binding)
        .build();
  }

  private static OptionSpec value(String name, String label, Class<?> type, Supplier<Object> get, Consumer<Object> set,
      String... description) {
    return valueBuilder(name, label, type, get, set, description).build();
  }

  private static OptionSpec.Builder valueBuilder(String name, String label, Class<?> type, Supplier<Object> get,
      Consumer<Object> set, String... description) {
    BoundValue binding = bind(get, set);
    return OptionSpec.builder(name)
        .paramLabel(label)
        .description(description)
        .descriptionKey("") // as an annotation's default
        .type(type)
        .initialValue(get.get())
        .getter(binding)
        .setter(binding);
  }

  private static OptionSpec list(String name, String label, Class<?> element, String split, Supplier<Object> get,
      Consumer<Object> set, String... description) {
    OptionSpec.Builder b = valueBuilder(name, label, List.class, get, set, description).auxiliaryTypes(element);
    if (split != null) {
      b.splitRegex(split);
    }
    return b.build();
  }

  @SuppressWarnings("unchecked")
  private static <T> T cast(Object value) {
    return (T) value;
  }

  private static BoundValue bind(Supplier<?> get, Consumer<Object> set) {
    return new BoundValue(get, set);
  }

  /** A field of a command object as picocli reads and writes it, without reflection. */
  private static final class BoundValue implements CommandLine.Model.IGetter, CommandLine.Model.ISetter {
    private final Supplier<?> get;
    private final Consumer<Object> set;

    BoundValue(Supplier<?> get, Consumer<Object> set) {
      this.get = get;
      this.set = set;
    }

    @Override
    public <T> T get() {
      return cast(get.get());
    }

    @Override
    public <T> T set(T value) {
      T old = cast(get.get());
      set.accept(value);
      return old;
    }
  }
}
