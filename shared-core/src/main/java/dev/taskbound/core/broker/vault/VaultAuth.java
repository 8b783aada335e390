package dev.taskbound.core.broker.vault;

import dev.taskbound.core.broker.Secret;
import java.util.Objects;

/**
 * How the broker authenticates to Vault. Secret parts are {@link Secret}s read at the host edge
 * (environment or file), never from the command line.
 */
public sealed interface VaultAuth {
  /** A token given to the broker; it is not revoked at teardown (the broker did not create it). */
  record Token(Secret token) implements VaultAuth {
    public Token {
      Objects.requireNonNull(token, "token");
    }
  }

  /** AppRole login: {@code POST /v1/auth/<mount>/login {role_id, secret_id}}. */
  record AppRole(String mount, String roleId, Secret secretId) implements VaultAuth {
    public AppRole {
      mount = VaultAuth.checkMount(mount, "approle");
      if (roleId == null || roleId.isBlank()) {
        throw VaultConnection.invalid("auth.approle.role_id is empty");
      }
      Objects.requireNonNull(secretId, "secretId");
    }
  }

  /**
   * JWT login: {@code POST /v1/auth/<mount>/login {role, jwt}} with a supplied JWT (GitHub's OIDC
   * token, Jenkins' id token); the role must have {@code bound_audiences} (Vault 1.16.3+).
   */
  record Jwt(String mount, String role, Secret jwt) implements VaultAuth {
    public Jwt {
      mount = VaultAuth.checkMount(mount, "jwt");
      if (role == null || role.isBlank()) {
        throw VaultConnection.invalid("auth.jwt.role is empty");
      }
      Objects.requireNonNull(jwt, "jwt");
    }
  }

  private static String checkMount(String mount, String fallback) {
    String m = mount == null || mount.isBlank() ? fallback : mount.strip().replaceAll("^/+|/+$", "");
    if (!m.matches("[A-Za-z0-9._/-]+") || m.contains("..")) {
      throw VaultConnection.invalid("auth mount '" + mount + "' is not a mount path");
    }
    return m;
  }
}
