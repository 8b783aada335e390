package dev.taskbound.core.broker.github;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.taskbound.core.broker.BrokerException;
import dev.taskbound.core.broker.TestKeys;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class GithubAppKeyTest {
  static final KeyPair KEYS = TestKeys.rsa();

  @Test
  void pkcs1AndPkcs8GiveTheSameKey() {
    GithubAppKey pkcs1 = GithubAppKey.parsePem(TestKeys.pkcs1Pem(KEYS), "a");
    GithubAppKey pkcs8 = GithubAppKey.parsePem(TestKeys.pkcs8Pem(KEYS), "b");

    assertThat(pkcs1.privateKey().getEncoded()).isEqualTo(KEYS.getPrivate().getEncoded());
    assertThat(pkcs8.privateKey().getEncoded()).isEqualTo(KEYS.getPrivate().getEncoded());
  }

  @Test
  void readsFromFileAndEnvironmentAndNamesOnlyTheSource(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("app.pem");
    Files.writeString(file, TestKeys.pkcs1Pem(KEYS));

    GithubAppKey fromFile = GithubAppKey.fromFile(file);
    GithubAppKey fromEnv = GithubAppKey.fromEnvironment("APP_KEY", Map.of("APP_KEY", TestKeys.pkcs8Pem(KEYS)));

    assertThat(fromFile.toString()).isEqualTo("GithubAppKey[file " + file + "]");
    assertThat(fromEnv.toString()).isEqualTo("GithubAppKey[environment variable APP_KEY]");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "not a key | github: read the app private key failed: env: no '-----BEGIN RSA PRIVATE KEY-----' or"
          + " '-----BEGIN PRIVATE KEY-----' block; accepted: an RSA key in PKCS#1 or PKCS#8 PEM",
      "-----BEGIN PRIVATE KEY-----\\nAAAA | github: read the app private key failed: env: the PEM block has no END"
          + " line; accepted: an RSA key in PKCS#1 or PKCS#8 PEM",
      "-----BEGIN PRIVATE KEY-----\\nAAAA\\n-----END PRIVATE KEY----- | github: read the app private key failed: env:"
          + " not an RSA private key; accepted: an RSA key in PKCS#1 or PKCS#8 PEM"})
  void rejectsWhatIsNotAnRsaPrivateKey(String pem, String message) {
    assertThatThrownBy(() -> GithubAppKey.parsePem(pem.replace("\\n", "\n"), "env"))
        .isInstanceOf(BrokerException.class)
        .hasMessage(message);
  }

  @Test
  void unsetVariableIsNamed() {
    assertThatThrownBy(() -> GithubAppKey.fromEnvironment("APP_KEY", Map.of()))
        .isInstanceOf(BrokerException.class)
        .hasMessage("github: read the app private key failed: environment variable APP_KEY is unset or empty;"
            + " set it to the app's PEM private key");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "https://api.github.com | acme/app,acme/lib | contents=read | ",
      "http://ghe.example.com/api/v3 | acme/app | contents=read | apiUrl 'http://ghe.example.com/api/v3' must be https"
          + " (http only for a loopback host)",
      "https://api.github.com | acme/app,other/lib | contents=read | repositories[1] 'other/lib' has owner 'other',"
          + " expected 'acme' (one token covers one owner's installation)",
      "https://api.github.com | acme | contents=read | repositories[0] 'acme' is not 'owner/name' or 'owner/*'",
      "https://api.github.com | acme/app | contents=owner | permissions.contents 'owner' is not one of read, write, admin",
      "https://api.github.com | acme/app | Pull-Requests=read | permissions key 'Pull-Requests' is not a permission"
          + " name (lowercase, '_' between words)"})
  void configValidatesEachField(String api, String repos, String perm, String error) {
    GithubAppKey key = GithubAppKey.parsePem(TestKeys.pkcs8Pem(KEYS), "t");
    String[] kv = perm.split("=");

    Runnable build = () -> new GithubAppConfig("12345", key, URI.create(api), List.of(repos.split(",")), Map.of(kv[0], kv[1]));

    if (error == null) {
      build.run();
    } else {
      assertThatThrownBy(build::run).isInstanceOf(BrokerException.class)
          .hasMessage("github: configure the GitHub App broker failed: " + error);
    }
  }

  @Test
  void gitHostIsGithubComForThePublicApiAndTheServerForGhes() {
    GithubAppKey key = GithubAppKey.parsePem(TestKeys.pkcs8Pem(KEYS), "t");

    GithubAppConfig dotcom = new GithubAppConfig("1", key, GithubAppConfig.GITHUB_COM, List.of("a/b"), Map.of("contents", "read"));
    GithubAppConfig ghes = new GithubAppConfig("1", key, URI.create("https://ghe.example.com/api/v3/"), List.of("a/b"), Map.of("contents", "read"));

    assertThat(dotcom.gitHost()).isEqualTo("github.com");
    assertThat(ghes.gitHost()).isEqualTo("ghe.example.com");
    assertThat(ghes.apiUrl()).hasToString("https://ghe.example.com/api/v3");
  }
}
