package dev.taskbound.core.evidence;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * The one permission rule for what Taskbound publishes (bundle, addenda, {@code *.summary.md},
 * {@code *.teardown.json}): mode 0644 whatever the umask, so that the CI user who uploads the
 * evidence can read it even when Taskbound ran as root. These files hold no secret values (an
 * invariant the tests check); the session's private state stays 0600 in a 0700 directory.
 * Documented in docs/evidence.md.
 */
public final class EvidenceFiles {
  /** rw-r--r--. */
  public static final Set<PosixFilePermission> PUBLISHED = PosixFilePermissions.fromString("rw-r--r--");

  private EvidenceFiles() {}

  /** Gives {@code file} the published mode (0644). */
  public static void makeReadable(Path file) throws IOException {
    Files.setPosixFilePermissions(file, PUBLISHED);
  }

  /** Writes {@code text} to {@code file} atomically (temporary file, then rename), mode 0644. */
  public static void publish(Path file, String text) throws IOException {
    publish(file, text.getBytes(StandardCharsets.UTF_8));
  }

  /** Writes {@code bytes} to {@code file} atomically (temporary file, then rename), mode 0644. */
  public static void publish(Path file, byte[] bytes) throws IOException {
    Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), ".publish.", ".tmp");
    try {
      Files.write(tmp, bytes);
      makeReadable(tmp);
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
