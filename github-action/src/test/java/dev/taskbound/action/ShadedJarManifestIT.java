package dev.taskbound.action;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;

/**
 * Issue 10: the Action jar's manifest against what it holds. Dependencies put Java 9+ classes under
 * {@code META-INF/versions/N/} (github-api's real {@code HttpClientGitHubConnector} exists only
 * there); the JVM uses them only when the manifest says {@code Multi-Release: true}, else it loads
 * the base stubs and every GitHub grant dies of {@code NoSuchMethodError}. The core's jar has the
 * same check (shared-core's {@code ShadedJarManifestIT}); the Action runs the core from this jar.
 */
class ShadedJarManifestIT {
  private static final Path JAR = Path.of(System.getProperty("taskbound.action.jar", "target/taskbound-action.jar"));
  private static final String CONNECTOR = "org/kohsuke/github/extras/HttpClientGitHubConnector.class";

  @Test
  void aJarHoldingVersionedClassesDeclaresItselfMultiRelease() throws IOException {
    try (JarFile jar = new JarFile(JAR.toFile())) {
      List<String> versioned = jar.stream().map(JarEntry::getName)
          .filter(name -> name.startsWith("META-INF/versions/") && name.endsWith(".class")).toList();

      String multiRelease = jar.getManifest().getMainAttributes().getValue("Multi-Release");

      assertThat(versioned.isEmpty() || "true".equalsIgnoreCase(multiRelease))
          .as("%s holds %d classes under META-INF/versions/ (e.g. %s) but its manifest says Multi-Release: %s;"
              + " add <Multi-Release>true</Multi-Release> to the shade plugin's manifestEntries",
              JAR, versioned.size(), versioned.stream().limit(3).toList(), multiRelease)
          .isTrue();
    }
  }

  @Test
  void theGithubConnectorResolvesToItsJava11Class() throws IOException {
    try (JarFile jar = new JarFile(JAR.toFile(), true, ZipFile.OPEN_READ, Runtime.version())) {
      JarEntry connector = jar.getJarEntry(CONNECTOR);

      assertThat(connector.getRealName()).isEqualTo("META-INF/versions/11/" + CONNECTOR);
    }
  }

  /** As the core's jar (its ShadedJarManifestIT says why): junixsocket's JNI loader at its base version. */
  @Test
  void junixsocketsLibraryLoaderIsTheVersionWithoutInvokedynamicStrings() throws IOException {
    try (JarFile jar = new JarFile(JAR.toFile(), true, ZipFile.OPEN_READ, Runtime.version())) {
      List<String> versioned = jar.stream().map(JarEntry::getName)
          .filter(name -> name.matches("META-INF/versions/\\d+/org/newsclub/net/unix/NativeLibraryLoader(\\$.*)?\\.class"))
          .toList();

      assertThat(jar.getJarEntry("org/newsclub/net/unix/NativeLibraryLoader.class")).as("the loader in %s", JAR).isNotNull();
      assertThat(versioned).as("Java 9+ versions of the loader's nest").isEmpty();
    }
  }
}
