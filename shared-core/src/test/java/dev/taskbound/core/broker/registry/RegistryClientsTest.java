package dev.taskbound.core.broker.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.taskbound.core.broker.Secret;
import dev.taskbound.core.broker.registry.RegistrySpec.Credentials;
import dev.taskbound.core.broker.registry.RegistrySpec.Git;
import dev.taskbound.core.broker.registry.RegistrySpec.Maven;
import dev.taskbound.core.broker.registry.RegistrySpec.Npm;
import dev.taskbound.core.broker.registry.RegistrySpec.Pypi;
import java.io.File;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real clients read the files as intended: npm, git, pip and (when installed) Maven, each run
 * offline with a fresh HOME so nothing but our file is consulted.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RegistryClientsTest {
  @TempDir Path dir;
  @TempDir Path home;

  record Out(int status, String text) {}

  Out run(Map<String, String> extraEnv, String... command) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(command).directory(home.toFile()).redirectErrorStream(true);
    Map<String, String> env = pb.environment();
    env.keySet().removeIf(k -> k.startsWith("npm_") || k.startsWith("NPM_") || k.startsWith("PIP_") || k.startsWith("GIT_")
        || k.startsWith("MAVEN_") || k.startsWith("XDG_"));
    env.put("HOME", home.toString());
    env.putAll(extraEnv);
    Process p = pb.start();
    String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(100, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError(String.join(" ", command) + " did not finish");
    }
    return new Out(p.exitValue(), text);
  }

  @Test
  void npmReadsTheDefaultAndScopedRegistry() throws Exception {
    List<Path> files = RegistryConfig.write(dir, List.of(
        new Npm(URI.create("https://registry.npmjs.example"), Optional.empty(), Optional.empty()),
        new Npm(URI.create("https://npm.pkg.github.com"), Optional.of("@acme"), Optional.of(Secret.of("ghp_npmClientCheck0123456789")))),
        40001);
    String rc = files.get(0).toString();

    Out registry = run(Map.of(), "npm", "config", "get", "registry", "--userconfig", rc);
    Out scoped = run(Map.of(), "npm", "config", "get", "@acme:registry", "--userconfig", rc);
    Out viaEnv = run(RegistryConfig.environment(files), "npm", "config", "get", "registry");

    assertThat(registry).isEqualTo(new Out(0, "https://registry.npmjs.example/\n"));
    assertThat(scoped).isEqualTo(new Out(0, "https://npm.pkg.github.com/\n"));
    assertThat(viaEnv).isEqualTo(new Out(0, "https://registry.npmjs.example/\n"));
  }

  @Test
  void gitReadsTheInsteadOfRewrites() throws Exception {
    List<Path> files = RegistryConfig.write(dir,
        List.of(new Git(URI.create("https://git.mirror.example/github/"), List.of("https://github.com/", "git@github.com:"))), 40001);

    Out out = run(Map.of(), "git", "config", "--file", files.get(0).toString(), "--get-all", "url.https://git.mirror.example/github/.insteadof");

    assertThat(out).isEqualTo(new Out(0, "https://github.com/\ngit@github.com:\n"));
  }

  @Test
  void pipReadsTheIndexAndTrustedHost() throws Exception {
    List<Path> files = RegistryConfig.write(dir,
        List.of(new Pypi(URI.create("http://pypi.internal:3141/simple/"), Optional.of(new Credentials("ci", Secret.of("pip-t0ken"))))), 40001);
    Map<String, String> env = new HashMap<>(RegistryConfig.environment(files));
    env.put("XDG_CONFIG_HOME", home.resolve("xdg").toString());
    env.put("PIP_DISABLE_PIP_VERSION_CHECK", "1");

    Out out = run(env, "python3", "-m", "pip", "config", "list");

    assertThat(out.status()).as(out.text()).isZero();
    assertThat(out.text().lines()).contains("global.index-url='http://ci:pip-t0ken@pypi.internal:3141/simple/'",
        "global.trusted-host='pypi.internal'");
  }

  /** Maven offline has no help plugin here, so this checks that Maven parses the settings without a problem (~10 s). */
  @Test
  void mavenAcceptsTheSettings() throws Exception {
    Optional<Path> mvn = onPath("mvn");
    assumeThat(mvn).as("mvn on PATH").isPresent();
    List<Path> files = RegistryConfig.write(dir, List.of(
        new Maven("corp", URI.create("https://maven.corp.example/releases"), Optional.of(new Credentials("reader", Secret.of("p<&>w"))))),
        40001);
    Files.writeString(home.resolve("pom.xml"), "<project xmlns=\"http://maven.apache.org/POM/4.0.0\"><modelVersion>4.0.0</modelVersion>"
        + "<groupId>t</groupId><artifactId>t</artifactId><version>1</version><packaging>pom</packaging></project>");

    Out out = run(Map.of(), mvn.get().toString(), "-B", "-o", "-s", files.get(0).toString(), "validate");

    assertThat(out.status()).as(out.text()).isZero();
    assertThat(out.text()).doesNotContain("Some problems were encountered while building the effective settings").contains("BUILD SUCCESS");
  }

  static Optional<Path> onPath(String tool) {
    List<Path> candidates = new ArrayList<>();
    for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      if (!d.isEmpty()) {
        candidates.add(Path.of(d, tool));
      }
    }
    return candidates.stream().filter(Files::isExecutable).findFirst();
  }
}
