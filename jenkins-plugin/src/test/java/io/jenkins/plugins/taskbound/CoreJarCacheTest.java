package io.jenkins.plugins.taskbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The node's digest-keyed copy of the core CLI; plain JUnit, no Jenkins. */
class CoreJarCacheTest {
  private static final byte[] CORE = "the core CLI, version 1".getBytes(StandardCharsets.UTF_8);
  private static final byte[] NEWER = "the core CLI, version 2".getBytes(StandardCharsets.UTF_8);

  @TempDir Path root;

  @Test
  void keysTheJarByItsDigestUnderTheNodeRoot() throws IOException {
    String sha = CoreJarCache.sha256(new ByteArrayInputStream(CORE));

    Path jar = CoreJarCache.jarPath(root, sha);

    assertEquals(root.resolve("taskbound").resolve(sha).resolve("taskbound.jar"), jar);
    assertEquals("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        CoreJarCache.sha256(new ByteArrayInputStream(new byte[0])));
  }

  @Test
  void refusesAKeyThatIsNotADigestSoNoPathCanBeSmuggledIn() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CoreJarCache.jarPath(root, "../../etc"));

    assertEquals("'../../etc' is not a SHA-256 digest; accepted: 64 lower-case hex digits", e.getMessage());
  }

  @Test
  void publishesACompleteCopyReadOnlyAndLeavesNoPartialFile() throws IOException {
    String sha = CoreJarCache.sha256(new ByteArrayInputStream(CORE));
    Path jar = CoreJarCache.jarPath(root, sha);

    Path partial = partial(jar, CORE);
    CoreJarCache.publish(partial, jar, sha);

    assertTrue(CoreJarCache.isCurrent(jar, sha));
    assertEquals("r--r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(jar)));
    assertEquals(List.of(jar), filesIn(jar.getParent()));
  }

  @Test
  void replacesAnExistingReadOnlyJarAsTheSecondBlockOnANodeDoes() throws IOException {
    String sha = CoreJarCache.sha256(new ByteArrayInputStream(CORE));
    Path jar = CoreJarCache.jarPath(root, sha);
    CoreJarCache.publish(partial(jar, CORE), jar, sha);

    CoreJarCache.publish(partial(jar, CORE), jar, sha);

    assertTrue(CoreJarCache.isCurrent(jar, sha));
    assertEquals(List.of(jar), filesIn(jar.getParent()));
  }

  @Test
  void tellsARewrittenJarFromTheCurrentOne() throws IOException {
    String sha = CoreJarCache.sha256(new ByteArrayInputStream(CORE));
    Path jar = CoreJarCache.jarPath(root, sha);
    CoreJarCache.publish(partial(jar, CORE), jar, sha);

    Files.setPosixFilePermissions(jar, PosixFilePermissions.fromString("rw-r--r--"));
    Files.write(jar, NEWER);

    assertFalse(CoreJarCache.isCurrent(jar, sha));
    assertFalse(CoreJarCache.isCurrent(jar.resolveSibling("absent.jar"), sha));
  }

  @Test
  void refusesACopyWithAnotherDigestNamingBothAndRemovesIt() throws IOException {
    String sha = CoreJarCache.sha256(new ByteArrayInputStream(CORE));
    Path jar = CoreJarCache.jarPath(root, sha);
    Path partial = partial(jar, NEWER);

    IOException e = assertThrows(IOException.class, () -> CoreJarCache.publish(partial, jar, sha));

    assertTrue(e.getMessage().contains("has sha256 " + CoreJarCache.sha256(new ByteArrayInputStream(NEWER)) + ", expected " + sha),
        e.getMessage());
    assertFalse(Files.exists(jar));
    assertEquals(List.of(), filesIn(jar.getParent()));
  }

  private static Path partial(Path jar, byte[] content) throws IOException {
    Files.createDirectories(jar.getParent());
    return Files.write(Files.createTempFile(jar.getParent(), "taskbound-", ".jar.part"), content);
  }

  private static List<Path> filesIn(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.sorted().toList();
    }
  }
}
