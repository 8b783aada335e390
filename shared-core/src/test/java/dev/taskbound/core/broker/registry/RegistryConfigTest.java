package dev.taskbound.core.broker.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.taskbound.core.broker.Secret;
import dev.taskbound.core.broker.registry.RegistrySpec.Credentials;
import dev.taskbound.core.broker.registry.RegistrySpec.Git;
import dev.taskbound.core.broker.registry.RegistrySpec.Maven;
import dev.taskbound.core.broker.registry.RegistrySpec.Npm;
import dev.taskbound.core.broker.registry.RegistrySpec.Pypi;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The files {@link RegistryConfig} writes, exactly, their modes, their removal, and bad presets. */
class RegistryConfigTest {
  static final Secret NPM_TOKEN = Secret.of("ghp_npmReadToken0123456789abcdefghijklmn");
  static final Secret MAVEN_PASSWORD = Secret.of("mvn-p@ss<&>\"word");
  static final Secret PIP_PASSWORD = Secret.of("pip:t0k/en@x");

  @TempDir Path dir;

  static Npm npm(String url, String scope, Secret token) {
    return new Npm(URI.create(url), Optional.ofNullable(scope), Optional.ofNullable(token));
  }

  @Test
  void npmrcHasTheDefaultAndScopedRegistriesAndATokenOnlyWhereGiven() throws Exception {
    List<Npm> specs = List.of(
        npm("https://registry.npmjs.org", null, null),
        npm("https://npm.pkg.github.com/", "@acme", NPM_TOKEN));

    List<Path> files = RegistryConfig.write(dir, specs, 40001);

    assertThat(files).containsExactly(dir.resolve(".npmrc"));
    assertThat(dir.resolve(".npmrc")).hasContent("; written by Taskbound for one session; removed at teardown\n"
        + "registry=https://registry.npmjs.org/\n"
        + "@acme:registry=https://npm.pkg.github.com/\n"
        + "//npm.pkg.github.com/:_authToken=" + NPM_TOKEN.reveal() + "\n");
  }

  @Test
  void npmTokenKeyKeepsPortAndPath() throws Exception {
    RegistryConfig.write(dir, List.of(npm("http://npm.internal:8081/repository/npm", null, NPM_TOKEN)), 40001);

    assertThat(Files.readString(dir.resolve(".npmrc")))
        .endsWith("registry=http://npm.internal:8081/repository/npm/\n"
            + "//npm.internal:8081/repository/npm/:_authToken=" + NPM_TOKEN.reveal() + "\n");
  }

  @Test
  void pipConfHasTheIndexAndNoTrustedHostForHttps() throws Exception {
    RegistryConfig.write(dir, List.of(new Pypi(URI.create("https://pypi.org/simple"), Optional.empty())), 40001);

    assertThat(dir.resolve("pip.conf")).hasContent("# written by Taskbound for one session; removed at teardown\n"
        + "[global]\nindex-url = https://pypi.org/simple\n");
  }

  @Test
  void pipConfTrustsAnHttpIndexHostAndEncodesCredentialsIntoTheUrl() throws Exception {
    Pypi spec = new Pypi(URI.create("http://pypi.internal:3141/root/pypi/+simple/"), Optional.of(new Credentials("ci", PIP_PASSWORD)));

    RegistryConfig.write(dir, List.of(spec), 40001);

    assertThat(dir.resolve("pip.conf")).hasContent("# written by Taskbound for one session; removed at teardown\n"
        + "[global]\nindex-url = http://ci:pip%3At0k%2Fen%40x@pypi.internal:3141/root/pypi/+simple/\n"
        + "trusted-host = pypi.internal\n");
  }

  @Test
  void mavenSettingsMirrorCentralThroughTheForwarderWithServerCredentialsOnlyWhenGiven() throws Exception {
    List<Maven> specs = List.of(
        new Maven("corp", URI.create("https://maven.corp.example/releases"), Optional.of(new Credentials("reader", MAVEN_PASSWORD))),
        new Maven("snapshots", URI.create("https://maven.corp.example/snapshots"), "corp-snapshots", Optional.empty()));

    RegistryConfig.write(dir, specs, 40001);

    assertThat(dir.resolve("settings.xml")).hasContent("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        + "<!-- written by Taskbound for one session; removed at teardown -->\n"
        + "<settings xmlns=\"http://maven.apache.org/SETTINGS/1.2.0\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\""
        + " xsi:schemaLocation=\"http://maven.apache.org/SETTINGS/1.2.0 https://maven.apache.org/xsd/settings-1.2.0.xsd\">\n"
        + "  <proxies>\n"
        + "    <proxy>\n      <id>taskbound-http</id>\n      <active>true</active>\n      <protocol>http</protocol>\n"
        + "      <host>127.0.0.1</host>\n      <port>40001</port>\n    </proxy>\n"
        + "    <proxy>\n      <id>taskbound-https</id>\n      <active>true</active>\n      <protocol>https</protocol>\n"
        + "      <host>127.0.0.1</host>\n      <port>40001</port>\n    </proxy>\n"
        + "  </proxies>\n"
        + "  <servers>\n"
        + "    <server>\n      <id>corp</id>\n      <username>reader</username>\n"
        + "      <password>mvn-p@ss&lt;&amp;&gt;&quot;word</password>\n    </server>\n"
        + "  </servers>\n"
        + "  <mirrors>\n"
        + "    <mirror>\n      <id>corp</id>\n      <mirrorOf>central</mirrorOf>\n"
        + "      <url>https://maven.corp.example/releases</url>\n    </mirror>\n"
        + "    <mirror>\n      <id>snapshots</id>\n      <mirrorOf>corp-snapshots</mirrorOf>\n"
        + "      <url>https://maven.corp.example/snapshots</url>\n    </mirror>\n"
        + "  </mirrors>\n"
        + "</settings>\n");
  }

  @Test
  void mavenSettingsWithoutCredentialsHaveNoServersSection() throws Exception {
    RegistryConfig.write(dir, List.of(new Maven("central-mirror", URI.create("https://repo.example/maven2"), Optional.empty())), 40001);

    assertThat(Files.readString(dir.resolve("settings.xml"))).doesNotContain("<servers>").contains("<mirrorOf>central</mirrorOf>");
  }

  @Test
  void gitconfigRewritesOnlyConfiguredPrefixes() throws Exception {
    List<Git> specs = List.of(
        new Git(URI.create("https://git.mirror.example/github/"), List.of("https://github.com/", "git@github.com:")),
        new Git(URI.create("https://gitlab.example/"), List.of()));

    RegistryConfig.write(dir, specs, 40001);

    assertThat(dir.resolve(".gitconfig")).hasContent("# written by Taskbound for one session; removed at teardown\n"
        + "[url \"https://git.mirror.example/github/\"]\n"
        + "\tinsteadOf = https://github.com/\n"
        + "\tinsteadOf = git@github.com:\n");
  }

  @Test
  void gitWithoutInsteadOfWritesNothing() {
    List<Path> files = RegistryConfig.write(dir, List.of(new Git(URI.create("https://gitlab.example/"), List.of())), 40001);

    assertThat(files).isEmpty();
    assertThat(dir).isEmptyDirectory();
  }

  @Test
  void everyFileIsCreatedWithMode0600AndEnvironmentPointsAtThem() throws Exception {
    List<Path> files = RegistryConfig.write(dir, allKinds(), 40001);

    assertThat(files).extracting(p -> p.getFileName().toString()).containsExactly(".npmrc", "pip.conf", "settings.xml", ".gitconfig");
    for (Path f : files) {
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f))).as(f.toString()).isEqualTo("rw-------");
    }
    assertThat(RegistryConfig.environment(files)).containsExactly(
        Map.entry("NPM_CONFIG_USERCONFIG", dir.resolve(".npmrc").toString()),
        Map.entry("PIP_CONFIG_FILE", dir.resolve("pip.conf").toString()),
        Map.entry("MAVEN_ARGS", "-s " + dir.resolve("settings.xml")));
  }

  @Test
  void removeDeletesEveryFileAndIsIdempotent() {
    List<Path> files = RegistryConfig.write(dir, allKinds(), 40001);

    RegistryConfig.remove(files);
    RegistryConfig.remove(files);

    assertThat(dir).isEmptyDirectory();
  }

  @Test
  void refusesToReplaceAnExistingFileAndRemovesWhatItHadWritten() throws Exception {
    Files.writeString(dir.resolve("settings.xml"), "the user's own");

    assertThatThrownBy(() -> RegistryConfig.write(dir, allKinds(), 40001))
        .isInstanceOf(RegistryConfigException.class)
        .hasMessage("could not write the registry configuration in " + dir + ": FileAlreadyExistsException " + dir.resolve("settings.xml"))
        .satisfies(e -> assertThat(((RegistryConfigException) e).exitCode()).isEqualTo(122));
    try (Stream<Path> left = Files.list(dir)) {
      assertThat(left).containsExactly(dir.resolve("settings.xml"));
    }
    assertThat(dir.resolve("settings.xml")).hasContent("the user's own");
  }

  static Stream<Arguments> conflictingPresets() {
    return Stream.of(
        Arguments.of(List.of(npm("https://a.example/", null, null), npm("https://b.example/", null, null)),
            "a default npm registry is configured twice (https://b.example/): give each scope, and the default, one registry"),
        Arguments.of(List.of(npm("https://a.example/", "@acme", null), npm("https://b.example/", "@acme", null)),
            "npm scope @acme is configured twice (https://b.example/): give each scope, and the default, one registry"),
        Arguments.of(List.of(new Pypi(URI.create("https://a.example/simple"), Optional.empty()),
                new Pypi(URI.create("https://b.example/simple"), Optional.empty())),
            "pypi is configured 2 times (https://a.example/simple, https://b.example/simple): pip takes one index-url"),
        Arguments.of(List.of(new Maven("m", URI.create("https://a.example/"), Optional.empty()),
                new Maven("m", URI.create("https://b.example/"), "other", Optional.empty())),
            "maven repository id 'm' is configured twice: ids must be unique"),
        Arguments.of(List.of(new Maven("a", URI.create("https://a.example/"), Optional.empty()),
                new Maven("b", URI.create("https://b.example/"), Optional.empty())),
            "maven repositories mirror 'central' twice (b): give each mirrorOf one repository"),
        Arguments.of(List.of(new Git(URI.create("https://a.example/"), List.of("https://github.com/")),
                new Git(URI.create("https://b.example/"), List.of("https://github.com/"))),
            "git insteadOf 'https://github.com/' is configured twice: each prefix is rewritten to one url"));
  }

  @ParameterizedTest
  @MethodSource
  void conflictingPresets(List<RegistrySpec> specs, String message) {
    assertThatThrownBy(() -> RegistryConfig.write(dir, specs, 40001))
        .isInstanceOf(RegistryConfigException.class)
        .hasMessage(message)
        .satisfies(e -> assertThat(((RegistryConfigException) e).exitCode()).isEqualTo(120));
    assertThat(dir).isEmptyDirectory();
  }

  static Stream<Arguments> invalidPresets() {
    return Stream.of(
        Arguments.of((Supplier<RegistrySpec>) () -> npm("ftp://registry.example/", null, null),
            "npm registry 'ftp://registry.example/' is invalid: expected an http:// or https:// URL with a host, without user info,"
                + " query or fragment"),
        Arguments.of((Supplier<RegistrySpec>) () -> npm("https://user:pw@registry.example/", null, null),
            "npm registry 'https://user:pw@registry.example/' is invalid: expected an http:// or https:// URL with a host, without"
                + " user info, query or fragment"),
        Arguments.of((Supplier<RegistrySpec>) () -> npm("https://registry.example/", "acme", null),
            "npm scope 'acme' is not a scope: expected @name in lower case, e.g. @acme"),
        Arguments.of((Supplier<RegistrySpec>) () -> npm("https://registry.example/", null, Secret.of("tok\nregistry=https://evil/")),
            "npm registry token contains a control character or line break (value not shown)"),
        Arguments.of((Supplier<RegistrySpec>) () -> new Maven("bad id", URI.create("https://a.example/"), Optional.empty()),
            "maven repository id 'bad id' is invalid: expected 1-64 characters of A-Z a-z 0-9 . _ - starting with a letter or digit"),
        Arguments.of((Supplier<RegistrySpec>) () -> new Maven("m", URI.create("https://a.example/"), "<central>", Optional.empty()),
            "maven repository m mirrorOf '<central>' is invalid: expected repository ids, '*', 'external:*' or '!id', separated by commas"),
        Arguments.of((Supplier<RegistrySpec>) () -> new Pypi(URI.create("https://a.example/simple"),
                Optional.of(new Credentials("user:x", PIP_PASSWORD))),
            "registry username 'user:x' is invalid: expected printable ASCII without spaces or ':'"),
        Arguments.of((Supplier<RegistrySpec>) () -> new Git(URI.create("https://a.example/"), List.of("https://x/\"]\n[core")),
            "git url https://a.example/ insteadOf 'https://x/\"]?[core' is invalid: expected a URL prefix such as https://github.com/"
                + " or git@github.com: (printable, no spaces, quotes or backslashes)"));
  }

  @ParameterizedTest
  @MethodSource
  void invalidPresets(Supplier<RegistrySpec> spec, String message) {
    assertThatThrownBy(spec::get).isInstanceOf(RegistryConfigException.class).hasMessage(message);
  }

  @Test
  void specsNeverShowTheirCredentials() {
    String shown = allKinds().toString();

    assertThat(shown).doesNotContain(NPM_TOKEN.reveal()).doesNotContain(MAVEN_PASSWORD.reveal()).doesNotContain(PIP_PASSWORD.reveal())
        .contains(NPM_TOKEN.fingerprint());
  }

  static List<RegistrySpec> allKinds() {
    return List.of(
        npm("https://npm.pkg.github.com/", "@acme", NPM_TOKEN),
        new Pypi(URI.create("https://pypi.example/simple"), Optional.of(new Credentials("ci", PIP_PASSWORD))),
        new Maven("corp", URI.create("https://maven.example/"), Optional.of(new Credentials("reader", MAVEN_PASSWORD))),
        new Git(URI.create("https://git.example/"), List.of("https://github.com/")));
  }

  @Test
  void aPasswordTaskboundEncodesIntoAFileOrAnAnswerIsMaskedInThatFormToo() throws Exception {
    // each character here changes in a URL's user info, in XML or in a JSON string
    Secret password = Secret.of("p+w/d&<x>\"q'~ é\\1");
    dev.taskbound.core.broker.SecretMasker masker = new dev.taskbound.core.broker.SecretMasker(List.of(password));
    String pip = RegistryConfig.pipConf(List.of(new Pypi(URI.create("https://pypi.internal/simple/"),
        Optional.of(new Credentials("ci", password)))));
    String maven = RegistryConfig.mavenSettings(List.of(new Maven("corp", URI.create("https://maven.corp.example/releases"),
        Optional.of(new Credentials("reader", password)))), 0); // no proxy
    String json = dev.taskbound.core.Json.MAPPER.writeValueAsString(Map.of("value", password.reveal()));

    assertThat(pip).doesNotContain(password.reveal()); // encoded: the plain value alone would not be found
    assertThat(masker.mask(pip)).contains("index-url = https://ci:***@pypi.internal/simple/");
    assertThat(masker.mask(maven)).contains("<password>***</password>");
    assertThat(masker.mask(json)).isEqualTo("{\"value\":\"***\"}");
    assertThat(masker.values()).contains(password.reveal()); // and the value itself, for the runner's add-mask
  }
}
