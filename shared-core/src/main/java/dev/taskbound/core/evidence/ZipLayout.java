package dev.taskbound.core.evidence;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Checks that a bundle file is one plain zip and nothing more, as {@link BundleWriter} writes it:
 * it starts with its first entry, its central directory ends where its end record begins, and the
 * end record, without a comment, ends the file. Readers find a zip's entries in different ways (the
 * JDK's {@code ZipFile} and {@code unzip} from the end record, streaming readers from the first
 * byte, some from a directory hidden in the comment), so bytes before it, after it or in its
 * comment could show another reader members that verification never saw.
 */
final class ZipLayout {
  private static final int LOCAL_HEADER = 0x04034b50;
  private static final int END_RECORD = 0x06054b50;
  private static final int END_RECORD_SIZE = 22;

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
    }
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
