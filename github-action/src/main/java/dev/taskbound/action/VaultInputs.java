package dev.taskbound.action;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The Vault inputs ({@code vault-url}, {@code vault-namespace}, {@code vault-auth}, {@code
 * vault-role}, {@code vault-auth-mount}, {@code vault-secret-id}, {@code vault-token}) checked
 * together and mapped onto the core's Vault configuration variables ({@code TASKBOUND_VAULT_*},
 * docs/credentials.md). With {@code vault-auth: jwt} the action fetches the job's OIDC token itself
 * for {@link #oidcAudience()} and names the file to the core; the variables here never reach the
 * agent (the core keeps {@code TASKBOUND_*} for itself).
 *
 * @param variables the core variables to set, in a stable order; empty without {@code vault-url}
 * @param jwt whether the login is JWT with the job's OIDC token
 * @param oidcAudience the audience to request the OIDC token for: {@code oidc-audience}, else the
 *     Vault URL (the usual {@code bound_audiences} value); empty unless {@code jwt}
 */
record VaultInputs(Map<String, String> variables, boolean jwt, Optional<String> oidcAudience) {
  /** The login methods the core's Vault broker offers. */
  static final List<String> METHODS = List.of("jwt", "approle", "token");

  /** Every Vault input, for stripping the {@code INPUT_} variables from the core's environment. */
  static final Set<String> NAMES = Set.of("vault-url", "vault-namespace", "vault-auth", "vault-role",
      "vault-auth-mount", "vault-secret-id", "vault-token");

  VaultInputs {
    variables = Map.copyOf(variables);
  }

  /**
   * Reads the Vault inputs.
   *
   * @throws ActionInputException listing every missing, unknown or contradictory input, one line each
   */
  static VaultInputs parse(Map<String, String> env) {
    Optional<String> url = input(env, "vault-url");
    List<String> problems = new ArrayList<>();
    if (url.isEmpty()) {
      for (String name : List.of("vault-namespace", "vault-role", "vault-auth-mount", "vault-secret-id", "vault-token")) {
        if (input(env, name).isPresent()) {
          problems.add("input '" + name + "' is set but 'vault-url' is empty: set 'vault-url' to the Vault server,"
              + " e.g. https://vault.example.com:8200, or remove '" + name + "'");
        }
      }
      throwIfAny(problems);
      return new VaultInputs(Map.of(), false, Optional.empty());
    }
    if (!url.get().startsWith("https://") && !url.get().startsWith("http://")) {
      problems.add("input 'vault-url' is '" + url.get() + "': accepted is an http(s) URL, e.g. https://vault.example.com:8200");
    }
    String method = input(env, "vault-auth").orElse("jwt");
    Map<String, String> variables = new LinkedHashMap<>();
    variables.put("TASKBOUND_VAULT_ADDR", url.get());
    input(env, "vault-namespace").ifPresent(ns -> variables.put("TASKBOUND_VAULT_NAMESPACE", ns));
    input(env, "vault-auth-mount").ifPresent(m -> variables.put("TASKBOUND_VAULT_AUTH_MOUNT", m));
    if (!METHODS.contains(method)) {
      problems.add("input 'vault-auth' is '" + method + "': accepted are " + String.join(", ", METHODS));
      throwIfAny(problems);
    }
    variables.put("TASKBOUND_VAULT_AUTH", method);
    Optional<String> role = input(env, "vault-role");
    Optional<String> secretId = input(env, "vault-secret-id");
    Optional<String> token = input(env, "vault-token");
    switch (method) {
      case "jwt" -> {
        require(problems, role, "vault-role", method, "the JWT role bound to this repository, e.g. taskbound-ci");
        refuse(problems, secretId, "vault-secret-id", method);
        refuse(problems, token, "vault-token", method);
        role.ifPresent(r -> variables.put("TASKBOUND_VAULT_JWT_ROLE", r));
      }
      case "approle" -> {
        require(problems, role, "vault-role", method, "the AppRole's role id");
        require(problems, secretId, "vault-secret-id", method, "the AppRole's secret id, e.g. ${{ secrets.VAULT_SECRET_ID }}");
        refuse(problems, token, "vault-token", method);
        role.ifPresent(r -> variables.put("TASKBOUND_VAULT_ROLE_ID", r));
        secretId.ifPresent(s -> variables.put("TASKBOUND_VAULT_SECRET_ID", s));
      }
      default -> {
        require(problems, token, "vault-token", method, "a Vault token, e.g. ${{ secrets.VAULT_TOKEN }}");
        refuse(problems, role, "vault-role", method);
        refuse(problems, secretId, "vault-secret-id", method);
        token.ifPresent(t -> variables.put("TASKBOUND_VAULT_TOKEN", t));
      }
    }
    throwIfAny(problems);
    boolean jwt = method.equals("jwt");
    Optional<String> audience = jwt ? input(env, "oidc-audience").or(() -> url.map(u -> u.replaceAll("/+$", ""))) : Optional.empty();
    return new VaultInputs(variables, jwt, audience);
  }

  private static void require(List<String> problems, Optional<String> value, String name, String method, String what) {
    if (value.isEmpty()) {
      problems.add("input '" + name + "' is required with 'vault-auth: " + method + "': set it to " + what);
    }
  }

  private static void refuse(List<String> problems, Optional<String> value, String name, String method) {
    if (value.isPresent()) {
      problems.add("input '" + name + "' is set but 'vault-auth' is '" + method + "', which does not use it:"
          + " remove it or choose the method that does");
    }
  }

  private static void throwIfAny(List<String> problems) {
    if (!problems.isEmpty()) {
      throw new ActionInputException(problems);
    }
  }

  private static Optional<String> input(Map<String, String> env, String name) {
    return Optional.ofNullable(env.get(ActionInputs.variableFor(name))).map(String::strip).filter(s -> !s.isEmpty());
  }

  @Override
  public String toString() {
    // The secret id and token come from the workflow's secrets: never in a message.
    return "VaultInputs[variables=" + variables.keySet() + ", jwt=" + jwt + ", oidcAudience=" + oidcAudience + "]";
  }
}
