package dev.taskbound.core.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.taskbound.core.TaskboundException;
import dev.taskbound.core.broker.IssuedCredential;
import dev.taskbound.core.broker.Secret;
import dev.taskbound.core.policy.EffectivePolicy;
import dev.taskbound.core.policy.PolicyResolver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The hand-off file between {@code credentials issue} and {@code session start --credentials-handoff}. */
class CredentialHandoffTest {
  private static final String TOKEN = "ghs_SENTINELhandoffTOKEN";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String API = "http://127.0.0.1:9/api";

  @TempDir Path dir;

  @Test
  void aWrittenHandoffIsOwnerOnlyAndIsReadOnceThenDeleted() throws Exception {
    Path file = dir.resolve("handoff.json");
    CredentialHandoff.write(file, List.of(github("read")));

    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
    CredentialHandoff taken = CredentialHandoff.take(file);

    assertThat(file).doesNotExist();
    IssuedCredential c = taken.entries().get(0).credential();
    assertThat(c.value().reveal()).isEqualTo(TOKEN);
    assertThat(c.environment()).containsEntry("GH_TOKEN", TOKEN);
    assertThat(taken.entries().get(0).apiUrl()).contains("http://127.0.0.1:9/api");
    assertThat(taken.toString()).doesNotContain(TOKEN);
    assertThatThrownBy(() -> CredentialHandoff.take(file)).isInstanceOf(TaskboundException.class)
        .hasMessageContaining("does not exist");
  }

  @Test
  void aHandoffOthersCanReadIsRefusedAndStillDeleted() throws Exception {
    Path file = dir.resolve("handoff.json");
    CredentialHandoff.write(file, List.of(github("read")));
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));

    assertThatThrownBy(() -> CredentialHandoff.take(file)).isInstanceOf(TaskboundException.class)
        .hasMessageContaining("rw-r--r--").hasMessageContaining("0600")
        .satisfies(e -> assertThat(((TaskboundException) e).exitCode()).isEqualTo(122))
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain(TOKEN));
    assertThat(file).doesNotExist();
  }

  @Test
  void aHandoffAnotherUserOwnsIsRefusedWhateverItsModeAndStillDeleted() throws Exception {
    // Given: a well-formed 0600 hand-off that another user (uid 65534) owns, so chose the content of.
    org.junit.jupiter.api.Assumptions.assumeTrue(
        "0".equals(String.valueOf(Files.getAttribute(Files.createTempFile(dir, "uid", ""), "unix:uid"))), "chown needs root");
    Path file = dir.resolve("handoff.json");
    CredentialHandoff.write(file, List.of(github("read")));
    Files.setAttribute(file, "unix:uid", 65534);

    // Then: it is refused for its owner, and deleted.
    assertThatThrownBy(() -> CredentialHandoff.take(file)).isInstanceOf(TaskboundException.class)
        .hasMessageContaining("owned by uid 65534").hasMessageContaining("uid 0")
        .satisfies(e -> assertThat(((TaskboundException) e).exitCode()).isEqualTo(122));
    assertThat(file).doesNotExist();
  }

  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(strings = {"/tmp/PWNED-by-handoff", "../escaped", "..", "a/b", "."})
  void aCredentialFileNameThatIsNotOnePlainNameIsRefused(String name) throws Exception {
    // Given: a hand-off the issuer would never write, written by hand.
    com.fasterxml.jackson.databind.node.ObjectNode credential = JSON.createObjectNode().put("name", "github")
        .put("kind", "github-token").put("value", TOKEN).put("api_url", API);
    credential.putObject("environment").put("GH_TOKEN", TOKEN);
    credential.putObject("files").put(name, "x");
    credential.putObject("scope");
    Path file = writeRaw(credential);

    assertThatThrownBy(() -> CredentialHandoff.take(file)).isInstanceOf(TaskboundException.class)
        .hasMessageContaining("credentials[0].files").hasMessageContaining("accepted: one file name");
    assertThat(file).doesNotExist();
  }

  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(strings = {".on-request/signing", "../escaped", "..", "a/b", "."})
  void theIssuerNeverWritesAHandoffWithAFileNameTheSessionWouldRefuse(String name) {
    Path file = dir.resolve("handoff.json");
    CredentialHandoff.Entry entry = new CredentialHandoff.Entry(new IssuedCredential("signing", "vault-secret",
        Secret.of("SENTINEL-value"), Optional.empty(), Map.of(), Map.of(name, Secret.of("SENTINEL-value"))),
        JSON.createObjectNode(), Optional.empty());

    Throwable refused = org.assertj.core.api.Assertions.catchThrowable(() -> CredentialHandoff.write(file, List.of(entry)));

    assertThat(refused).isInstanceOf(TaskboundException.class)
        .hasMessageStartingWith("handoff: write the credential hand-off to " + file + " failed: credentials[0]"
            + " ('signing').files has the name ")
        .hasMessageEndingWith("; accepted: one file name of [A-Za-z0-9._-], at most 128, not . or .. (no '/');"
            + " the session would refuse it, so nothing is handed off")
        .hasMessageNotContaining("SENTINEL-value");
    assertThat(((TaskboundException) refused).exitCode()).isEqualTo(122);
    assertThat(file).doesNotExist();
  }

  @Test
  void aHandoffNamingAnotherGithubApiThanThisHostsIsRefused() throws Exception {
    Path file = dir.resolve("handoff.json");
    CredentialHandoff.write(file, List.of(github("read")));
    CredentialHandoff taken = CredentialHandoff.take(file);

    assertThatThrownBy(() -> CredentialPlan.handedOff(policy(), taken, CredentialSources.NONE,
        CredentialPlan.hostGithubApi(Map.of())))
        .isInstanceOf(TaskboundException.class).hasMessageContaining("names the GitHub API")
        .hasMessageContaining("https://api.github.com");
    assertThat(CredentialPlan.handedOff(policy(), taken, CredentialSources.NONE,
        CredentialPlan.hostGithubApi(Map.of("TASKBOUND_GITHUB_API_URL", API + "/"))).isEmpty()).isFalse();
  }

  @Test
  void aLinkInPlaceOfTheHandoffIsRefused() throws Exception {
    Path real = dir.resolve("real.json");
    CredentialHandoff.write(real, List.of(github("read")));
    Path link = Files.createSymbolicLink(dir.resolve("handoff.json"), real);

    assertThatThrownBy(() -> CredentialHandoff.take(link)).isInstanceOf(TaskboundException.class)
        .hasMessageContaining("not a regular file");
    assertThat(real).exists();
  }

  @Test
  void anExistingFileIsNeverOverwritten() throws Exception {
    Path file = Files.writeString(dir.resolve("handoff.json"), "keep");

    assertThatThrownBy(() -> CredentialHandoff.write(file, List.of(github("read"))))
        .isInstanceOf(TaskboundException.class).hasMessageContaining("already exists");
    assertThat(file).hasContent("keep");
  }

  @Test
  void thePlanAcceptsAHandoffWithThePolicysScopeAndRefusesAWiderOne() throws Exception {
    EffectivePolicy policy = policy();
    Path ok = dir.resolve("ok.json");
    CredentialHandoff.write(ok, List.of(github("read")));
    Path wider = dir.resolve("wider.json");
    CredentialHandoff.write(wider, List.of(github("write")));

    CredentialPlan plan = CredentialPlan.handedOff(policy, CredentialHandoff.take(ok), CredentialSources.NONE, API);

    assertThat(plan.isEmpty()).isFalse();
    assertThat(plan.github()).isEmpty(); // no App here: nothing to refresh with
    CredentialHandoff widerHandoff = CredentialHandoff.take(wider);
    assertThatThrownBy(() -> CredentialPlan.handedOff(policy, widerHandoff, CredentialSources.NONE, API))
        .isInstanceOf(TaskboundException.class)
        .hasMessageContaining("'github' was issued for").hasMessageContaining("\"contents\":\"write\"")
        .hasMessageContaining("\"contents\":\"read\"");
  }

  @Test
  void aHandoffWithoutWhatThePolicyGrantsIsRefused() throws Exception {
    Path file = dir.resolve("vault.json");
    IssuedCredential vault = new IssuedCredential("vault-token", "vault-token", Secret.of("hvs.SENTINEL"),
        Optional.empty(), Map.of("VAULT_TOKEN", "hvs.SENTINEL"), Map.of());
    CredentialHandoff.write(file, List.of(new CredentialHandoff.Entry(vault, JSON.createObjectNode(), Optional.empty())));

    assertThatThrownBy(() -> CredentialPlan.handedOff(policy(), CredentialHandoff.take(file), CredentialSources.NONE, API))
        .isInstanceOf(TaskboundException.class).hasMessageContaining("'vault-token'")
        .hasMessageContaining("does not grant");
  }

  @Test
  void aHostThatConfiguresItsOwnAppAsWellIsRefusedRatherThanMixingTheTwo() throws Exception {
    Path file = dir.resolve("both.json");
    CredentialHandoff.write(file, List.of(github("read")));
    Path key = Files.writeString(dir.resolve("app.pem"), dev.taskbound.core.broker.TestKeys.pkcs1Pem(
        dev.taskbound.core.broker.TestKeys.rsa()));
    CredentialSources own = CredentialSources.fromEnvironment(Map.of(
        "TASKBOUND_GITHUB_APP_ID", "1", "TASKBOUND_GITHUB_APP_KEY_FILE", key.toString()));

    assertThatThrownBy(() -> CredentialPlan.handedOff(policy(), CredentialHandoff.take(file), own, API))
        .isInstanceOf(TaskboundException.class).hasMessageContaining("accepted: one of the two");
    assertThat(file).doesNotExist();
  }

  @Test
  void aHandoffOnStandardInputIsReadWithoutAFileAndGrantsWhatTheFileWould() throws Exception {
    Path file = dir.resolve("handoff.json");
    CredentialHandoff.write(file, List.of(github("read")));
    byte[] bytes = Files.readAllBytes(file);
    Files.delete(file);

    CredentialHandoffInput input = CredentialHandoffInput.read(new java.io.ByteArrayInputStream(bytes));

    CredentialPlan plan = CredentialPlan.handedOff(policy(), input.handoff(), CredentialSources.NONE, API);
    assertThat(plan).isNotNull();
    assertThat(input.handoff().entries().get(0).credential().value().reveal()).isEqualTo(TOKEN);
    assertThat(input.toString()).doesNotContain(TOKEN).contains("standard input");
    try (var listing = Files.list(dir)) {
      assertThat(listing.filter(p -> !p.getFileName().toString().equals("task.yml"))).isEmpty();
    }
  }

  @Test
  void aWiderHandoffOnStandardInputIsRefusedAsAFileIs() throws Exception {
    Path file = dir.resolve("handoff.json");
    CredentialHandoff.write(file, List.of(github("write")));
    CredentialHandoffInput input = CredentialHandoffInput.read(new java.io.ByteArrayInputStream(Files.readAllBytes(file)));

    Throwable refused = org.assertj.core.api.Assertions.catchThrowable(
        () -> CredentialPlan.handedOff(policy(), input.handoff(), CredentialSources.NONE, API));

    assertThat(refused).isInstanceOf(TaskboundException.class).hasMessageContaining("'github' was issued for")
        .hasMessageContaining("\"contents\":\"write\"").hasMessageNotContaining(TOKEN);
    assertThat(((TaskboundException) refused).exitCode()).isEqualTo(122);
  }

  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.CsvSource(delimiter = '|', value = {
      "''                                     | handoff: read the credential hand-off from standard input failed: it is empty; accepted: the hand-off 'taskbound credentials issue' wrote, piped in (--credentials-handoff - < FILE)",
      "not json at all                        | handoff: read the credential hand-off from standard input failed: it is not JSON; accepted: the hand-off 'credentials issue' wrote",
      "{\"format\":\"other/1\"}                  | handoff: read the credential hand-off from standard input failed: its format is not taskbound-credential-handoff/1",
      "{\"format\":\"taskbound-credential-handoff/1\",\"credentials\":[]} | handoff: read the credential hand-off from standard input failed: it holds no credentials"})
  void emptyOrGarbageOnStandardInputIsRefusedInOneLineWithExit122(String text, String message) {
    byte[] bytes = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);

    Throwable refused = org.assertj.core.api.Assertions.catchThrowable(
        () -> CredentialHandoffInput.read(new java.io.ByteArrayInputStream(bytes)));

    assertThat(refused).isInstanceOf(TaskboundException.class).hasMessage(message);
    assertThat(((TaskboundException) refused).exitCode()).isEqualTo(122);
  }

  @Test
  void theVaultChildTokenIsHandedOffByFingerprintAndItsValueStaysWithTheIssuer() throws Exception {
    Path file = dir.resolve("handoff.json");
    IssuedCredential child = new IssuedCredential("vault-token", "vault-token", Secret.of("hvs.SENTINELchild"),
        Optional.empty(), Map.of(), Map.of());
    CredentialHandoff.write(file, List.of(github("read"), new CredentialHandoff.Entry(child, JSON.createObjectNode(),
        Optional.empty())));

    String written = Files.readString(file);
    CredentialHandoff taken = CredentialHandoff.take(file);

    assertThat(written).doesNotContain("hvs.SENTINELchild").contains(Secret.of("hvs.SENTINELchild").fingerprint());
    assertThat(taken.entries()).extracting(e -> e.credential().name()).containsExactly("github");
    assertThat(taken.withheld()).extracting(CredentialHandoff.Withheld::name, CredentialHandoff.Withheld::fingerprint)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("vault-token", Secret.of("hvs.SENTINELchild").fingerprint()));
  }

  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.CsvSource(delimiter = '|', value = {
      "github-token | sha256:0123456789ab | '' | credentials[0] ('github', github-token) carries no value; accepted: a value for every credential but the Vault child token (vault-token)",
      "vault-token  | sha256:XYZ          | '' | credentials[0].fingerprint is missing or not one; accepted: sha256: and 12 lowercase hex digits",
      "vault-token  | sha256:0123456789ab | VAULT_TOKEN | credentials[0] carries no value but names variables or files; accepted: none for a credential whose value stays with the issuer"})
  void aCredentialWithoutAValueIsAcceptedOnlyAsTheVaultChildTokensFingerprint(String kind, String fingerprint,
      String variable, String detail) throws Exception {
    com.fasterxml.jackson.databind.node.ObjectNode credential = JSON.createObjectNode().put("name", "github")
        .put("kind", kind).put("fingerprint", fingerprint);
    if (!variable.isEmpty()) {
      credential.putObject("environment").put(variable, "x");
    }
    Path file = writeRaw(credential);

    assertThatThrownBy(() -> CredentialHandoff.take(file)).isInstanceOf(TaskboundException.class)
        .hasMessage("handoff: read the credential hand-off " + file + " failed: " + detail);
    assertThat(file).doesNotExist();
  }

  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(strings = {"LD_PRELOAD", "NODE_OPTIONS", "BASH_ENV", "API_KEY_2"})
  void aHandedOffSecretSettingAVariableThePolicyDoesNotGiveItIsRefusedNamingIt(String variable) throws Exception {
    EffectivePolicy policy = vaultPolicy();
    IssuedCredential secret = new IssuedCredential("api-key", "vault-secret", Secret.of("SENTINEL-api-key"),
        Optional.empty(), Map.of(variable, "SENTINEL-api-key"), Map.of());
    Path file = dir.resolve("handoff.json");
    CredentialHandoff.write(file, List.of(new CredentialHandoff.Entry(secret, JSON.valueToTree(Map.of(
        "kind", "kv2", "path", "secret/app/config", "access", "env")), Optional.empty())));
    CredentialHandoff handoff = CredentialHandoff.take(file);

    Throwable refused = org.assertj.core.api.Assertions.catchThrowable(
        () -> CredentialPlan.handedOff(policy, handoff, CredentialSources.NONE, API));

    assertThat(refused).isInstanceOf(TaskboundException.class).hasMessage("handoff: plan the session's credentials"
        + " failed: 'api-key' (vault-secret) sets the variable '" + variable + "', which the effective policy does not"
        + " give it; accepted: exactly the variables [API_KEY]");
    assertThat(((TaskboundException) refused).exitCode()).isEqualTo(122);
  }

  /** Final review: git reads the fragment as configuration, so a hand-off could run code through core.fsmonitor. */
  @Test
  void aHandedOffGitConfigurationOtherThanTaskboundsIsRefused() throws Exception {
    Path file = dir.resolve("handoff.json");
    CredentialHandoff.write(file, List.of(github("read", Map.of("GH_TOKEN", TOKEN, "GITHUB_TOKEN", TOKEN),
        dev.taskbound.core.broker.github.GithubBroker.gitConfig("127.0.0.1") + "[core]\n\tfsmonitor = touch /tmp/pwned\n")));
    CredentialHandoff handoff = CredentialHandoff.take(file);

    assertThatThrownBy(() -> CredentialPlan.handedOff(policy(), handoff, CredentialSources.NONE, API))
        .isInstanceOf(TaskboundException.class).hasMessageContaining("'github' (github-token) hands off a"
            + " github.gitconfig other than the one taskbound writes for https://127.0.0.1 (content not shown)")
        .hasMessageNotContaining("fsmonitor");
  }

  @Test
  void aHandedOffGithubTokenSettingALoaderVariableBesideItsOwnIsRefused() throws Exception {
    Path file = dir.resolve("handoff.json");
    CredentialHandoff.write(file, List.of(github("read", Map.of("GH_TOKEN", TOKEN, "GITHUB_TOKEN", TOKEN,
        "LD_PRELOAD", "/tmp/evil.so"))));
    CredentialHandoff handoff = CredentialHandoff.take(file);

    assertThatThrownBy(() -> CredentialPlan.handedOff(policy(), handoff, CredentialSources.NONE, API))
        .isInstanceOf(TaskboundException.class).hasMessage("handoff: plan the session's credentials failed: 'github'"
            + " (github-token) sets the variable 'LD_PRELOAD', which the effective policy does not give it; accepted:"
            + " exactly the variables [GH_TOKEN, GITHUB_TOKEN]");
  }

  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(strings = {"LD_PRELOAD=/tmp/evil.so", "A B", "1ABC", ""})
  void aVariableNameThatIsNotOneIsRefusedWhenTheHandoffIsRead(String name) throws Exception {
    com.fasterxml.jackson.databind.node.ObjectNode credential = JSON.createObjectNode().put("name", "github")
        .put("kind", "github-token").put("value", TOKEN).put("api_url", API);
    credential.putObject("environment").put(name, TOKEN);
    credential.putObject("scope");
    Path file = writeRaw(credential);

    assertThatThrownBy(() -> CredentialHandoff.take(file)).isInstanceOf(TaskboundException.class)
        .hasMessage("handoff: read the credential hand-off " + file + " failed: credentials[0].environment has the"
            + " name '" + name + "'; accepted: a variable name of [A-Za-z_][A-Za-z0-9_], at most 128");
    assertThat(file).doesNotExist();
  }

  /** A 0600 hand-off holding {@code credential} as it is, past the issuer's own checks. */
  private Path writeRaw(com.fasterxml.jackson.databind.node.ObjectNode credential) throws Exception {
    com.fasterxml.jackson.databind.node.ObjectNode root = JSON.createObjectNode().put("format", CredentialHandoff.FORMAT);
    root.putArray("credentials").add(credential);
    Path file = Files.createFile(dir.resolve("raw-handoff.json"),
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    return Files.write(file, JSON.writeValueAsBytes(root));
  }

  private EffectivePolicy policy() throws Exception {
    Path file = Files.writeString(dir.resolve("task.yml"), String.join("\n",
        "apiVersion: taskbound.dev/v1",
        "kind: Task",
        "spec:",
        "  github:",
        "    repositories: [acme/app]",
        "    permissions: {contents: read}",
        ""));
    return PolicyResolver.resolve(List.of(file), Optional.empty());
  }

  private static CredentialHandoff.Entry github(String access) {
    return github(access, Map.of("GH_TOKEN", TOKEN, "GITHUB_TOKEN", TOKEN));
  }

  private static CredentialHandoff.Entry github(String access, Map<String, String> environment) {
    return github(access, environment, dev.taskbound.core.broker.github.GithubBroker.gitConfig("127.0.0.1"));
  }

  private static CredentialHandoff.Entry github(String access, Map<String, String> environment, String gitConfig) {
    IssuedCredential c = new IssuedCredential("github", "github-token", Secret.of(TOKEN), Optional.empty(),
        environment, Map.of("github.gitconfig", Secret.of(gitConfig)));
    return new CredentialHandoff.Entry(c, JSON.valueToTree(Map.of("repositories", List.of("acme/app"),
        "permissions", Map.of("contents", access))), Optional.of(API));
  }

  /** A policy granting one Vault secret, exposed as {@code API_KEY}. */
  private EffectivePolicy vaultPolicy() throws Exception {
    Path file = Files.writeString(dir.resolve("vault-task.yml"), String.join("\n",
        "apiVersion: taskbound.dev/v1",
        "kind: Task",
        "spec:",
        "  vault:",
        "    policies: [app-read]",
        "    secrets:",
        "      - {name: api-key, kind: kv2, path: secret/app/config, field: api_key, env: API_KEY}",
        ""));
    return PolicyResolver.resolve(List.of(file), Optional.empty());
  }
}
