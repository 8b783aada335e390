package dev.taskbound.core.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskbound.core.evidence.BundleVerifier;
import dev.taskbound.core.testing.CliProcess;
import dev.taskbound.core.testing.FileGrep;
import dev.taskbound.core.testing.RunArtifacts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 4, package registries: a real {@code taskbound run} in the netns sandbox whose agent asks
 * the real clients (npm, pip, git) what they are configured with, and after which the files and the
 * read tokens are gone.
 */
@Timeout(120)
class RegistriesEndToEndTest {
  private static final Duration WAIT = Duration.ofSeconds(90);

  @TempDir Path work;

  @Test
  void agentsClientsSeeThePolicysRegistriesAndNothingIsLeftAfterTeardown() throws Exception {
    String npmToken = "npmsentinel" + UUID.randomUUID().toString().replace("-", "");
    String mavenToken = "mvnsentinel" + UUID.randomUUID().toString().replace("-", "");
    Path home = Files.createDirectories(work.resolve("home"));
    Path runtime = Files.createDirectories(work.resolve("rt"));
    Path out = work.resolve("evidence");
    Path policy = Files.writeString(work.resolve("task.yml"), String.join("\n",
        "apiVersion: taskbound.dev/v1",
        "kind: Task",
        "spec:",
        "  ttl: 5m",
        "  sandbox: {backends: [netns]}",
        "  registries:",
        "    - {kind: npm, url: 'https://registry.npmjs.org/'}",
        "    - {kind: npm, url: 'https://npm.pkg.github.com/', scope: '@acme', token: {env: NPM_READ_TOKEN}}",
        "    - {kind: pypi, url: 'https://pypi.mirror.example/simple'}",
        "    - kind: maven",
        "      id: corp",
        "      url: https://maven.corp.example/releases",
        "      credentials: {username: reader, password: {env: MAVEN_READ_TOKEN}}",
        "    - {kind: git, url: 'https://git.mirror.example/github/', insteadOf: ['https://github.com/']}",
        ""));
    String agent = String.join("; ",
        "echo \"npm-default=$(npm config get registry)\"",
        "echo \"npm-acme=$(npm config get @acme:registry)\"",
        "python3 -m pip config list",
        "echo \"git-insteadof=$(git config --get-all url.https://git.mirror.example/github/.insteadof)\"",
        "echo \"dir=$(dirname \"$NPM_CONFIG_USERCONFIG\")\"",
        "echo \"inherited=${NPM_READ_TOKEN:-none}\"",
        // The files hold the tokens; printed, they must come out masked.
        "cat \"$NPM_CONFIG_USERCONFIG\" \"${MAVEN_ARGS#-s }\"");

    String stdout;
    try (CliProcess run = CliProcess.start(work, Map.of(
            "TASKBOUND_HOME", home.toString(),
            "TASKBOUND_RUNTIME_DIR", runtime.toString(),
            "NPM_READ_TOKEN", npmToken,
            "MAVEN_READ_TOKEN", mavenToken),
        "run", "--task", "T-REG", "--policy", policy.toString(), "--out", out.toString(), "--", "sh", "-c", agent)) {

      int status = run.waitFor(WAIT);

      assertThat(status).as(run.stderr()).isZero();
      stdout = run.stdout();
      assertThat(stdout).contains("npm-default=https://registry.npmjs.org/")
          .contains("npm-acme=https://npm.pkg.github.com/")
          .contains("global.index-url='https://pypi.mirror.example/simple'")
          .contains("git-insteadof=https://github.com/")
          .contains("inherited=none")
          .contains("//npm.pkg.github.com/:_authToken=")
          .contains("<username>reader</username>")
          .doesNotContain("<proxies>");
      assertThat(stdout + run.stderr()).doesNotContain(npmToken).doesNotContain(mavenToken);
    }
    Path registries = Path.of(stdout.lines().filter(l -> l.startsWith("dir=")).findFirst().orElseThrow().substring(4));
    assertThat(registries.toString()).startsWith(runtime + "/tb-").endsWith("/registries");
    assertThat(registries).doesNotExist();
    assertThat(RunArtifacts.bundleText(out, "teardown.json"))
        .containsPattern("\"step\" ?: ?\"remove-registry-config\",\\s*\"outcome\" ?: ?\"ok\"");
    assertThat(RunArtifacts.bundleText(out, "events.jsonl")).contains("\"registries.configured\"");
    assertThat(BundleVerifier.verify(RunArtifacts.onlyBundle(out)).valid()).isTrue();
    assertThat(FileGrep.filesContaining(npmToken, work)).isEmpty();
    assertThat(FileGrep.filesContaining(mavenToken, work)).isEmpty();
  }

  @Test
  void aMissingTokenVariableFailsTheRunBeforeTheAgentStarts() throws IOException, InterruptedException {
    Path policy = Files.writeString(work.resolve("task.yml"), String.join("\n",
        "apiVersion: taskbound.dev/v1",
        "kind: Task",
        "spec:",
        "  registries:",
        "    - {kind: npm, url: 'https://npm.pkg.github.com/', scope: '@acme', token: {env: NPM_READ_TOKEN}}",
        ""));

    try (CliProcess run = CliProcess.start(work, Map.of(
            "TASKBOUND_HOME", Files.createDirectories(work.resolve("home")).toString(),
            "TASKBOUND_RUNTIME_DIR", Files.createDirectories(work.resolve("rt")).toString()),
        "run", "--task", "T-REG", "--policy", policy.toString(), "--out", work.resolve("evidence").toString(), "--",
        "sh", "-c", "echo agent-ran")) {

      int status = run.waitFor(WAIT);

      assertThat(status).isEqualTo(122);
      assertThat(run.stdout()).doesNotContain("agent-ran");
      assertThat(run.stderr()).contains("registries[0] (npm https://npm.pkg.github.com/ scope @acme) token: the host"
          + " environment variable NPM_READ_TOKEN is not set; accepted: set it to the registry's read token before"
          + " the run");
    }
  }
}
