package dev.taskbound.core.session;

import dev.taskbound.core.broker.BrokerException;
import dev.taskbound.core.broker.UndoRecorder;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A credential hand-off written to a file by {@code credentials issue --handoff FILE}, and its
 * removal by {@code credentials revoke}: a hand-off no session read (the agent's job died, or the file
 * was copied to another host and this one is the original) would otherwise keep its values on the
 * issuing host forever. The removal is journalled before the file exists ({@value #STEP}: its path),
 * then the file's identity as soon as it exists (device and inode) and once it is written (its change
 * time), so the revoke deletes that file and nothing else: not a link, not a file put in its place,
 * not a later hand-off that reused the path (and, on the same file system, the inode number).
 */
final class HandoffFile {
  /** The journal step that removes the hand-off file. */
  static final String STEP = "remove-handoff-file";

  /** For a hand-off written without a journal ({@link CredentialHandoff#write(Path, List)}). */
  static final UndoRecorder NOT_JOURNALLED = new UndoRecorder() {
    @Override
    public int register(String step, Map<String, ?> handle) {
      return 0;
    }

    @Override
    public void updateHandle(int id, Map<String, ?> handle) {
      // nothing to record
    }
  };

  private HandoffFile() {}

  /**
   * Writes {@code entries} to {@code file}, which must not exist yet (created 0600, never through a
   * link), with its removal journalled in {@code undo} first.
   *
   * @throws BrokerException (exit 122) if the file exists, cannot be written, or holds a name the
   *     session would refuse; no file is left but one that existed before
   */
  static void write(Path file, List<CredentialHandoff.Entry> entries, UndoRecorder undo) {
    byte[] bytes = CredentialHandoff.encode(file.toString(), entries);
    int id = undo.register(STEP, Map.of("path", file.toAbsolutePath().toString()));
    boolean created = false;
    // One open that creates the file: the values go only into this 0600 inode, never into a file
    // someone put at the path between a create and a second open (final review).
    try (java.nio.channels.FileChannel out = java.nio.channels.FileChannel.open(file,
        java.util.Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS),
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
      created = true;
      undo.updateHandle(id, identity(file)); // before any value is in it
      java.nio.ByteBuffer buffer = java.nio.ByteBuffer.wrap(bytes);
      while (buffer.hasRemaining()) {
        out.write(buffer);
      }
    } catch (FileAlreadyExistsException e) {
      throw failure(file, "it already exists; accepted: a path that does not exist yet");
    } catch (IOException | RuntimeException e) {
      if (created) {
        try {
          Files.deleteIfExists(file);
        } catch (IOException ignored) { // NOPMD: the write's failure is the one to report
          // nothing more to do
        }
      }
      throw e instanceof RuntimeException r ? r : failure(file, (created ? "cannot write it (" : "cannot create it (")
          + e.getClass().getSimpleName() + ")");
    }
    try {
      undo.updateHandle(id, Map.of("changed_ns", String.valueOf(changed(file))));
    } catch (IOException | RuntimeException e) {
      try {
        Files.deleteIfExists(file);
      } catch (IOException ignored) { // NOPMD: the failure to record it is the one to report
        // nothing more to do
      }
      throw e instanceof RuntimeException r ? r : failure(file, "cannot write it (" + e.getClass().getSimpleName() + ")");
    }
  }

  /**
   * Deletes the hand-off file the journal entry's {@code handle} names, if it is still the file the
   * issue wrote: same device and inode, unchanged since it was written, a regular file (a link is
   * never followed). Gone or replaced, it is left alone and the step is {@code skipped}, saying why.
   *
   * @return {@code ok} (deleted), {@code skipped}, or {@code failed} if the delete failed (a retry
   *     runs it again)
   */
  static StepResult remove(Map<String, Object> handle) {
    Object path = handle.get("path");
    Optional<Long> device = number(handle, "device");
    Optional<Long> inode = number(handle, "inode");
    if (path == null || device.isEmpty() || inode.isEmpty()) {
      return skipped("no identity of the hand-off file" + (path == null ? "" : " " + path) + " was recorded (the issue"
          + " stopped before it wrote a value into it): left as it is");
    }
    Path file = Path.of(path.toString());
    try {
      if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
        return skipped(file + " is gone (a session read it, or it was moved)");
      }
      Optional<Long> written = number(handle, "changed_ns");
      Map<String, String> now = identity(file);
      boolean same = Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)
          && now.get("device").equals(device.get().toString()) && now.get("inode").equals(inode.get().toString())
          && (written.isEmpty() || written.get() == changed(file));
      if (!same) {
        return skipped(file + " is no longer the hand-off this issue wrote (another file, or changed since): left as it is");
      }
      // A rename between this check and the delete needs write access to the file's directory: whoever
      // has it could delete the file put there as well.
      Files.delete(file);
      return StepResult.ok(STEP, 1);
    } catch (IOException e) {
      return StepResult.failed(STEP, 1, "cannot delete the hand-off file " + file + " (" + e.getClass().getSimpleName()
          + ")");
    }
  }

  private static Map<String, String> identity(Path file) throws IOException {
    return Map.of("device", String.valueOf(Files.getAttribute(file, "unix:dev", LinkOption.NOFOLLOW_LINKS)),
        "inode", String.valueOf(Files.getAttribute(file, "unix:ino", LinkOption.NOFOLLOW_LINKS)));
  }

  /** The file's change time (ctime) in nanoseconds: any write, chmod, link or rename changes it. */
  private static long changed(Path file) throws IOException {
    return ((FileTime) Files.getAttribute(file, "unix:ctime", LinkOption.NOFOLLOW_LINKS)).to(TimeUnit.NANOSECONDS);
  }

  private static Optional<Long> number(Map<String, Object> handle, String field) {
    try {
      return Optional.ofNullable(handle.get(field)).map(v -> Long.parseLong(v.toString()));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  private static StepResult skipped(String why) {
    return new StepResult(STEP, "skipped", 0, Optional.of(why));
  }

  private static BrokerException failure(Path file, String detail) {
    return new BrokerException("handoff", "write the credential hand-off to " + file, -1, detail);
  }
}
