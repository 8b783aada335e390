package dev.taskbound.action;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class VaultInputsTest {

  @Test
  void withoutAVaultUrlConfiguresNothing() {
    VaultInputs vault = VaultInputs.parse(Map.of("INPUT_VAULT-AUTH", "jwt", "INPUT_OIDC-AUDIENCE", "x"));

    assertThat(vault.variables()).isEmpty();
    assertThat(vault.jwt()).isFalse();
    assertThat(vault.oidcAudience()).isEmpty();
  }

  @Test
  void jwtIsTheDefaultAndAsksForTheOidcAudienceGivenElseTheVaultUrl() {
    Map<String, String> env = new HashMap<>(Map.of("INPUT_VAULT-URL", "https://vault.example.com:8200/", "INPUT_VAULT-ROLE", "ci",
        "INPUT_VAULT-AUTH-MOUNT", "jwt-github"));

    VaultInputs byUrl = VaultInputs.parse(env);
    env.put("INPUT_OIDC-AUDIENCE", "sts.example");
    VaultInputs byAudience = VaultInputs.parse(env);

    assertThat(byUrl.variables()).containsExactlyInAnyOrderEntriesOf(Map.of(
        "TASKBOUND_VAULT_ADDR", "https://vault.example.com:8200/", "TASKBOUND_VAULT_AUTH", "jwt",
        "TASKBOUND_VAULT_JWT_ROLE", "ci", "TASKBOUND_VAULT_AUTH_MOUNT", "jwt-github"));
    assertThat(byUrl.oidcAudience()).contains("https://vault.example.com:8200");
    assertThat(byAudience.oidcAudience()).contains("sts.example");
  }

  @Test
  void aTokenLoginHandsTheTokenOverAndNeedsNoOidc() {
    VaultInputs vault = VaultInputs.parse(Map.of("INPUT_VAULT-URL", "http://127.0.0.1:8200", "INPUT_VAULT-AUTH", "token",
        "INPUT_VAULT-TOKEN", "hvs.sentinel", "INPUT_VAULT-NAMESPACE", "admin/team"));

    assertThat(vault.variables()).containsEntry("TASKBOUND_VAULT_TOKEN", "hvs.sentinel")
        .containsEntry("TASKBOUND_VAULT_NAMESPACE", "admin/team").containsEntry("TASKBOUND_VAULT_AUTH", "token");
    assertThat(vault.oidcAudience()).isEqualTo(Optional.empty());
    assertThat(vault.toString()).doesNotContain("hvs.sentinel");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          INPUT_VAULT-AUTH=ldap                              | input 'vault-auth' is 'ldap': accepted are jwt, approle, token
          INPUT_VAULT-AUTH=jwt                               | input 'vault-role' is required with 'vault-auth: jwt': set it to the JWT role bound to this repository, e.g. taskbound-ci
          INPUT_VAULT-AUTH=approle,INPUT_VAULT-ROLE=r        | input 'vault-secret-id' is required with 'vault-auth: approle': set it to the AppRole's secret id, e.g. ${{ secrets.VAULT_SECRET_ID }}
          INPUT_VAULT-AUTH=token                             | input 'vault-token' is required with 'vault-auth: token': set it to a Vault token, e.g. ${{ secrets.VAULT_TOKEN }}
          INPUT_VAULT-ROLE=r,INPUT_VAULT-TOKEN=t             | input 'vault-token' is set but 'vault-auth' is 'jwt', which does not use it: remove it or choose the method that does
          INPUT_VAULT-URL=vault.example,INPUT_VAULT-ROLE=r   | input 'vault-url' is 'vault.example': accepted is an http(s) URL, e.g. https://vault.example.com:8200
          INPUT_VAULT-URL=,INPUT_VAULT-ROLE=r                | input 'vault-role' is set but 'vault-url' is empty: set 'vault-url' to the Vault server, e.g. https://vault.example.com:8200, or remove 'vault-role'
          """)
  void refusesAnIncompleteOrContradictoryVaultLoginNamingTheInput(String given, String message) {
    Map<String, String> env = new HashMap<>(Map.of("INPUT_VAULT-URL", "https://vault.example.com"));
    for (String pair : given.split(",")) {
      String[] kv = pair.split("=", 2);
      env.put(kv[0], kv[1]);
    }

    ActionInputException thrown = assertThrows(ActionInputException.class, () -> VaultInputs.parse(env));

    assertThat(thrown.problems()).containsExactly(message);
  }
}
