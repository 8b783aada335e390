package dev.taskbound.core.session;

import dev.taskbound.core.ExitCodes;
import dev.taskbound.core.broker.Secret;
import dev.taskbound.core.broker.registry.RegistryConfig;
import dev.taskbound.core.broker.registry.RegistrySpec;
import dev.taskbound.core.policy.RegistryPolicy;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The session's side of {@code spec.registries}: reads the credentials the policy names from the
 * host environment (at the host edge, once), and wires the written client configuration into the
 * agent's environment. Stateless.
 */
final class RegistryFiles {
  /** Every file {@link RegistryConfig#write} may create, for the teardown handle journalled before it runs. */
  static final List<String> FILE_NAMES =
      List.of(RegistryConfig.NPMRC, RegistryConfig.PIP_CONF, RegistryConfig.MAVEN_SETTINGS, RegistryConfig.GITCONFIG);

  private RegistryFiles() {}

  /**
   * The presets with their credentials read from {@code hostEnvironment}.
   *
   * @throws SessionException (exit 122) naming the preset and the variable, never its value, if a
   *     variable the policy names is unset or empty
   */
  static List<RegistrySpec> resolve(List<RegistryPolicy> policies, Map<String, String> hostEnvironment) {
    List<RegistrySpec> specs = new ArrayList<>();
    for (int i = 0; i < policies.size(); i++) {
      RegistryPolicy p = policies.get(i);
      if (p.kind() == RegistryPolicy.Kind.MODEL) {
        continue; // no client configuration: the gateway injects the key (ModelKeys)
      }
      String where = "registries[" + i + "] (" + p.label() + ")";
      URI url = p.url();
      Optional<RegistrySpec.Credentials> credentials = p.credentials().map(c -> new RegistrySpec.Credentials(
          c.username(), secret(hostEnvironment, c.passwordEnv(), where + " credentials.password")));
      specs.add(switch (p.kind()) {
        case NPM -> new RegistrySpec.Npm(url, p.scope(),
            p.tokenEnv().map(e -> secret(hostEnvironment, e, where + " token")));
        case PYPI -> new RegistrySpec.Pypi(url, credentials);
        case MAVEN -> new RegistrySpec.Maven(p.id().orElseThrow(), url, p.mirrorOf().orElse("central"), credentials);
        case GIT -> new RegistrySpec.Git(url, p.insteadOf());
        case MODEL -> throw new IllegalStateException("model entries are skipped above");
      });
    }
    return List.copyOf(specs);
  }

  private static Secret secret(Map<String, String> env, String name, String where) {
    String value = env.get(name);
    if (value == null || value.isEmpty()) {
      throw new SessionException(where + ": the host environment variable " + name + " is "
          + (value == null ? "not set" : "empty") + "; accepted: set it to the registry's read token before the run",
          ExitCodes.CREDENTIALS);
    }
    return Secret.of(value);
  }

  /** The credentials among {@code specs}, for the session's masker. */
  static List<Secret> secrets(List<RegistrySpec> specs) {
    List<Secret> out = new ArrayList<>();
    for (RegistrySpec s : specs) {
      if (s instanceof RegistrySpec.Npm n) {
        n.token().ifPresent(out::add);
      } else if (s instanceof RegistrySpec.Pypi p) {
        p.credentials().ifPresent(c -> out.add(c.password()));
      } else if (s instanceof RegistrySpec.Maven m) {
        m.credentials().ifPresent(c -> out.add(c.password()));
      }
    }
    return out;
  }

  /**
   * The host environment without the variables the presets read their credentials from: the agent
   * gets the token in the client configuration only, not a second time by inheritance.
   */
  static Map<String, String> withoutCredentialVariables(Map<String, String> host, List<RegistryPolicy> policies) {
    Set<String> names = policies.stream()
        .flatMap(p -> java.util.stream.Stream.concat(p.tokenEnv().stream(),
            p.credentials().map(RegistryPolicy.Credentials::passwordEnv).stream()))
        .collect(Collectors.toSet());
    Map<String, String> out = new TreeMap<>(host);
    out.keySet().removeAll(names);
    return out;
  }

  /**
   * Adds a git {@code include.path} through the {@code GIT_CONFIG_COUNT}/{@code KEY_n}/{@code
   * VALUE_n} variables, after any already in {@code env}, so the user's own git settings stay.
   */
  static void includeGitConfig(Map<String, String> env, Path file) {
    int n = Integer.parseInt(env.getOrDefault("GIT_CONFIG_COUNT", "0"));
    env.put("GIT_CONFIG_KEY_" + n, "include.path");
    env.put("GIT_CONFIG_VALUE_" + n, file.toString());
    env.put("GIT_CONFIG_COUNT", String.valueOf(n + 1));
  }
}
