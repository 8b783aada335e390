package dev.taskbound.core.session;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * The private state's copy of a bundle that a teardown attempt sealed with the session's key and
 * could not write where it goes (a link the agent put in place of the evidence directory): the next
 * attempt publishes it, as long as the log is still what it seals.
 */
final class UnpublishedBundle {
  private UnpublishedBundle() {}

  /** Where the state directory of {@code layout} keeps it. */
  static Path in(SessionLayout layout) {
    return layout.stateDir().resolve("sealed-bundle.zip");
  }

  /** Whether {@code kept} is a bundle whose sealed events are {@code events} as it is now (nothing appended since). */
  static boolean sealsTheLogAsItIs(Path kept, Path events) throws IOException {
    if (!Files.isRegularFile(kept, LinkOption.NOFOLLOW_LINKS) || !Files.isRegularFile(events)) {
      return false;
    }
    try (ZipFile zip = new ZipFile(kept.toFile())) {
      ZipEntry sealed = zip.getEntry(events.getFileName().toString()); // the same name in the bundle
      if (sealed == null || sealed.getSize() != Files.size(events)) {
        return false;
      }
      try (InputStream sealedEvents = zip.getInputStream(sealed); InputStream now = Files.newInputStream(events)) {
        return sameBytes(sealedEvents, now);
      }
    }
  }

  private static boolean sameBytes(InputStream a, InputStream b) throws IOException {
    byte[] x = new byte[65536];
    byte[] y = new byte[65536];
    while (true) {
      int n = a.readNBytes(x, 0, x.length);
      if (n != b.readNBytes(y, 0, y.length) || !Arrays.equals(x, 0, n, y, 0, n)) {
        return false;
      }
      if (n < x.length) {
        return true;
      }
    }
  }
}
