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

  /**
   * {@code dir} as the host sees it now, before the agent runs: the real path of its nearest existing
   * ancestor plus the rest. The evidence directory is recorded this way at open, so that a symbolic
   * link the agent plants later (the default {@code ./taskbound-evidence} sits in the workspace the
   * agent writes) is caught by {@link #createRecordedDirectory}.
   *
   * @throws IOException if an existing ancestor cannot be resolved
   */
  public static Path resolveNow(Path dir) throws IOException {
    Path abs = dir.toAbsolutePath().normalize();
    Path existing = abs;
    while (existing != null && !Files.exists(existing, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      existing = existing.getParent();
    }
    if (existing == null) {
      return abs;
    }
    return existing.toRealPath().resolve(existing.relativize(abs));
  }

  /**
   * Creates the evidence directory recorded at open by {@link #resolveNow} (if missing) and checks
   * that it still is what it was: if anything on its path became a symbolic link since (planted by
   * the agent, say to a host directory), nothing is written there.
   *
   * @throws IOException naming the directory and where it now leads, if it moved
   */
  public static Path createRecordedDirectory(Path recorded) throws IOException {
    Files.createDirectories(recorded);
    Path now = recorded.toRealPath();
    if (!now.equals(recorded)) {
      throw new IOException("evidence directory " + recorded + " now leads to " + now + " through a symbolic link that was"
          + " not there when the session opened (planted by the agent?); nothing was written there; accepted: a"
          + " directory whose path has no symbolic link added during the run (remove the link, then run taskbound"
          + " teardown --session again)");
    }
    return recorded;
  }

  /** Gives {@code file} the published mode (0644). */
  public static void makeReadable(Path file) throws IOException {
    Files.setPosixFilePermissions(file, PUBLISHED);
  }

  /** Writes {@code text} to {@code file} atomically (temporary file, then rename), mode 0644. */
  public static void publish(Path file, String text) throws IOException {
    publish(file, text.getBytes(StandardCharsets.UTF_8));
  }

  /** Copies {@code source} to {@code file} atomically (temporary file, then rename), mode 0644. */
  public static void publishCopy(Path file, Path source) throws IOException {
    publishFilled(file, tmp -> Files.copy(source, tmp, StandardCopyOption.REPLACE_EXISTING));
  }

  /** Writes {@code bytes} to {@code file} atomically (temporary file, then rename), mode 0644. */
  public static void publish(Path file, byte[] bytes) throws IOException {
    publishFilled(file, tmp -> Files.write(tmp, bytes));
  }

  /** What fills a temporary file before it is published. */
  @FunctionalInterface
  private interface Filling {
    void fill(Path tmp) throws IOException;
  }

  private static void publishFilled(Path file, Filling filling) throws IOException {
    Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), ".publish.", ".tmp");
    try {
      filling.fill(tmp);
      makeReadable(tmp);
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
