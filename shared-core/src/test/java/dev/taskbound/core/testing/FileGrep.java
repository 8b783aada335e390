package dev.taskbound.core.testing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/** Looks for a secret in every file under some directories, including inside zip bundles. */
public final class FileGrep {
  private FileGrep() {}

  /** Every file (or {@code zip!entry}) under {@code roots} whose bytes contain {@code needle}. */
  public static List<String> filesContaining(String needle, Path... roots) throws IOException {
    byte[] n = needle.getBytes(StandardCharsets.UTF_8);
    List<String> hits = new ArrayList<>();
    for (Path root : roots) {
      if (!Files.exists(root)) {
        continue;
      }
      try (Stream<Path> walk = Files.walk(root)) {
        for (Path file : (Iterable<Path>) walk.filter(Files::isRegularFile)::iterator) {
          byte[] bytes = Files.readAllBytes(file);
          if (indexOf(bytes, n) >= 0) {
            hits.add(file.toString());
          }
          if (file.toString().endsWith(".zip")) {
            try (ZipInputStream zip = new ZipInputStream(Files.newInputStream(file))) {
              for (ZipEntry e; (e = zip.getNextEntry()) != null; ) {
                if (indexOf(readAll(zip), n) >= 0) {
                  hits.add(file + "!" + e.getName());
                }
              }
            }
          }
        }
      }
    }
    return hits;
  }

  private static byte[] readAll(InputStream in) throws IOException {
    return in.readAllBytes();
  }

  private static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
