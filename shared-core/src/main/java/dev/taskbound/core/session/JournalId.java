package dev.taskbound.core.session;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Optional;

/**
 * A keyed journal's own random id, in {@value #FILE} beside it (0600), written when the journal is
 * created. Every sealed handle is bound to it, so a sealed entry copied from another journal (the
 * same key serves every session) does not open in this one.
 */
final class JournalId {
  static final String FILE = "journal-id";
  private static final int BYTES = 16;

  private JournalId() {}

  /** Writes a fresh id into {@code dir} (the file must not exist) and returns it. */
  static String create(Path dir) {
    byte[] random = new byte[BYTES];
    new SecureRandom().nextBytes(random);
    String id = HexFormat.of().formatHex(random);
    try {
      Files.writeString(Files.createFile(dir.resolve(FILE),
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))), id + "\n",
          StandardCharsets.US_ASCII, StandardOpenOption.WRITE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + dir.resolve(FILE), e);
    }
    return id;
  }

  /**
   * The id in {@code dir}, empty if the journal has none (written without a key).
   *
   * @throws SessionException (exit 123) if the file is a link or not an id
   */
  static Optional<String> read(Path dir) {
    Path file = dir.resolve(FILE);
    if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
      return Optional.empty();
    }
    try {
      String id = Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS) && Files.size(file) <= 2 * BYTES + 1
          ? Files.readString(file, StandardCharsets.US_ASCII).strip() : "";
      if (!id.matches("[0-9a-f]{" + 2 * BYTES + "}")) {
        throw SessionException.teardown(file + " is not a journal id; accepted: " + 2 * BYTES
            + " hex digits, as 'credentials issue' writes them, in a regular file");
      }
      return Optional.of(id);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  static void delete(Path dir) throws IOException {
    Files.deleteIfExists(dir.resolve(FILE));
  }
}
