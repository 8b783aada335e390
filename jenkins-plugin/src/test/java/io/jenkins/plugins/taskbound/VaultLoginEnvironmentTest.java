package io.jenkins.plugins.taskbound;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The controller's Vault login as the core's environment (the variables {@code CredentialSources}
 * reads; the core's {@code ControllerVaultJwtTest} runs a JWT login from exactly these against a
 * Vault stand-in).
 */
class VaultLoginEnvironmentTest {
  @Test
  void aJwtLoginPassesTheJwtItselfAndItsRoleNeverAFile() {
    Map<String, String> env = VaultLoginEnvironment.jwt("jenkins-controller", "eyJ.SENTINEL.sig", null);

    assertEquals(Map.of("TASKBOUND_VAULT_AUTH", "jwt", "TASKBOUND_VAULT_JWT_ROLE", "jenkins-controller",
        "TASKBOUND_VAULT_JWT", "eyJ.SENTINEL.sig"), env);
  }

  @Test
  void aJwtLoginAtAnotherMountNamesIt() {
    Map<String, String> env = VaultLoginEnvironment.jwt("ci", "eyJ.SENTINEL.sig", "jenkins-jwt");

    assertEquals("jenkins-jwt", env.get("TASKBOUND_VAULT_AUTH_MOUNT"));
  }

  @Test
  void tokenAndAppRoleLoginsKeepTheirVariables() {
    assertEquals(Map.of("TASKBOUND_VAULT_AUTH", "token", "TASKBOUND_VAULT_TOKEN", "hvs.SENTINEL"),
        VaultLoginEnvironment.token("hvs.SENTINEL"));
    assertEquals(Map.of("TASKBOUND_VAULT_AUTH", "approle", "TASKBOUND_VAULT_ROLE_ID", "role-1",
        "TASKBOUND_VAULT_SECRET_ID", "SENTINEL-secret-id", "TASKBOUND_VAULT_AUTH_MOUNT", "ci-approle"),
        VaultLoginEnvironment.appRole("role-1", "SENTINEL-secret-id", "ci-approle"));
  }
}
