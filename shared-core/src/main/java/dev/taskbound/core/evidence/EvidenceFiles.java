package dev.taskbound.core.evidence;

import dev.taskbound.core.ProcessUser;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.security.SecureRandom;
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

  private static final SecureRandom RANDOM = new SecureRandom();

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
    // before anything is made: createDirectories would make the missing part wherever a link leads
    Path link = linkInside(recorded, Path.of("/"));
    if (link != null) {
      throw new IOException("evidence directory " + recorded + " now leads through the symbolic link " + link + " -> "
          + Files.readSymbolicLink(link) + ", which was not there when the session opened (planted by the agent?); nothing"
          + " was made or written there; accepted: a directory whose path has no symbolic link added during the run"
          + " (remove the link, then run taskbound teardown --session again)");
    }
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

  /**
   * The first symbolic link on {@code path}'s way (its existing part, as written) that sits in a
   * directory which, resolved, lies in {@code within}; null when there is none. A link elsewhere on
   * the way (a home reached through a link) is the host's own.
   *
   * @throws IOException if a directory on the way cannot be resolved
   */
  public static Path linkInside(Path path, Path within) throws IOException {
    Path abs = path.toAbsolutePath().normalize();
    Path p = abs.getRoot();
    for (Path name : abs) {
      p = p.resolve(name);
      if (!Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
        return null;
      }
      if (Files.isSymbolicLink(p) && p.getParent().toRealPath().startsWith(within)) {
        return p;
      }
    }
    return null;
  }

  /** Writes {@code text} to {@code file} atomically (temporary file, then rename), mode 0644. */
  public static void publish(Path file, String text) throws IOException {
    publish(file, text.getBytes(StandardCharsets.UTF_8));
  }

  /** Copies {@code source} to {@code file} atomically (temporary file, then rename), mode 0644. */
  public static void publishCopy(Path file, Path source) throws IOException {
    publish(file, ".publish.", out -> Files.copy(source, out));
  }

  /** Writes {@code bytes} to {@code file} atomically (temporary file, then rename), mode 0644. */
  public static void publish(Path file, byte[] bytes) throws IOException {
    publish(file, ".publish.", out -> out.write(bytes));
  }

  /** What writes a published file's bytes. */
  @FunctionalInterface
  public interface Content {
    void writeTo(OutputStream out) throws IOException;
  }

  /**
   * Writes {@code file} atomically, mode 0644: {@code content} fills a new file in a private
   * directory made beside it ({@code tmpPrefix...}, 0700, this process's own), which is then renamed
   * into place, so a reader never sees half of one. The directory {@code file} is in is opened once
   * and everything after goes relative to it (openat, renameat), never by its path again: it may sit
   * where an agent of the same user still runs (another session's), which by a path would have had
   * root write or chmod through a link, a hard link or a FIFO swapped in for a temporary file, or
   * write wherever a link swapped in for the directory led. In its own directory no one else can
   * swap anything.
   *
   * @throws IOException if the directory is no longer what its path names without a link, or the
   *     private directory is not this process's own, or the file cannot be written
   */
  public static void publish(Path file, String tmpPrefix, Content content) throws IOException {
    Path dir = file.toAbsolutePath().normalize().getParent();
    Path name = file.getFileName();
    try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
      if (!(stream instanceof SecureDirectoryStream<Path> opened)) {
        throw new IOException("cannot write " + file + ": this platform cannot write relative to an open directory"
            + " (no SecureDirectoryStream); accepted: Linux");
      }
      requireOpenedIsAt(opened, dir);
      Path staging = Path.of(tmpPrefix + Long.toUnsignedString(RANDOM.nextLong(), 36) + ".tmp");
      // made by path: the directory opened by name below, relative to the checked one, is checked itself
      Files.createDirectory(dir.resolve(staging), PosixFilePermissions.asFileAttribute(PRIVATE));
      try {
        try (SecureDirectoryStream<Path> own = openOwn(opened, staging, dir)) {
          try (SeekableByteChannel channel = own.newByteChannel(CONTENT,
                  Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS),
                  PosixFilePermissions.asFileAttribute(PUBLISHED));
              OutputStream out = Channels.newOutputStream(channel)) {
            content.writeTo(out);
          }
          // the umask may have narrowed the mode it was made with
          own.getFileAttributeView(CONTENT, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS).setPermissions(PUBLISHED);
          try {
            own.move(CONTENT, opened, name);
          } catch (IOException e) {
            throw new IOException("cannot rename the written file into place as " + file + ": " + e.getMessage()
                + "; accepted: a name that is free or a file (remove what is there, such as a directory the agent"
                + " left, then run taskbound teardown --session again)", e);
          }
        }
      } finally {
        removeStaging(opened, staging);
      }
    }
  }

  /** The file's name inside the private directory. */
  private static final Path CONTENT = Path.of("content");

  /** rwx------. */
  private static final Set<PosixFilePermission> PRIVATE = PosixFilePermissions.fromString("rwx------");

  /**
   * {@code name} in {@code opened}, opened without following a link, and only as a directory of this
   * process's user that no one else may write: one an agent made there in its place is refused.
   */
  static SecureDirectoryStream<Path> openOwn(SecureDirectoryStream<Path> opened, Path name, Path dir)
      throws IOException {
    SecureDirectoryStream<Path> own = opened.newDirectoryStream(name, LinkOption.NOFOLLOW_LINKS);
    PosixFileAttributes attributes = own.getFileAttributeView(PosixFileAttributeView.class).readAttributes();
    UserPrincipal self = dir.getFileSystem().getUserPrincipalLookupService()
        .lookupPrincipalByName(Integer.toString(ProcessUser.effectiveUid()));
    if (!attributes.owner().equals(self) || !PRIVATE.containsAll(attributes.permissions())) {
      own.close();
      throw new IOException("the private directory " + dir.resolve(name) + " made for writing is owned by "
          + attributes.owner().getName() + " with mode " + PosixFilePermissions.toString(attributes.permissions())
          + " (replaced by an agent still running?); nothing was written there; accepted: this process's own, mode 0700");
    }
    return own;
  }

  /**
   * Removes the private directory and what a failed write left in it. One that was moved away or
   * replaced (by a link, which is not followed) is left: what the name holds now is not ours, and the
   * file was written or not whatever happens here.
   */
  private static void removeStaging(SecureDirectoryStream<Path> opened, Path staging) {
    try (SecureDirectoryStream<Path> own = opened.newDirectoryStream(staging, LinkOption.NOFOLLOW_LINKS)) {
      try {
        own.deleteFile(CONTENT);
      } catch (NoSuchFileException published) {
        // renamed into place
      }
      opened.deleteDirectory(staging);
    } catch (IOException gone) {
      // not ours any more
    }
  }

  /**
   * Fails unless the directory {@code opened} is the one {@code dir} names now with no link on the
   * way: one swapped for a link before it was opened would have had it open elsewhere.
   */
  private static void requireOpenedIsAt(SecureDirectoryStream<Path> opened, Path dir) throws IOException {
    Object openedKey = opened.getFileAttributeView(BasicFileAttributeView.class).readAttributes().fileKey();
    Object atPath = Files.readAttributes(dir, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
    Path real = dir.toRealPath();
    if (!real.equals(dir) || !openedKey.equals(atPath)) {
      throw new IOException("directory " + dir + " now leads to " + real + " through a symbolic link, or was replaced while"
          + " it was opened (by an agent still running?); nothing was written there; accepted: a directory whose path"
          + " has no symbolic link");
    }
  }
}
