package dev.taskbound.core.cli;

import dev.taskbound.core.ExitCodes;
import dev.taskbound.core.TaskboundException;
import dev.taskbound.core.identity.TaskId;
import dev.taskbound.core.policy.EffectivePolicy;
import dev.taskbound.core.policy.PolicyException;
import dev.taskbound.core.policy.PolicyExplainer;
import dev.taskbound.core.policy.PolicyResolver;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code taskbound policy}: checks policy files and explains the effective policy. A thin adapter
 * over {@link PolicyResolver}; errors print as one line on stderr and exit with {@link
 * ExitCodes#POLICY}.
 */
@Command(
    name = "policy",
    description = "Check policy files and explain the effective policy they give.",
    mixinStandardHelpOptions = true,
    subcommands = {PolicyCommand.Check.class, PolicyCommand.Explain.class})
public final class PolicyCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return ExitCodes.USAGE;
  }

  /** What a subcommand does with its output; a {@link PolicyException} ends it. */
  private interface Body {
    void run(PrintWriter out);
  }

  /** Runs {@code body}; a policy error prints as one line on stderr and gives its exit code. */
  private static int report(CommandSpec spec, Body body) {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    try {
      body.run(out);
      return 0;
    } catch (TaskboundException e) {
      err.println("error: " + e.getMessage());
      return e.exitCode();
    } finally {
      out.flush();
      err.flush();
    }
  }

  /** {@code taskbound policy check [--ceiling FILE] [--profile NAME] [--task ID] FILE...}. */
  @Command(
      name = "check",
      description = {
        "Validate each file, then the merge of all of them (at most one Ceiling and one Task).",
        "With --task, --ceiling and --profile it checks exactly what 'taskbound run' would resolve, starting nothing."
      },
      mixinStandardHelpOptions = true)
  public static final class Check implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Mixin CeilingChoice org = new CeilingChoice();

    private final Map<String, String> env;

    /** A check without host configuration: a github: ceiling then fails for want of a GitHub App. */
    public Check() {
      this(Map.of());
    }

    Check(Map<String, String> env) {
      this.env = Map.copyOf(env);
    }

    @Option(names = "--profile", paramLabel = "NAME", description = "Profile to select (wins over the Task's).")
    String profile;

    @Option(names = "--task", paramLabel = "ID", description = "A task id to validate, as 'taskbound run --task'.")
    String task;

    @Parameters(arity = "1..*", paramLabel = "FILE", description = "Policy files (YAML, one or more documents each).")
    List<Path> files;

    @Override
    public Integer call() {
      return report(spec, out -> {
        if (task != null) {
          TaskId.parse(task);
        }
        boolean github = CeilingOption.github(org.ceiling, org.repositoryCeiling, spec.commandLine()).isPresent();
        List<Path> all = new java.util.ArrayList<>();
        if (org.ceiling != null && !github) {
          all.add(Path.of(org.ceiling));
        }
        all.addAll(files);
        java.util.function.BiConsumer<Path, List<String>> checked =
            (f, kinds) -> out.println("ok: " + f + " (" + String.join(", ", kinds) + ")");
        EffectivePolicy merged;
        if (github) {
          for (Path f : all) {
            checked.accept(f, PolicyResolver.check(f));
          }
          // Narrowing needs every layer at once.
          merged = CeilingOption.resolve(org.ceiling, org.repositoryCeiling, files, Optional.ofNullable(profile),
              env, spec.commandLine(), line -> out.println("ok: " + line));
        } else {
          // Each file is bound once: its form is reported, then every layer is merged.
          merged = PolicyResolver.resolve(all, Optional.ofNullable(profile), checked);
        }
        int layers = all.size() + (github ? 1 : 0);
        if (layers > 1) {
          out.println("ok: merge of " + layers + " files, " + merged.digest());
        }
      });
    }
  }

  /** {@code taskbound policy explain [--profile NAME] [--json] FILE...}. */
  @Command(
      name = "explain",
      description = "Print the effective policy, each value with the file and line it came from, and its digest.",
      mixinStandardHelpOptions = true)
  public static final class Explain implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--profile", paramLabel = "NAME", description = "Profile to select (wins over the Task's).")
    String profile;

    @Option(names = "--json", description = "Print the canonical JSON (as stored in evidence) instead.")
    boolean json;

    @Mixin CeilingChoice org = new CeilingChoice();

    private final Map<String, String> env;

    /** An explain without host configuration: a github: ceiling then fails for want of a GitHub App. */
    public Explain() {
      this(Map.of());
    }

    Explain(Map<String, String> env) {
      this.env = Map.copyOf(env);
    }

    @Parameters(arity = "0..*", paramLabel = "FILE", description = "Policy files; none gives the built-in default.")
    List<Path> files = List.of();

    @Override
    public Integer call() {
      return report(spec, out -> {
        EffectivePolicy p = CeilingOption.resolve(org.ceiling, org.repositoryCeiling, files, Optional.ofNullable(profile), env,
            spec.commandLine(), line -> spec.commandLine().getErr().println("# " + line));
        out.print(json ? p.toCanonicalJson() + "\n" : PolicyExplainer.render(p));
      });
    }
  }

  /** The org ceiling options {@code check} and {@code explain} share with {@code run}. */
  static final class CeilingChoice {
    @Option(
        names = "--ceiling",
        paramLabel = "FILE",
        description = "The org ceiling, as 'taskbound run --ceiling': a file or github:OWNER/.github/taskbound/ceiling.yml.")
    String ceiling;

    @Option(names = "--repository-ceiling", description = "As 'taskbound run --repository-ceiling'.")
    boolean repositoryCeiling;
  }
}
