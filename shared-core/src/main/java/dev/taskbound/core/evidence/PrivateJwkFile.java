package dev.taskbound.core.evidence;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.text.ParseException;
import java.util.Objects;

/**
 * Reads and writes a private EC P-256 key as a single JWK in a file only its owner can read. Used
 * for the per-session identity key and the evidence sealing key, so that {@code taskbound teardown}
 * in a new process can pick them up.
 *
 * <p>Writing creates a temporary file in the target directory with mode {@code 0600} from the start
 * (the permission is part of the create call, so the key is never readable by others, not even
 * briefly), writes and fsyncs it, then atomically renames it over the target. A file system without
 * POSIX permissions is an error, never a silent fallback.
 */
public final class PrivateJwkFile {
  private PrivateJwkFile() {}

  /**
   * Writes {@code key} (which must hold its private part) to {@code file}, mode 0600, atomically.
   *
   * @throws IOException if the directory is not writable, the file system has no POSIX
   *     permissions, or the rename fails
   * @throws IllegalArgumentException if {@code key} has no private part
   */
  public static void write(Path file, ECKey key) throws IOException {
    Objects.requireNonNull(file, "file");
    if (!key.isPrivate()) {
      throw new IllegalArgumentException("refusing to write a public key as a private key file");
    }
    Path dir = file.toAbsolutePath().getParent();
    Path tmp;
    try {
      tmp =
          Files.createTempFile(
              dir,
              "." + file.getFileName() + ".",
              ".tmp",
              PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    } catch (UnsupportedOperationException e) {
      throw new IOException(dir + ": file system has no POSIX permissions; cannot keep a key private", e);
    }
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        ch.write(java.nio.ByteBuffer.wrap(key.toJSONString().getBytes(StandardCharsets.UTF_8)));
        ch.force(true);
      }
      try {
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        throw new IOException(file + ": cannot rename atomically in " + dir, e);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /**
   * Reads a private EC P-256 JWK from {@code file}.
   *
   * @throws IOException if the file cannot be read, is not a JWK, is not an EC P-256 key, has no
   *     private part or no {@code kid}; the message names the file but never the key material
   */
  public static ECKey read(Path file) throws IOException {
    String json = Files.readString(file, StandardCharsets.UTF_8);
    ECKey key;
    try {
      key = ECKey.parse(json);
    } catch (ParseException e) {
      // The parser's message may quote key material; keep only our own words.
      throw new IOException(file + ": not an EC JWK (expected a JSON object with kty EC, crv P-256, x, y, d)");
    }
    if (!Curve.P_256.equals(key.getCurve())) {
      throw new IOException(file + ": curve " + key.getCurve() + " is not accepted; expected P-256");
    }
    if (!key.isPrivate()) {
      throw new IOException(file + ": holds only a public key; expected the private key (member d)");
    }
    if (key.getKeyID() == null || key.getKeyID().isBlank()) {
      throw new IOException(file + ": key has no kid");
    }
    return key;
  }
}
