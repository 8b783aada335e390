package dev.taskbound.core.policy;

import java.net.URI;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One package-registry preset of {@code spec.registries}: which registry a client is pointed at,
 * and which host environment variables hold its read credential. The policy names the variables
 * only; the session reads their values at the host edge. Immutable and thread-safe.
 *
 * @param kind which client the preset configures
 * @param url the registry's http(s) URL, without user info, query or fragment
 * @param scope {@code @name} whose npm packages come from this registry; empty for the default
 *     registry and for other kinds
 * @param id the Maven mirror's (and server's) id; present exactly for {@code maven}
 * @param mirrorOf what the Maven mirror replaces ({@code central} when not written); empty for
 *     other kinds
 * @param insteadOf the URL prefixes git rewrites to {@code url}; empty for other kinds
 * @param tokenEnv the host variable holding an npm read token ({@code token: {env: NAME}})
 * @param credentials a username and the host variable holding the password (pypi, maven)
 * @param header for {@code model}: the lower-case request header the API key travels in
 *     ({@code x-api-key}, or {@code authorization} for {@code Bearer}); empty for other kinds
 */
public record RegistryPolicy(
    Kind kind, URI url, Optional<String> scope, Optional<String> id, Optional<String> mirrorOf,
    List<String> insteadOf, Optional<String> tokenEnv, Optional<Credentials> credentials, Optional<String> header) {

  /** The package client a preset configures. */
  public enum Kind {
    NPM, PYPI, MAVEN, GIT,
    /**
     * A model API's key (issue 15): never a client configuration; the agent gets a placeholder in
     * the variable the policy names, and the inspecting gateway injects the key in the named header.
     */
    MODEL;

    /** {@code npm}, {@code pypi}, {@code maven}, {@code git}, {@code model}. */
    public String yamlName() {
      return PolicyEnums.yamlName(this);
    }
  }

  /**
   * A registry login: the username as written, the password by host variable name.
   *
   * @param username the user name, written into the client configuration
   * @param passwordEnv the host environment variable whose value is the password or token
   */
  public record Credentials(String username, String passwordEnv) {
    public Credentials {
      Objects.requireNonNull(username, "username");
      requireNotHostConfiguration(Objects.requireNonNull(passwordEnv, "passwordEnv"));
    }
  }

  /**
   * Taskbound's own host configuration ({@code TASKBOUND_GITHUB_APP_KEY}, Vault's secret id and
   * token): never a registry's credential, which the agent's client sends to the registry's host.
   */
  public static final String HOST_CONFIGURATION_PREFIX = "TASKBOUND_";

  private static void requireNotHostConfiguration(String variable) {
    if (variable.startsWith(HOST_CONFIGURATION_PREFIX)) {
      throw new IllegalArgumentException(variable + " is Taskbound's own host configuration, never a registry's credential");
    }
  }

  public RegistryPolicy {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(url, "url");
    Objects.requireNonNull(tokenEnv, "tokenEnv").ifPresent(RegistryPolicy::requireNotHostConfiguration);
    Objects.requireNonNull(scope, "scope");
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(mirrorOf, "mirrorOf");
    insteadOf = List.copyOf(insteadOf);
    Objects.requireNonNull(tokenEnv, "tokenEnv");
    Objects.requireNonNull(credentials, "credentials");
    Objects.requireNonNull(header, "header");
  }

  /** A preset of a kind other than {@code model}: no header. */
  public RegistryPolicy(Kind kind, URI url, Optional<String> scope, Optional<String> id, Optional<String> mirrorOf,
      List<String> insteadOf, Optional<String> tokenEnv, Optional<Credentials> credentials) {
    this(kind, url, scope, id, mirrorOf, insteadOf, tokenEnv, credentials, Optional.empty());
  }

  /** {@code kind url}, plus the scope or id: how messages name the preset. */
  public String label() {
    return kind.yamlName() + " " + url + scope.map(s -> " scope " + s).orElse("") + id.map(i -> " id " + i).orElse("");
  }
}
