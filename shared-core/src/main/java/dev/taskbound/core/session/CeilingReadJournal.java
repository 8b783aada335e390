package dev.taskbound.core.session;

import dev.taskbound.core.broker.RevocationContext;
import dev.taskbound.core.broker.UndoRecorder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * The teardown journal of the org ceiling's read token, which is minted before the session (and its
 * own journal) exists: a directory {@code <sessionRoot>/ceiling-read-<random>/} (0700) holding
 * {@value #FILE} (0600, a {@link TeardownJournal}). The revocation is registered before the mint
 * and the token attached once it exists, exactly as for the session's credentials; once the read
 * has revoked the token the directory is removed. A process killed in between leaves the directory
 * where {@code taskbound teardown --session DIR} (and the Action's post step, which tears down every
 * directory under the session root) finds it and revokes the token. Not thread-safe: one read.
 */
public final class CeilingReadJournal implements UndoRecorder, AutoCloseable {
  /** How the directory's name starts. */
  public static final String PREFIX = "ceiling-read-";
  /** The journal's file name in the directory (a session's is {@code journal.jsonl}). */
  public static final String FILE = "ceiling-journal.jsonl";

  private final Path dir;
  private final TeardownJournal journal;
  private final UndoRecorder recorder;
  /** The entries a token was attached to (a sealed handle does not show it on disk). */
  private final java.util.Set<Integer> minted = new java.util.HashSet<>();

  private CeilingReadJournal(Path dir, TeardownJournal journal, UndoRecorder recorder) {
    this.dir = dir;
    this.journal = journal;
    this.recorder = recorder;
  }

  /**
   * Creates a fresh directory under {@code sessionRoot} with an empty journal.
   *
   * @throws SessionException (exit 121) if the directory cannot be created
   */
  static CeilingReadJournal create(Path sessionRoot) {
    return create(sessionRoot, java.util.Optional.empty());
  }

  /**
   * As {@link #create(Path)}, with every handle sealed with {@code key} when given (as an issuer's
   * journal: {@link SealedHandles}, bound to a {@link JournalId} in the directory), so the file
   * never holds the read token in clear; {@link #finish} then needs the same key.
   */
  static CeilingReadJournal create(Path sessionRoot, java.util.Optional<JournalKey> key) {
    byte[] random = new byte[8];
    new SecureRandom().nextBytes(random);
    Path dir = sessionRoot.toAbsolutePath().normalize().resolve(PREFIX + HexFormat.of().formatHex(random));
    try {
      Files.createDirectories(dir.getParent());
      Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    } catch (IOException e) {
      throw new SessionException("cannot create " + dir + " for the org ceiling's read token: " + e.getMessage()
          + "; set --session-root to a writable directory", dev.taskbound.core.ExitCodes.SANDBOX, e);
    }
    java.util.Optional<String> id = key.map(k -> JournalId.create(dir));
    TeardownJournal journal = TeardownJournal.create(dir.resolve(FILE));
    UndoRecorder recorder = key.isPresent() ? SealedHandles.sealing(journal, key.get(), id.orElseThrow())
        : journal.asUndoRecorder();
    return new CeilingReadJournal(dir, journal, recorder);
  }

  /**
   * Whether {@code dir} is such a directory (and not a session's): a real directory holding the
   * journal as a regular file. Never through a link: teardown runs as root and appends to the
   * journal, so a planted link would have it write elsewhere (review finding LOW-4).
   */
  public static boolean isOne(Path dir) {
    return Files.isDirectory(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)
        && Files.isRegularFile(dir.resolve(FILE), java.nio.file.LinkOption.NOFOLLOW_LINKS)
        && !Files.exists(dir.resolve("session.json"), java.nio.file.LinkOption.NOFOLLOW_LINKS);
  }

  /** The directory, for messages. */
  public Path dir() {
    return dir;
  }

  @Override
  public int register(String step, Map<String, ?> handle) {
    int id = recorder.register(step, handle);
    if (handle.get("token") != null) {
      minted.add(id);
    }
    return id;
  }

  @Override
  public void updateHandle(int id, Map<String, ?> handle) {
    if (handle.get("token") != null) {
      minted.add(id);
    }
    recorder.updateHandle(id, handle);
  }

  @Override
  public void completed(int id) {
    journal.complete(id, "ok", 1, null);
  }

  /**
   * Closes the journal. An entry without a token (the mint failed) has nothing to revoke; when no
   * entry with a token is left pending, the directory is removed. Otherwise (the revocation failed)
   * it stays for {@code taskbound teardown --session}.
   */
  @Override
  public void close() {
    for (TeardownJournal.Entry e : journal.pending()) {
      if (!minted.contains(e.id())) {
        journal.complete(e.id(), "ok", 0, "nothing was minted");
      }
    }
    boolean done = journal.pending().isEmpty();
    journal.close();
    if (done) {
      remove(dir);
    }
  }

  /**
   * Revokes what a killed process left in {@code dir} ({@link #isOne}), then removes the directory
   * if nothing failed.
   *
   * @return one step per pending entry, named by its step; a failed one keeps the directory for a retry
   */
  public static TeardownReport finish(Path dir, RevocationContext revocation) {
    return finish(dir, revocation, java.util.Optional.empty());
  }

  /**
   * As {@link #finish(Path, RevocationContext)}, opening sealed handles with {@code key} (the
   * {@code TASKBOUND_JOURNAL_KEY} the read ran with); a sealed entry it cannot open fails and stays.
   */
  public static TeardownReport finish(Path dir, RevocationContext revocation, java.util.Optional<JournalKey> key) {
    List<StepResult> steps = JournalRevocations.revokePending(dir.resolve(FILE), revocation, key,
        "the read-only token expires within the hour; retry with: taskbound teardown --session " + dir);
    TeardownReport report = new TeardownReport(dir.getFileName().toString(), steps);
    if (report.ok()) {
      remove(dir);
    }
    return report;
  }

  private static void remove(Path dir) {
    try {
      Files.deleteIfExists(dir.resolve(FILE));
      JournalId.delete(dir);
      Files.deleteIfExists(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot remove " + dir, e);
    }
  }

  /** For messages: where a killed read leaves its token's revocation. */
  @Override
  public String toString() {
    return "CeilingReadJournal[" + dir + "]";
  }
}
