package dev.taskbound.core.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** {@code spec.registries}: its form, its narrowing, and what the effective policy holds. */
class RegistryPolicyTest {
  private static final String HEAD = "apiVersion: taskbound.dev/v1\n";
  private static final String TASK = HEAD + "kind: Task\nspec:\n  registries:\n";
  private static final String CEILING = HEAD + "kind: Ceiling\nspec:\n  registries:\n";
  private static final String NPMJS = "    - {kind: npm, url: 'https://registry.npmjs.org/'}\n";
  private static final String ACME =
      "    - {kind: npm, url: 'https://npm.pkg.github.com/', scope: '@acme', token: {env: NPM_READ_TOKEN}}\n";
  private static final String ORG = CEILING + NPMJS + ACME
      + "    - {kind: pypi, url: 'https://pypi.org/simple', credentials: {username: ci, password: {env: PIP_TOKEN}}}\n"
      + "    - {kind: maven, id: corp, url: 'https://maven.corp.example/releases'}\n"
      + "    - {kind: git, url: 'https://git.mirror.example/github/', insteadOf: ['https://github.com/', 'git@github.com:']}\n";

  private static final String MODEL =
      "    - {kind: model, url: 'https://api.anthropic.com', header: X-Api-Key, token: {env: ANTHROPIC_API_KEY}}\n";

  @TempDir Path dir;

  static Stream<Arguments> rejected() {
    return Stream.of(
        Arguments.of("bad kind", null, TASK + "    - {kind: cargo, url: 'https://crates.example/'}\n",
            "task.yml:5: spec.registries[0].kind: 'cargo' is not accepted; accepted: npm, pypi, maven, git, model"),
        Arguments.of("missing url", null, TASK + "    - {kind: npm}\n",
            "task.yml:5: spec.registries[0].url: missing; a registry needs kind and url"),
        Arguments.of("not a list", null, HEAD + "kind: Task\nspec:\n  registries: {kind: npm}\n",
            "task.yml:4: spec.registries: expected a list of registries, got a mapping"),
        Arguments.of("ftp url", null, TASK + "    - {kind: pypi, url: 'ftp://pypi.example/simple'}\n",
            "task.yml:5: spec.registries[0].url: 'ftp://pypi.example/simple' is not accepted; accepted: an http:// or"
                + " https:// URL with a host, without user info, query or fragment, such as https://registry.npmjs.org/"),
        Arguments.of("url with user info, not echoed", null,
            TASK + "    - {kind: pypi, url: 'https://ci:s3cret@pypi.example/simple'}\n",
            "task.yml:5: spec.registries[0].url: contains user info (not shown); accepted: a URL without user info,"
                + " with the credential in token: {env: NAME} or credentials: {username: NAME, password: {env: NAME}}"),
        Arguments.of("url with user info that is no URI, not echoed", null,
            TASK + "    - {kind: pypi, url: 'https://ci:p^ss@pypi.example/simple'}\n",
            "task.yml:5: spec.registries[0].url: contains user info (not shown); accepted: a URL without user info,"
                + " with the credential in token: {env: NAME} or credentials: {username: NAME, password: {env: NAME}}"),
        Arguments.of("a long url with user info, not echoed", null,
            TASK + "    - {kind: pypi, url: 'https://ci:s3cret@pypi.example/" + "x".repeat(600) + "'}\n",
            "task.yml:5: spec.registries[0].url: contains user info (not shown); accepted: a URL without user info,"
                + " with the credential in token: {env: NAME} or credentials: {username: NAME, password: {env: NAME}}"),
        Arguments.of("the token itself in place of its variable, not echoed", null,
            TASK + "    - {kind: npm, url: 'https://npm.example/', token: npm_SENTINELlivetoken}\n",
            "task.yml:5: spec.registries[0].token: expected {env: NAME}, the host environment variable holding the"
                + " secret, got a string of 21 characters (not shown)"),
        Arguments.of("Taskbound's own key as a registry token", null,
            TASK + "    - {kind: npm, url: 'https://npm.evil.example/', token: {env: TASKBOUND_GITHUB_APP_KEY}}\n",
            "task.yml:5: spec.registries[0].token.env: TASKBOUND_GITHUB_APP_KEY is Taskbound's own host configuration"
                + " and never becomes a registry's credential; accepted: any other variable"),
        Arguments.of("Taskbound's own secret as a registry password", null,
            TASK + "    - kind: maven\n      id: corp\n      url: https://maven.example/\n"
                + "      credentials: {username: ci, password: {env: TASKBOUND_VAULT_SECRET_ID}}\n",
            "task.yml:8: spec.registries[0].credentials.password.env: TASKBOUND_VAULT_SECRET_ID is Taskbound's own host"
                + " configuration and never becomes a registry's credential; accepted: any other variable"),
        Arguments.of("http url with a token", null,
            TASK + "    - {kind: npm, url: 'http://npm.example/', token: {env: NPM_TOKEN}}\n",
            "task.yml:5: spec.registries[0].token: would be sent in clear text to http://npm.example/; accepted: an"
                + " https:// url for a registry with a token"),
        Arguments.of("http url with credentials", null,
            TASK + "    - kind: maven\n      id: corp\n      url: http://maven.example/\n"
                + "      credentials: {username: ci, password: {env: MVN}}\n",
            "task.yml:8: spec.registries[0].credentials: would be sent in clear text to http://maven.example/;"
                + " accepted: an https:// url for a registry with a credentials"),
        Arguments.of("unknown key", null, TASK + "    - {kind: npm, url: 'https://registry.npmjs.org/', scop: '@a'}\n",
            "task.yml:5: spec.registries[0].scop: unknown key; accepted: kind, url, scope, id, mirrorOf, insteadOf,"
                + " token, credentials, header"),
        Arguments.of("model without token", null, TASK + "    - {kind: model, url: 'https://api.anthropic.com'}\n",
            "task.yml:5: spec.registries[0].token: missing; a model registry needs the host variable holding the API"
                + " key, such as token: {env: ANTHROPIC_API_KEY}"),
        Arguments.of("model over plain http", null,
            TASK + "    - {kind: model, url: 'http://api.anthropic.com', token: {env: K}}\n",
            "task.yml:5: spec.registries[0].token: would be sent in clear text to http://api.anthropic.com; accepted: an"
                + " https:// url for a registry with a token"),
        Arguments.of("model header that is no header name", null,
            TASK + "    - {kind: model, url: 'https://api.anthropic.com', header: 'x api key', token: {env: K}}\n",
            "task.yml:5: spec.registries[0].header: 'x api key' is not accepted; accepted: an HTTP header name such as"
                + " x-api-key or authorization"),
        Arguments.of("model key in another header than the ceiling's", CEILING + MODEL,
            TASK + "    - {kind: model, url: 'https://api.anthropic.com', header: authorization,"
                + " token: {env: ANTHROPIC_API_KEY}}\n",
            "task.yml:5: spec.registries[0].header: authorization widens the ceiling (org.yml:5 injects the key in"
                + " x-api-key)"),
        Arguments.of("key of another kind", null,
            TASK + "    - {kind: npm, url: 'https://registry.npmjs.org/', id: corp}\n",
            "task.yml:5: spec.registries[0].id: not accepted for kind: npm; accepted: kind, url, scope, token"),
        Arguments.of("maven without id", null, TASK + "    - {kind: maven, url: 'https://maven.example/'}\n",
            "task.yml:5: spec.registries[0].id: missing; a maven registry needs an id such as corp (its mirror and"
                + " server id)"),
        Arguments.of("git without insteadOf", null, TASK + "    - {kind: git, url: 'https://git.example/'}\n",
            "task.yml:5: spec.registries[0].insteadOf: missing or empty; a git registry needs the URL prefixes it"
                + " replaces, such as [https://github.com/]"),
        Arguments.of("bad scope", null, TASK + "    - {kind: npm, url: 'https://npm.example/', scope: Acme}\n",
            "task.yml:5: spec.registries[0].scope: 'Acme' is not accepted; accepted: an npm scope in lower case such"
                + " as @acme"),
        Arguments.of("token without env", null,
            TASK + "    - {kind: npm, url: 'https://npm.example/', token: {value: abc}}\n",
            "task.yml:5: spec.registries[0].token.value: unknown key; accepted: env"),
        Arguments.of("lower layer registry not in the ceiling", ORG,
            TASK + "    - {kind: npm, url: 'https://npm.evil.example/'}\n",
            "task.yml:5: spec.registries[0]: npm https://npm.evil.example/ widens the ceiling (org.yml:4 grants npm"
                + " https://registry.npmjs.org/, npm https://npm.pkg.github.com/ scope @acme, pypi https://pypi.org/simple,"
                + " maven https://maven.corp.example/releases id corp, git https://git.mirror.example/github/)"),
        Arguments.of("registry under a ceiling that grants none", HEAD + "kind: Ceiling\nspec: {ttl: 1h}\n", TASK + NPMJS,
            "task.yml:5: spec.registries[0]: npm https://registry.npmjs.org/ widens the ceiling (built-in default"
                + " under the Ceiling at org.yml:1 grants no registry)"),
        Arguments.of("scope mismatch", ORG,
            TASK + "    - {kind: npm, url: 'https://npm.pkg.github.com/', scope: '@evil'}\n",
            "task.yml:5: spec.registries[0].scope: @evil widens the ceiling (org.yml:6 grants npm"
                + " https://npm.pkg.github.com/ scope @acme)"),
        Arguments.of("another token variable", ORG,
            TASK + "    - {kind: npm, url: 'https://npm.pkg.github.com/', scope: '@acme', token: {env: AWS_SECRET}}\n",
            "task.yml:5: spec.registries[0].token: env AWS_SECRET widens the ceiling (org.yml:6 reads the token from"
                + " NPM_READ_TOKEN)"),
        Arguments.of("another insteadOf prefix", ORG,
            TASK + "    - {kind: git, url: 'https://git.mirror.example/github/', insteadOf: ['https://gitlab.com/']}\n",
            "task.yml:5: spec.registries[0].insteadOf: https://gitlab.com/ widens the ceiling (org.yml:9 rewrites"
                + " https://github.com/, git@github.com:)"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rejected")
  void rejectsWithSpecificMessage(String name, String org, String task, String expected) throws IOException {
    PolicyTables.assertRejected(dir, name, org, task, expected);
  }

  @Test
  void lowerLayerNarrowsToASubsetWithTheCeilingsValues() throws IOException {
    Path org = Files.writeString(dir.resolve("org.yml"), ORG);
    Path task = Files.writeString(dir.resolve("task.yml"), TASK + ACME
        + "    - {kind: git, url: 'https://git.mirror.example/github/', insteadOf: ['https://github.com/']}\n");

    EffectivePolicy policy = PolicyResolver.resolve(List.of(org, task), Optional.empty());

    assertThat(policy.registries()).containsExactly(
        new RegistryPolicy(RegistryPolicy.Kind.NPM, URI.create("https://npm.pkg.github.com/"), Optional.of("@acme"),
            Optional.empty(), Optional.empty(), List.of(), Optional.of("NPM_READ_TOKEN"), Optional.empty()),
        new RegistryPolicy(RegistryPolicy.Kind.GIT, URI.create("https://git.mirror.example/github/"), Optional.empty(),
            Optional.empty(), Optional.empty(), List.of("https://github.com/"), Optional.empty(), Optional.empty()));
    assertThat(policy.provenanceOf("registries[1]").orElseThrow().toString()).endsWith("task.yml:6");
  }

  @Test
  void aModelKeyNamesItsHeaderInLowerCaseAndDefaultsToAuthorization() throws IOException {
    Path task = Files.writeString(dir.resolve("task.yml"), TASK + MODEL
        + "    - {kind: model, url: 'https://api.openai.com', token: {env: OPENAI_API_KEY}}\n");

    EffectivePolicy policy = PolicyResolver.resolve(List.of(task), Optional.empty());

    assertThat(policy.registries()).extracting(RegistryPolicy::kind, RegistryPolicy::header, RegistryPolicy::tokenEnv)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(RegistryPolicy.Kind.MODEL, Optional.of("x-api-key"),
                Optional.of("ANTHROPIC_API_KEY")),
            org.assertj.core.groups.Tuple.tuple(RegistryPolicy.Kind.MODEL, Optional.of("authorization"),
                Optional.of("OPENAI_API_KEY")));
    assertThat(policy.toCanonicalJson()).contains("\"header\":\"x-api-key\"");
  }

  @Test
  void absentRegistriesInheritTheCeilings() throws IOException {
    Path org = Files.writeString(dir.resolve("org.yml"), ORG);
    Path task = Files.writeString(dir.resolve("task.yml"), HEAD + "kind: Task\nspec: {ttl: 10m}\n");

    EffectivePolicy policy = PolicyResolver.resolve(List.of(org, task), Optional.empty());

    assertThat(policy.registries()).hasSize(5);
    assertThat(policy.registries().get(3).mirrorOf()).contains("central");
    assertThat(policy.registries().get(2).credentials())
        .contains(new RegistryPolicy.Credentials("ci", "PIP_TOKEN"));
  }

  @Test
  void canonicalJsonNamesTheVariablesAndLeavesOtherDigestsAlone() throws IOException {
    Path withRegistries = Files.writeString(dir.resolve("task.yml"), TASK + ACME);
    Path without = Files.writeString(dir.resolve("plain.yml"), HEAD + "kind: Task\n");

    String json = PolicyResolver.resolve(List.of(withRegistries), Optional.empty()).toCanonicalJson();
    String plain = PolicyResolver.resolve(List.of(without), Optional.empty()).toCanonicalJson();

    assertThat(json).contains("\"registries\":[{\"kind\":\"npm\",\"scope\":\"@acme\",\"token\":{\"env\":"
        + "\"NPM_READ_TOKEN\"},\"url\":\"https://npm.pkg.github.com/\"}]");
    assertThat(plain).doesNotContain("registries");
  }
}
