package dev.taskbound.core.policy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskbound.core.cli.PolicyCommand;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/**
 * Every policy the Jenkins plugin's tests and docs hand to the core passes {@code taskbound policy
 * check}. The plugin's JenkinsRule tests cannot run where the core's CI runs, so an invalid fixture
 * would otherwise only show up as a Jenkins build failing for the wrong reason.
 */
class PluginPolicyFixturesTest {
  private static final Path ROOT = Path.of(System.getProperty("taskbound.repo.root"));
  private static final Path PLUGIN_RESOURCES = ROOT.resolve("jenkins-plugin/src/test/resources");
  private static final Path JENKINS_DOC = ROOT.resolve("docs/jenkins.md");
  private static final Path PLATFORM_DOC = ROOT.resolve("docs/platform-teams.md");

  /** A {@code ceilingPolicy: |} block of a JCasC example: the indented lines after it. */
  private static final Pattern CASC_CEILING = Pattern.compile("(?m)^( *)ceilingPolicy: \\|\\n((?:\\1  .*\\n)+)");

  @TempDir Path dir;

  static Stream<Path> pluginFixtures() throws IOException {
    List<Path> files;
    try (Stream<Path> s = Files.walk(PLUGIN_RESOURCES)) {
      files = s.filter(p -> p.toString().endsWith(".yml") || p.toString().endsWith(".yaml")).sorted().toList();
    }
    assertThat(files).as("policy fixtures under " + PLUGIN_RESOURCES).isNotEmpty();
    return files.stream();
  }

  @ParameterizedTest
  @MethodSource("pluginFixtures")
  void everyPluginTestPolicyPassesPolicyCheck(Path fixture) {
    assertPassesPolicyCheck(fixture);
  }

  @Test
  void everyCeilingInTheJenkinsDocsPassesPolicyCheck() throws IOException {
    List<String> ceilings = cascCeilings(Files.readString(JENKINS_DOC));
    assertThat(ceilings).as("ceilingPolicy examples in " + JENKINS_DOC).isNotEmpty();

    for (int i = 0; i < ceilings.size(); i++) {
      Path file = Files.writeString(dir.resolve("jenkins-md-ceiling-" + (i + 1) + ".yml"), ceilings.get(i));
      assertPassesPolicyCheck(file);
    }
  }

  @Test
  void everyJenkinsCeilingInThePlatformTeamsDocPassesPolicyCheck() throws IOException {
    List<String> ceilings = cascCeilings(Files.readString(PLATFORM_DOC));
    assertThat(ceilings).as("ceilingPolicy examples in " + PLATFORM_DOC).isNotEmpty();

    for (int i = 0; i < ceilings.size(); i++) {
      assertPassesPolicyCheck(Files.writeString(dir.resolve("platform-md-ceiling-" + (i + 1) + ".yml"), ceilings.get(i)));
    }
  }

  @Test
  void findsTheCeilingOfAJcascExampleWithItsIndentationRemoved() {
    String doc = "```yaml\nunclassified:\n  taskbound:\n    ceilingPolicy: |\n      kind: Ceiling\n      spec:\n"
        + "        ttl: 1h\n```\n";

    assertThat(cascCeilings(doc)).containsExactly("kind: Ceiling\nspec:\n  ttl: 1h\n");
  }

  private static void assertPassesPolicyCheck(Path file) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();

    int code = new CommandLine(new PolicyCommand())
        .setOut(new PrintWriter(out))
        .setErr(new PrintWriter(err))
        .execute("check", file.toString());

    assertThat(code).as("taskbound policy check " + file + ": " + err).isZero();
    assertThat(out.toString()).startsWith("ok: " + file);
  }

  private static List<String> cascCeilings(String markdown) {
    List<String> ceilings = new ArrayList<>();
    Matcher m = CASC_CEILING.matcher(markdown);
    while (m.find()) {
      String indent = m.group(1) + "  ";
      StringBuilder yaml = new StringBuilder();
      m.group(2).lines().forEach(line -> yaml.append(line.substring(indent.length())).append('\n'));
      ceilings.add(yaml.toString());
    }
    return ceilings;
  }
}
