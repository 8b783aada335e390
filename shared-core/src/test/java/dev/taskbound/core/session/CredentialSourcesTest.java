package dev.taskbound.core.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.taskbound.core.ExitCodes;
import dev.taskbound.core.broker.BrokerException;
import dev.taskbound.core.broker.TestKeys;
import dev.taskbound.core.broker.vault.VaultAuth;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Host configuration of the brokers, read from the environment at the host edge. */
class CredentialSourcesTest {
  private static final String SECRET = "SENTINEL-host-secret";

  @TempDir Path dir;

  static Stream<Arguments> rejected() {
    return Stream.of(
        Arguments.of(Map.of("TASKBOUND_GITHUB_APP_KEY", "x"),
            "github: read the GitHub App configuration failed: TASKBOUND_GITHUB_APP_ID is not set (a GitHub App key"
                + " is); set it to the App's id or client id"),
        Arguments.of(Map.of("TASKBOUND_GITHUB_APP_ID", "1"),
            "github: read the GitHub App configuration failed: no App private key: set TASKBOUND_GITHUB_APP_KEY_FILE"
                + " to a PEM file or TASKBOUND_GITHUB_APP_KEY to the PEM"),
        Arguments.of(Map.of("TASKBOUND_GITHUB_APP_ID", "1", "TASKBOUND_GITHUB_APP_KEY", SECRET,
                "TASKBOUND_GITHUB_APP_KEY_FILE", "/k.pem"),
            "github: read the GitHub App configuration failed: both TASKBOUND_GITHUB_APP_KEY_FILE and"
                + " TASKBOUND_GITHUB_APP_KEY are set; accepted: exactly one"),
        Arguments.of(Map.of("TASKBOUND_VAULT_TOKEN", SECRET),
            "vault: read the Vault configuration failed: TASKBOUND_VAULT_ADDR is not set (other TASKBOUND_VAULT_*"
                + " variables are); set it to e.g. https://vault.example.com:8200"),
        Arguments.of(Map.of("TASKBOUND_VAULT_ADDR", "https://vault.test"),
            "vault: read the Vault configuration failed: TASKBOUND_VAULT_TOKEN is not set; TASKBOUND_VAULT_AUTH=token"
                + " needs it"),
        Arguments.of(Map.of("TASKBOUND_VAULT_ADDR", "https://vault.test", "TASKBOUND_VAULT_AUTH", "ldap"),
            "vault: read the Vault configuration failed: TASKBOUND_VAULT_AUTH 'ldap' is not accepted; accepted:"
                + " token, approle, jwt"),
        Arguments.of(Map.of("TASKBOUND_VAULT_ADDR", "https://vault.test", "TASKBOUND_VAULT_AUTH", "approle",
                "TASKBOUND_VAULT_SECRET_ID", SECRET),
            "vault: read the Vault configuration failed: TASKBOUND_VAULT_ROLE_ID is not set;"
                + " TASKBOUND_VAULT_AUTH=approle needs it"),
        Arguments.of(Map.of("TASKBOUND_VAULT_ADDR", "https://vault.test", "TASKBOUND_VAULT_AUTH", "jwt",
                "TASKBOUND_VAULT_JWT_ROLE", "ci"),
            "vault: read the Vault configuration failed: neither TASKBOUND_VAULT_JWT nor TASKBOUND_VAULT_JWT_FILE is"
                + " set; TASKBOUND_VAULT_AUTH=jwt needs one"),
        Arguments.of(Map.of("TASKBOUND_VAULT_ADDR", "https://vault.test", "TASKBOUND_VAULT_AUTH", "jwt",
                "TASKBOUND_VAULT_JWT_ROLE", "ci", "TASKBOUND_VAULT_JWT", SECRET, "TASKBOUND_VAULT_JWT_FILE", "/run/jwt"),
            "vault: read the Vault configuration failed: both TASKBOUND_VAULT_JWT and TASKBOUND_VAULT_JWT_FILE are set;"
                + " accepted: one of them"),
        Arguments.of(Map.of("TASKBOUND_VAULT_ADDR", "http://vault.test", "TASKBOUND_VAULT_TOKEN", SECRET),
            "vault: configure the Vault broker failed: address 'http://vault.test' must be https (http only for a"
                + " loopback host)"));
  }

  @ParameterizedTest
  @MethodSource("rejected")
  void rejectsIncompleteHostConfigurationNamingTheVariable(Map<String, String> env, String expected) {
    BrokerException e = catchThrowableOfType(() -> CredentialSources.fromEnvironment(env), BrokerException.class);

    assertThat(e).isNotNull();
    assertThat(e.getMessage()).isEqualTo(expected).doesNotContain(SECRET);
    assertThat(e.exitCode()).isEqualTo(ExitCodes.CREDENTIALS);
  }

  @Test
  void nothingSetMeansNothingConfigured() {
    CredentialSources sources = CredentialSources.fromEnvironment(Map.of("PATH", "/bin", "TASKBOUND_HOME", "/x"));

    assertThat(sources).isEqualTo(CredentialSources.NONE);
  }

  @Test
  void readsTheAppKeyFromAFileAndTheJwtFromAFileWithoutPrintingEither() throws IOException {
    Path key = Files.writeString(dir.resolve("app.pem"), TestKeys.pkcs1Pem(TestKeys.rsa()));
    Path jwt = Files.writeString(dir.resolve("jwt"), SECRET + "\n");
    Map<String, String> env = new HashMap<>();
    env.put("TASKBOUND_GITHUB_APP_ID", "12345");
    env.put("TASKBOUND_GITHUB_APP_KEY_FILE", key.toString());
    env.put("TASKBOUND_GITHUB_API_URL", "https://ghes.example.com/api/v3");
    env.put("TASKBOUND_VAULT_ADDR", "https://vault.example.com:8200");
    env.put("TASKBOUND_VAULT_NAMESPACE", "team-a");
    env.put("TASKBOUND_VAULT_AUTH", "jwt");
    env.put("TASKBOUND_VAULT_JWT_ROLE", "taskbound-ci");
    env.put("TASKBOUND_VAULT_JWT_FILE", jwt.toString());

    CredentialSources sources = CredentialSources.fromEnvironment(env);

    assertThat(sources.github().orElseThrow().apiUrl()).hasToString("https://ghes.example.com/api/v3");
    VaultAuth.Jwt auth = (VaultAuth.Jwt) sources.vault().orElseThrow().auth();
    assertThat(auth.mount()).isEqualTo("jwt");
    assertThat(auth.jwt().reveal()).isEqualTo(SECRET);
    assertThat(sources.vault().get().connection().namespace()).contains("team-a");
    assertThat(sources.toString()).doesNotContain(SECRET).contains("app 12345").contains("(jwt)");
  }

  @Test
  void aJwtHeldInMemoryComesInTheEnvironmentWithNoFile() {
    CredentialSources sources = CredentialSources.fromEnvironment(Map.of("TASKBOUND_VAULT_ADDR", "https://vault.test",
        "TASKBOUND_VAULT_AUTH", "jwt", "TASKBOUND_VAULT_JWT_ROLE", "jenkins-controller", "TASKBOUND_VAULT_JWT",
        SECRET + "\n"));

    VaultAuth.Jwt auth = (VaultAuth.Jwt) sources.vault().orElseThrow().auth();

    assertThat(auth.role()).isEqualTo("jenkins-controller");
    assertThat(auth.jwt().reveal()).isEqualTo(SECRET);
    assertThat(sources.toString()).doesNotContain(SECRET);
  }
}
