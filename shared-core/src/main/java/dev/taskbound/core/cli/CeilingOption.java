package dev.taskbound.core.cli;

import dev.taskbound.core.policy.EffectivePolicy;
import dev.taskbound.core.policy.GithubPolicyLocation;
import dev.taskbound.core.policy.PolicyResolver;
import dev.taskbound.core.session.CredentialSources;
import dev.taskbound.core.session.OrgCeiling;
import dev.taskbound.core.session.SessionSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine;

/**
 * The {@code --ceiling} value of {@code run}, {@code policy check} and {@code policy explain}: a
 * local file, or {@code github:OWNER/.github/taskbound/ceiling.yml} read with the host's GitHub App
 * ({@link OrgCeiling}); and {@code --repository-ceiling}, which only a {@code github:} ceiling takes.
 * Stateless.
 */
final class CeilingOption {
  private CeilingOption() {}

  /** Adds the ceiling to a session spec: a file as the first policy file, a GitHub location as the org ceiling. */
  static void apply(String source, boolean repositoryCeiling, SessionSpec.Builder b, CommandLine usage) {
    Optional<GithubPolicyLocation> github = github(source, repositoryCeiling, usage);
    if (github.isPresent()) {
      b.orgCeiling(github.get()).repositoryCeiling(repositoryCeiling);
    } else if (source != null && !source.isBlank()) {
      b.policyFile(Path.of(source));
    }
  }

  /** The GitHub location {@code source} names, if it names one. */
  static Optional<GithubPolicyLocation> github(String source, boolean repositoryCeiling, CommandLine usage) {
    boolean github = source != null && GithubPolicyLocation.isGithub(source);
    if (repositoryCeiling && !github) {
      throw new CommandLine.ParameterException(usage, "--repository-ceiling: only with --ceiling"
          + " github:OWNER/.github/taskbound/ceiling.yml, whose org ceiling decides whether a repository Ceiling"
          + " is accepted; without an org ceiling a Ceiling in the policy files applies as it is");
    }
    return github ? Optional.of(GithubPolicyLocation.parse(source)) : Optional.empty();
  }

  /**
   * Where {@code policy check} and {@code explain} journal the org ceiling's read token: the session
   * root {@code run} would use ({@code TASKBOUND_SESSION_ROOT}, else {@code $TASKBOUND_HOME/sessions},
   * else the default).
   */
  static Path sessionRoot(Map<String, String> env) {
    String root = env.get("TASKBOUND_SESSION_ROOT");
    if (root != null && !root.isBlank()) {
      return Path.of(root);
    }
    String home = env.get("TASKBOUND_HOME");
    if (home != null && !home.isBlank()) {
      return Path.of(home, "sessions");
    }
    return dev.taskbound.core.session.SessionLayout.defaultSessionRoot(env, System.getProperty("user.home"));
  }

  /**
   * For {@code policy check} and {@code explain}: resolves {@code files} under the ceiling the way
   * {@code run} would, telling {@code report} one line about a GitHub ceiling (read or missing).
   */
  static EffectivePolicy resolve(String source, boolean repositoryCeiling, List<Path> files, Optional<String> profile,
      Map<String, String> env, CommandLine usage, java.util.function.Consumer<String> report) {
    Optional<GithubPolicyLocation> github = github(source, repositoryCeiling, usage);
    if (github.isEmpty()) {
      List<Path> all = new ArrayList<>();
      if (source != null && !source.isBlank()) {
        all.add(Path.of(source));
      }
      all.addAll(files);
      return PolicyResolver.resolve(all, profile);
    }
    OrgCeiling org = OrgCeiling.read(github.get(), CredentialSources.fromEnvironment(env), repositoryCeiling,
        sessionRoot(env));
    report.accept(org.describe());
    return org.resolve(files, profile);
  }
}
