package io.jenkins.plugins.taskbound;

import edu.umd.cs.findbugs.annotations.NonNull;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * One copy of the core CLI per node, keyed by its SHA-256: {@code <root>/taskbound/<sha256>/taskbound.jar}.
 * A changed plugin brings a new digest and so a new directory; builds and blocks reuse the copy
 * whose digest matches. The jar is published by an atomic rename over whatever is there (a
 * concurrent step never runs a half-written jar, and a stale or rewritten copy is replaced), and it
 * is read-only once published. No Jenkins types: the agent-side callables delegate here.
 */
final class CoreJarCache {
  /** The runnable core CLI, bundled in the plugin as a resource of this package; it never runs on the controller. */
  static final String BUNDLED_RESOURCE = "taskbound-cli.jar";

  /** The file name of the cached jar. */
  static final String JAR = "taskbound.jar";

  private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");

  private CoreJarCache() {}

  /**
   * Where the jar with this digest lives under a node's root directory.
   *
   * @throws IllegalArgumentException if {@code sha256} is not 64 lower-case hex digits
   */
  @NonNull
  static Path jarPath(@NonNull Path nodeRoot, @NonNull String sha256) {
    requireDigest(sha256);
    return nodeRoot.resolve("taskbound").resolve(sha256).resolve(JAR);
  }

  /** Whether {@code jar} is a regular file whose content has this digest. */
  static boolean isCurrent(@NonNull Path jar, @NonNull String sha256) throws IOException {
    return Files.isRegularFile(jar) && sha256(jar).equals(sha256);
  }

  /**
   * Makes {@code partial} (a complete copy written next to {@code jar}) the cached jar: checks its
   * digest, makes it read-only and renames it over {@code jar} atomically. {@code partial} is gone
   * afterwards, whether this succeeds or not.
   *
   * @throws IOException if the copy's digest is not {@code sha256} (naming both), or it cannot be moved
   */
  static void publish(@NonNull Path partial, @NonNull Path jar, @NonNull String sha256) throws IOException {
    requireDigest(sha256);
    try {
      String copied = sha256(partial);
      if (!copied.equals(sha256)) {
        throw new IOException("the core CLI copied to " + partial + " has sha256 " + copied + ", expected " + sha256
            + "; the copy was incomplete or altered, so it is not used");
      }
      if (Files.getFileStore(partial).supportsFileAttributeView("posix")) {
        Files.setPosixFilePermissions(partial, PosixFilePermissions.fromString("r--r--r--"));
      }
      try {
        // rename(2): replaces an existing jar (even a read-only one) in one step.
        Files.move(partial, jar, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(partial, jar, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(partial);
    }
  }

  /** The SHA-256 of a file, as lower-case hex. */
  @NonNull
  static String sha256(@NonNull Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      return sha256(in);
    }
  }

  /** The SHA-256 of everything {@code in} yields, as lower-case hex; does not close {@code in}. */
  @NonNull
  static String sha256(@NonNull InputStream in) throws IOException {
    MessageDigest digest;
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
    new DigestInputStream(in, digest).transferTo(OutputStream.nullOutputStream());
    return HexFormat.of().formatHex(digest.digest());
  }

  private static void requireDigest(String sha256) {
    if (!SHA256_HEX.matcher(sha256).matches()) {
      throw new IllegalArgumentException("'" + sha256 + "' is not a SHA-256 digest; accepted: 64 lower-case hex digits");
    }
  }
}
