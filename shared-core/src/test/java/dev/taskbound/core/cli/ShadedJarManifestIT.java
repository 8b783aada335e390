package dev.taskbound.core.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;

/**
 * Issue 10: the shipped jar's manifest against what it holds. Dependencies put Java 9+ classes under
 * {@code META-INF/versions/N/} (github-api's real {@code HttpClientGitHubConnector} exists only
 * there); the JVM uses them only when the manifest says {@code Multi-Release: true}, else it loads
 * the base stubs and every GitHub grant dies of {@code NoSuchMethodError}. The Action's jar has the
 * same check (github-action's {@code ShadedJarManifestIT}).
 */
class ShadedJarManifestIT {
  private static final Path JAR = Path.of(System.getProperty("taskbound.jar"));
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

  /**
   * Issue 19: picocli's own jar is Java 5 bytecode, which JDK 17's dynamic class-data archive
   * refuses; the shade takes it compiled at release 17 (shared-core/pom.xml, picocli-release-17), so
   * the launcher's archive holds it. Fails if the dependency's classes come back.
   */
  @Test
  void picocliIsShippedAsClassesTheClassDataArchiveCanHold() throws IOException {
    try (JarFile jar = new JarFile(JAR.toFile())) {
      List<String> picocli = jar.stream().map(JarEntry::getName)
          .filter(name -> name.startsWith("picocli/") && name.endsWith(".class")).toList();
      List<String> old = new ArrayList<>();
      for (String name : picocli) {
        try (InputStream in = jar.getInputStream(jar.getJarEntry(name))) {
          DataInputStream data = new DataInputStream(in);
          data.readInt(); // magic
          data.readUnsignedShort(); // minor
          if (data.readUnsignedShort() < 61) {
            old.add(name);
          }
        }
      }

      assertThat(picocli).as("picocli's classes in %s", JAR).hasSizeGreaterThan(100);
      assertThat(old).as("picocli classes below Java 17's class file version (61)").isEmpty();
    }
  }

  /**
   * junixsocket loads its JNI library with {@code System.loadLibrary}: from JDK 22 on every run of
   * the jar warns about it on stderr unless the manifest enables native access for the class path
   * (JDK 17-21 ignore the attribute).
   */
  @Test
  void theJarEnablesNativeAccessSoNewerJdksRunItWithoutWarnings() throws IOException {
    try (JarFile jar = new JarFile(JAR.toFile())) {
      assertThat(jar.getManifest().getMainAttributes().getValue("Enable-Native-Access")).isEqualTo("ALL-UNNAMED");
    }
  }

  /**
   * Issue 19, eighth stop: every run loads junixsocket's JNI loader for the listener hand-off; its
   * Java 9+ versions build strings with invokedynamic, and as the only such code on a run's path they
   * paid the JDK's whole StringConcatFactory set-up (~25 ms of CPU). The shade keeps its base version
   * (the same source at Java 7: StringBuilder), for the whole nest, as the Java 9+ inner classes
   * would reach the outer class as nestmates. Fails if a Java 9+ version of any of them comes back.
   */
  @Test
  void junixsocketsLibraryLoaderIsTheVersionWithoutInvokedynamicStrings() throws IOException {
    try (JarFile jar = new JarFile(JAR.toFile(), true, ZipFile.OPEN_READ, Runtime.version())) {
      List<String> nest = jar.stream().map(JarEntry::getName)
          .filter(name -> name.matches("org/newsclub/net/unix/NativeLibraryLoader(\\$.*)?\\.class")).toList();
      List<String> versioned = jar.stream().map(JarEntry::getName)
          .filter(name -> name.matches("META-INF/versions/\\d+/org/newsclub/net/unix/NativeLibraryLoader(\\$.*)?\\.class"))
          .toList();
      JarEntry loader = jar.getJarEntry("org/newsclub/net/unix/NativeLibraryLoader.class");
      byte[] bytes;
      try (InputStream in = jar.getInputStream(loader)) {
        bytes = in.readAllBytes();
      }

      assertThat(nest).as("the loader's nest in %s", JAR).contains("org/newsclub/net/unix/NativeLibraryLoader.class")
          .hasSizeGreaterThan(2);
      assertThat(versioned).as("Java 9+ versions of the loader's nest").isEmpty();
      assertThat(loader.getRealName()).isEqualTo("org/newsclub/net/unix/NativeLibraryLoader.class");
      assertThat(new String(bytes, java.nio.charset.StandardCharsets.ISO_8859_1)).doesNotContain("makeConcatWithConstants");
    }
  }

  @Test
  void theGithubConnectorResolvesToItsJava11Class() throws IOException {
    try (JarFile jar = new JarFile(JAR.toFile(), true, ZipFile.OPEN_READ, Runtime.version())) {
      JarEntry connector = jar.getJarEntry(CONNECTOR);

      assertThat(connector.getRealName()).isEqualTo("META-INF/versions/11/" + CONNECTOR);
    }
  }
}
