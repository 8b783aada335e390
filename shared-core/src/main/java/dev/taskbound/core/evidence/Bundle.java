package dev.taskbound.core.evidence;

import dev.taskbound.core.SafeText;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.LinkedHashMap;
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

  private Bundle() {}

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
          // ./events.jsonl, /events.jsonl and EVENTS.JSONL are the same file to an extractor
          String alias = entry.getName().replaceFirst("^(\\./|/)+", "").toLowerCase(java.util.Locale.ROOT);
          if (!names.add(alias)) {
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
