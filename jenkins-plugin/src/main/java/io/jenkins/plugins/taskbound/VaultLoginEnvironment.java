package io.jenkins.plugins.taskbound;

import edu.umd.cs.findbugs.annotations.CheckForNull;
import edu.umd.cs.findbugs.annotations.NonNull;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The controller's Vault login as the core reads it ({@code CredentialSources}: {@code
 * TASKBOUND_VAULT_AUTH} and its variables), for the process environment of the core the controller
 * runs ({@code credentials issue|revoke}), never a command line or a file. Three logins: a Vault token
 * (secret text), AppRole (username with password), and a JWT (secret text, with a JWT role
 * configured: a JWT the platform team stores, or an id token credential that mints a fresh one per
 * use), so the node never gets a Vault login, only what the login issued. Needs no Jenkins type.
 */
final class VaultLoginEnvironment {
  private VaultLoginEnvironment() {}

  /** A Vault token used as the login ({@code TASKBOUND_VAULT_AUTH=token}). */
  @NonNull
  static Map<String, String> token(@NonNull String token) {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("TASKBOUND_VAULT_AUTH", "token");
    env.put("TASKBOUND_VAULT_TOKEN", token);
    return env;
  }

  /** AppRole ({@code TASKBOUND_VAULT_AUTH=approle}) at {@code mount}, or {@code approle} when null. */
  @NonNull
  static Map<String, String> appRole(@NonNull String roleId, @NonNull String secretId, @CheckForNull String mount) {
    return login("approle", mount, "TASKBOUND_VAULT_ROLE_ID", roleId, "TASKBOUND_VAULT_SECRET_ID", secretId);
  }

  /**
   * JWT login ({@code TASKBOUND_VAULT_AUTH=jwt}) with {@code role} at {@code mount}, or {@code jwt} when
   * null; the JWT itself in {@code TASKBOUND_VAULT_JWT}, never in a file.
   */
  @NonNull
  static Map<String, String> jwt(@NonNull String role, @NonNull String jwt, @CheckForNull String mount) {
    return login("jwt", mount, "TASKBOUND_VAULT_JWT_ROLE", role, "TASKBOUND_VAULT_JWT", jwt);
  }

  /** A login at an auth mount: its kind, its two variables, the mount when not the kind's default. */
  private static Map<String, String> login(String kind, @CheckForNull String mount, String idName, String id,
      String secretName, String secret) {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("TASKBOUND_VAULT_AUTH", kind);
    env.put(idName, id);
    env.put(secretName, secret);
    if (mount != null) {
      env.put("TASKBOUND_VAULT_AUTH_MOUNT", mount);
    }
    return env;
  }
}
