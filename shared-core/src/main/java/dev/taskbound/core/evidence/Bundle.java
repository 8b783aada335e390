package dev.taskbound.core.evidence;

import dev.taskbound.core.SafeText;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/** The members of an evidence bundle, read from a zip file or a directory. */
final class Bundle {
  static final String EVENTS = "events.jsonl";
  static final String SEAL = "seal.json";
  static final String JWKS = "jwks.json";
  static final String POLICY = "effective-policy.json";
  static final String IDENTITY = "identity.json";
  static final String TEARDOWN = "teardown.json";
  static final String SUMMARY = "summary.md";
  static final String REPORT = "report.html";
  /** The org signer's statement on the evidence key, copied from session.opened (when configured). */
  static final String STATEMENT = "signer-statement.json";
  /** In an addendum only: which bundle it continues, after which line. */
  static final String ADDENDUM = "addendum.json";
  /** Bundles are small; this bounds what a hostile zip can make us hold. */
  private static final long MAX_MEMBER = 256L * 1024 * 1024;

  /** The members {@code BundleWriter} writes, a bundle's and an addendum's. */
  private static final java.util.Set<String> MEMBERS = new java.util.LinkedHashSet<>(
      List.of(EVENTS, SEAL, JWKS, POLICY, IDENTITY, TEARDOWN, STATEMENT, SUMMARY, REPORT, ADDENDUM));

  private Bundle() {}

  /** Whether a zip entry's extra data holds an Info-ZIP Unicode Path or Comment field (0x7075, 0x6375). */
  private static boolean renamedByExtraField(byte[] extra) {
    for (int i = 0; extra != null && i + 4 <= extra.length; ) {
      int id = (extra[i] & 0xff) | (extra[i + 1] & 0xff) << 8;
      int size = (extra[i + 2] & 0xff) | (extra[i + 3] & 0xff) << 8;
      if (id == 0x7075 || id == 0x6375) {
        return true;
      }
      i += 4 + size;
    }
    return false;
  }

  /**
   * Reads the members verification needs.
   *
   * @throws EvidenceException if the path does not exist or is neither a directory nor a readable
   *     zip file
   */
  static Map<String, byte[]> read(Path path) {
    Map<String, byte[]> files = new LinkedHashMap<>();
    try {
      if (Files.isDirectory(path)) {
        for (String name : new String[] {EVENTS, SEAL, JWKS}) {
          Path p = path.resolve(name);
          if (Files.isRegularFile(p)) {
            files.put(name, Files.readAllBytes(p));
          }
        }
        return files;
      }
      if (!Files.exists(path)) {
        throw new EvidenceException("bundle " + path + " does not exist");
      }
      try (ZipFile zip = new ZipFile(path.toFile())) {
        java.util.Set<String> names = new java.util.HashSet<>();
        for (Enumeration<? extends ZipEntry> en = zip.entries(); en.hasMoreElements(); ) {
          ZipEntry entry = en.nextElement();
          // One name, one member: readers differ on which of two copies they show (this one the
          // last, unzip both), so a second copy could show other tools other events than verified.
          // only the names a bundle holds, each once, as written: an extractor takes ./events.jsonl,
          // .\events.jsonl or a Unicode Path extra field (0x7075) naming events.jsonl for that file
          if (!MEMBERS.contains(entry.getName()) || renamedByExtraField(entry.getExtra())) {
            throw new EvidenceException("bundle " + path + ": member " + SafeText.quoted(entry.getName())
                + " is not one a bundle holds (or an extra field gives it another name for extractors); a bundle holds "
                + String.join(", ", MEMBERS));
          }
          if (!names.add(entry.getName())) {
            throw new EvidenceException("bundle " + path + ": member " + SafeText.quoted(entry.getName())
                + " appears twice (a zip made to show other readers other content?); a bundle holds each member once");
          }
          if (entry.isDirectory() || !(entry.getName().equals(EVENTS) || entry.getName().equals(SEAL)
              || entry.getName().equals(JWKS))) {
            continue;
          }
          try (InputStream in = zip.getInputStream(entry)) {
            byte[] bytes = in.readNBytes((int) Math.min(MAX_MEMBER + 1, Integer.MAX_VALUE - 8));
            if (bytes.length > MAX_MEMBER) {
              throw new EvidenceException("bundle " + path + ": member " + entry.getName() + " is larger than 256 MiB");
            }
            files.put(entry.getName(), bytes);
          }
        }
      }
      return files;
    } catch (IOException e) {
      throw new EvidenceException("cannot read bundle " + path + " (expected a zip file or a directory): " + e.getMessage(), e);
    }
  }
}
