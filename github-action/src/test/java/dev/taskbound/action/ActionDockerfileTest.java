package dev.taskbound.action;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * What the runner needs to install the action from {@code uses:} (issue 12 problem 1): action.yml
 * names the repository's Dockerfile, whose directory (the build context the runner uses) holds the
 * sources; every image is a public official one named with registry, repository and tag; the build
 * needs no argument; nothing is copied from a git-ignored path except the tests' optional jar.
 */
class ActionDockerfileTest {
  private static final Path ROOT = Path.of(System.getProperty("taskbound.repo.root", "..")).toAbsolutePath().normalize();
  /** registry host (with a dot), 'library/' repository of an official image, and a tag. */
  private static final Pattern OFFICIAL_IMAGE = Pattern.compile("docker\\.io/library/[a-z0-9][a-z0-9._-]*:[A-Za-z0-9][A-Za-z0-9._-]*");
  private static final Pattern ARG = Pattern.compile("(?m)^ARG\\s+([A-Z_]+)(?:=(\\S*))?\\s*$");

  @Test
  void actionYmlBuildsTheRootDockerfileWhoseContextHoldsTheSources() throws IOException {
    String actionYml = Files.readString(ROOT.resolve("action.yml"));

    assertThat(actionYml).containsPattern("(?m)^  image: Dockerfile$");
    assertThat(actionYml).containsPattern("(?m)^  post-entrypoint: " + Pattern.quote(ActionMain.POST_ENTRYPOINT) + "$");
    assertThat(ROOT.resolve("Dockerfile")).isRegularFile();
    assertThat(ROOT.resolve("mvnw")).isRegularFile();
    assertThat(ROOT.resolve("github-action/Dockerfile")).doesNotExist();
  }

  @Test
  void defaultImagesArePublicOfficialImagesWithRegistryAndTag() throws IOException {
    Map<String, String> defaults = argDefaults();

    for (String arg : List.of("BUILD_IMAGE", "RUNTIME_IMAGE", "DOCKER_CLI_IMAGE")) {
      assertThat(defaults.get(arg)).as(arg).matches(OFFICIAL_IMAGE);
    }
    assertThat(defaults.get("RUNTIME_IMAGE")).as("a slim base, no JDK or Maven").endsWith("-slim");
  }

  @Test
  void theDefaultBuildNeedsNoArgumentAndCompilesFromSource() throws IOException {
    String dockerfile = Files.readString(ROOT.resolve("Dockerfile"));
    Map<String, String> defaults = argDefaults();

    // Every FROM names a stage or an argument with a default; only DOCKER_CLI_PATH is re-declared (inherits).
    Matcher from = Pattern.compile("(?m)^FROM\\s+\\$\\{([A-Z_]+)}").matcher(dockerfile);
    while (from.find()) {
      assertThat(defaults.get(from.group(1))).as("default of " + from.group(1)).isNotBlank();
    }
    assertThat(defaults).containsEntry("PREBUILT_JAR", "");
    assertThat(dockerfile).contains("./mvnw ").doesNotContainPattern("(?m)^COPY\\s+\\S*target/");
    assertThat(dockerfile.lines().filter(l -> l.startsWith("FROM ")).count()).as("multi-stage").isGreaterThanOrEqualTo(3);
    // The final stage copies a linked runtime from the build stage, never the build image's JDK.
    assertThat(dockerfile).contains("jlink --add-modules \"$JAVA_MODULES\"", "COPY --from=build /opt/java /opt/java");
    assertThat(defaults.get("JAVA_MODULES")).startsWith("java.base,").contains("jdk.crypto.ec").contains("jdk.net"); // SO_PEERCRED (OwnerSocket)
  }

  /** The first declaration of each ARG with its default (empty when declared with '='). */
  private static Map<String, String> argDefaults() throws IOException {
    Map<String, String> defaults = new LinkedHashMap<>();
    Matcher m = ARG.matcher(Files.readString(ROOT.resolve("Dockerfile")));
    while (m.find()) {
      if (m.group(2) != null) {
        defaults.putIfAbsent(m.group(1), m.group(2));
      }
    }
    return defaults;
  }
}
