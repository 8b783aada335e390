package dev.taskbound.core.evidence;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Checks that a bundle file is one plain zip and nothing more, as {@link BundleWriter} writes it:
 * it starts with its first entry, its central directory is exactly its entries (none with an extra
 * field or a comment) and ends where its end record begins, and the end record, without a comment,
 * ends the file. Readers find a zip's entries in different ways (the
 * JDK's {@code ZipFile} and {@code unzip} from the end record, streaming readers from the first
 * byte, some from a directory hidden in the comment), so bytes before it, after it or in its
 * comment could show another reader members that verification never saw.
 */
final class ZipLayout {
  private static final int LOCAL_HEADER = 0x04034b50;
  private static final int END_RECORD = 0x06054b50;
  private static final int END_RECORD_SIZE = 22;
  private static final int LOCAL_HEADER_SIZE = 30;
  private static final int DATA_DESCRIPTOR = 0x08074b50;
  private static final int CENTRAL_HEADER = 0x02014b50;
  private static final int CENTRAL_HEADER_SIZE = 46;
  /** Ten members with names of a few dozen bytes: 64 KiB is far more than any bundle's directory. */
  private static final long MAX_DIRECTORY = 64 * 1024;

  private ZipLayout() {}

  /**
   * @throws EvidenceException naming what is out of place
   * @throws IOException if the file cannot be read
   */
  static void check(Path zip) throws IOException {
    try (FileChannel file = FileChannel.open(zip, StandardOpenOption.READ)) {
      long size = file.size();
      if (size < END_RECORD_SIZE + 4) {
        return; // too short for a zip: ZipFile says so
      }
      ByteBuffer head = read(file, 0, 4);
      if (head.getInt(0) != LOCAL_HEADER) {
        throw outOfPlace(zip, "it does not start with its first member (data before the zip?)");
      }
      ByteBuffer end = read(file, size - END_RECORD_SIZE, END_RECORD_SIZE);
      if (end.getInt(0) != END_RECORD || (end.getShort(20) & 0xffff) != 0) {
        throw outOfPlace(zip, "it does not end with its end record (a zip comment, or data after the zip?)");
      }
      long directorySize = end.getInt(12) & 0xffffffffL;
      long directoryOffset = end.getInt(16) & 0xffffffffL;
      if (end.getShort(4) != 0 || end.getShort(6) != 0 || end.getShort(8) != end.getShort(10)
          || directoryOffset + directorySize != size - END_RECORD_SIZE) {
        throw outOfPlace(zip, "its central directory does not end where its end record begins");
      }
      walkDirectory(zip, file, directoryOffset, directorySize, end.getShort(10) & 0xffff);
    }
  }

  /**
   * The central directory is exactly its {@code count} entries, one after the other, each without
   * an extra field or a comment (the writer adds none): nothing hides in it, such as a zip64 record
   * some readers look for right before the end record.
   */
  private static void walkDirectory(Path zip, FileChannel file, long offset, long size, int count) throws IOException {
    if (size > MAX_DIRECTORY) {
      throw outOfPlace(zip, "its central directory is larger than a bundle's");
    }
    ByteBuffer directory = read(file, offset, (int) size);
    int at = 0;
    long next = 0; // where the next entry's own header must begin: entries fill the file up to the directory
    for (int i = 0; i < count; i++) {
      if (at + CENTRAL_HEADER_SIZE > size || directory.getInt(at) != CENTRAL_HEADER) {
        throw outOfPlace(zip, "its central directory does not hold its " + count + " entries one after the other");
      }
      int name = directory.getShort(at + 28) & 0xffff;
      int extra = directory.getShort(at + 30) & 0xffff;
      int comment = directory.getShort(at + 32) & 0xffff;
      if (extra != 0 || comment != 0) {
        throw outOfPlace(zip, "an entry of its central directory has an extra field or a comment");
      }
      // no file mode, kind or disk: an extractor would make a member a link or setuid from these
      if ((directory.getShort(at + 4) & 0xff00) != 0 || directory.getShort(at + 34) != 0 || directory.getShort(at + 36) != 0
          || directory.getInt(at + 38) != 0) {
        throw outOfPlace(zip, "an entry of its central directory has file attributes a bundle's never has");
      }
      long local = directory.getInt(at + 42) & 0xffffffffL;
      if (local != next) {
        throw outOfPlace(zip, "its entries do not follow one another up to its central directory");
      }
      next = entryEnd(zip, file, local, directory.slice(at, CENTRAL_HEADER_SIZE).order(ByteOrder.LITTLE_ENDIAN));
      at += CENTRAL_HEADER_SIZE + name;
    }
    if (at != size) {
      throw outOfPlace(zip, "its central directory holds more than its " + count + " entries");
    }
    if (next != offset) {
      throw outOfPlace(zip, "its entries do not follow one another up to its central directory");
    }
  }

  /**
   * Where the entry whose own header is at {@code local} ends (header, data and data descriptor),
   * checking that its own header and descriptor say what its central entry {@code central} says:
   * flags, method, name length, and CRC and sizes (so no bytes hide behind a size the directory
   * alone makes larger).
   */
  private static long entryEnd(Path zip, FileChannel file, long local, ByteBuffer central) throws IOException {
    ByteBuffer header = read(file, local, LOCAL_HEADER_SIZE);
    int flags = central.getShort(8) & 0xffff;
    if (header.getInt(0) != LOCAL_HEADER || (header.getShort(28) & 0xffff) != 0
        || (header.getShort(6) & 0xffff) != flags || header.getShort(8) != central.getShort(10)
        || header.getShort(26) != central.getShort(28)) {
      throw outOfPlace(zip, "an entry's own header is missing, has an extra field, or differs from its central entry");
    }
    int crc = central.getInt(16);
    long compressed = central.getInt(20) & 0xffffffffL;
    int size = central.getInt(24);
    long end = local + LOCAL_HEADER_SIZE + (header.getShort(26) & 0xffff) + compressed;
    if ((flags & 8) == 0) {
      if (header.getInt(14) != crc || (header.getInt(18) & 0xffffffffL) != compressed || header.getInt(22) != size) {
        throw outOfPlace(zip, "an entry's own header gives other sizes than its central entry");
      }
      return end;
    }
    ByteBuffer descriptor = read(file, end, 16); // as the JDK writes it: with its signature
    if (descriptor.getInt(0) != DATA_DESCRIPTOR || descriptor.getInt(4) != crc
        || (descriptor.getInt(8) & 0xffffffffL) != compressed || descriptor.getInt(12) != size) {
      throw outOfPlace(zip, "an entry's data descriptor gives other sizes than its central entry");
    }
    return end + 16;
  }

  private static ByteBuffer read(FileChannel file, long at, int length) throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
    while (buffer.hasRemaining()) {
      if (file.read(buffer, at + buffer.position()) < 0) {
        throw new IOException("unexpected end of file");
      }
    }
    return buffer;
  }

  private static EvidenceException outOfPlace(Path zip, String what) {
    return new EvidenceException("bundle " + zip + " is not one plain zip as Taskbound writes it: " + what
        + "; other readers could show members verify never saw");
  }
}
