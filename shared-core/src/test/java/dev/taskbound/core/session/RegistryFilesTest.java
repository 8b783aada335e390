package dev.taskbound.core.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.taskbound.core.ExitCodes;
import dev.taskbound.core.broker.registry.RegistrySpec;
import dev.taskbound.core.policy.RegistryPolicy;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The session's side of spec.registries: host variables in, agent environment out. */
class RegistryFilesTest {
  private static final RegistryPolicy ACME = new RegistryPolicy(RegistryPolicy.Kind.NPM,
      URI.create("https://npm.pkg.github.com/"), Optional.of("@acme"), Optional.empty(), Optional.empty(), List.of(),
      Optional.of("NPM_READ_TOKEN"), Optional.empty());
  private static final RegistryPolicy CORP = new RegistryPolicy(RegistryPolicy.Kind.MAVEN,
      URI.create("https://maven.corp.example/releases"), Optional.empty(), Optional.of("corp"), Optional.of("central"),
      List.of(), Optional.empty(), Optional.of(new RegistryPolicy.Credentials("reader", "MAVEN_READ_TOKEN")));

  @TempDir Path dir;

  @Test
  void readsTheNamedHostVariablesIntoSecretsForTheMasker() {
    Map<String, String> host = Map.of("NPM_READ_TOKEN", "npm-value", "MAVEN_READ_TOKEN", "mvn-value");

    List<RegistrySpec> specs = RegistryFiles.resolve(List.of(ACME, CORP), host);

    assertThat(RegistryFiles.secrets(specs)).extracting(s -> s.reveal()).containsExactly("npm-value", "mvn-value");
    assertThat(specs.toString()).doesNotContain("npm-value").doesNotContain("mvn-value");
  }

  @Test
  void anEmptyVariableIsAnErrorNamingItButNoValue() {
    SessionException e = catchThrowableOfType(
        () -> RegistryFiles.resolve(List.of(ACME, CORP), Map.of("NPM_READ_TOKEN", "x", "MAVEN_READ_TOKEN", "")),
        SessionException.class);

    assertThat(e.getMessage()).isEqualTo("registries[1] (maven https://maven.corp.example/releases id corp)"
        + " credentials.password: the host environment variable MAVEN_READ_TOKEN is empty; accepted: set it to the"
        + " registry's read token before the run");
    assertThat(e.exitCode()).isEqualTo(ExitCodes.CREDENTIALS);
  }

  @Test
  void theCredentialVariablesAreNotInheritedByTheAgent() {
    Map<String, String> host = Map.of("NPM_READ_TOKEN", "a", "MAVEN_READ_TOKEN", "b", "PATH", "/bin");

    Map<String, String> kept = RegistryFiles.withoutCredentialVariables(host, List.of(ACME, CORP));

    assertThat(kept).containsOnlyKeys("PATH");
  }

  @Test
  void gitReadsBothIncludesWhenTheCredentialHelperIsAlreadyIncluded() throws Exception {
    Path helper = Files.writeString(dir.resolve("github.gitconfig"), "[credential]\n\thelper = taskbound-test\n");
    Path registries = Files.writeString(dir.resolve(".gitconfig"),
        "[url \"https://git.mirror.example/github/\"]\n\tinsteadOf = https://github.com/\n");
    Map<String, String> env = new TreeMap<>();
    RegistryFiles.includeGitConfig(env, helper);

    RegistryFiles.includeGitConfig(env, registries);

    assertThat(env).containsEntry("GIT_CONFIG_COUNT", "2").containsEntry("GIT_CONFIG_KEY_1", "include.path")
        .containsEntry("GIT_CONFIG_VALUE_1", registries.toString());
    assertThat(git(env, "credential.helper")).isEqualTo("taskbound-test");
    assertThat(git(env, "url.https://git.mirror.example/github/.insteadof")).isEqualTo("https://github.com/");
  }

  private String git(Map<String, String> env, String key) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder("git", "config", "--get", key).directory(dir.toFile())
        .redirectErrorStream(true);
    pb.environment().putAll(env);
    pb.environment().put("HOME", dir.toString());
    pb.environment().put("GIT_CONFIG_NOSYSTEM", "1");
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    return out;
  }
}
