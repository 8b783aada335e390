package dev.taskbound.core.evidence;

import dev.taskbound.core.SafeText;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
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

  /** The one file other than a member an unpacked bundle may hold, ignored: Finder's, once the folder was opened. */
  private static final String FINDER_METADATA = ".DS_Store";

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
   * What verification reads of a bundle: the bytes of the log, the seal and the key set, and the
   * seal's digest ({@link Sealer#digest}) of every other member present.
   */
  record Contents(Map<String, byte[]> files, Map<String, String> digests) {
    byte[] get(String name) {
      return files.get(name);
    }
  }

  /** The members whose bytes verification reads; of the others it reads only a digest. */
  private static boolean readWhole(String name) {
    return name.equals(EVENTS) || name.equals(SEAL) || name.equals(JWKS);
  }

  /**
   * Reads the members verification needs.
   *
   * @throws EvidenceException if the path does not exist or is neither a directory nor a readable
   *     zip file, or a member is larger than 256 MiB
   */
  static Contents read(Path path) {
    Map<String, byte[]> files = new LinkedHashMap<>();
    Map<String, String> digests = new TreeMap<>();
    try {
      if (Files.isDirectory(path)) {
        // As for a zip: only a bundle's members, each a plain file. An extra page, or a link to some
        // other file, would otherwise sit unverified beside a directory verify called ok.
        try (java.util.stream.Stream<Path> listed = Files.list(path)) {
          for (Path p : (Iterable<Path>) listed.sorted()::iterator) {
            String name = p.getFileName().toString();
            if (name.equals(FINDER_METADATA) && Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
              continue; // what macOS leaves in a folder it showed: no page, no content of the run
            }
            if (!MEMBERS.contains(name) || !Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
              throw new EvidenceException("bundle " + path + ": " + SafeText.quoted(name) + " is not a member a bundle"
                  + " holds, as a plain file (not a link or a directory); a bundle directory holds only "
                  + String.join(", ", MEMBERS));
            }
          }
        }
        for (String name : MEMBERS) {
          Path p = path.resolve(name);
          if (Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            try (InputStream in = Files.newInputStream(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
              member(path, name, in, files, digests);
            }
          }
        }
        return new Contents(files, digests);
      }
      if (!Files.exists(path)) {
        throw new EvidenceException("bundle " + path + " does not exist");
      }
      List<String> central = new java.util.ArrayList<>();
      try (ZipFile zip = new ZipFile(path.toFile())) {
        ZipLayout.check(path); // a zip, as far as the JDK goes: is it only that?
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
          try (InputStream in = zip.getInputStream(entry)) {
            central.add(entry.getName() + " " + member(path, entry.getName(), in, files, digests));
          }
        }
      }
      // A streaming reader takes the entries' own headers in file order, not the central
      // directory: both must show the same members with the same bytes.
      if (!central.equals(localEntries(path))) {
        throw new EvidenceException("bundle " + path + " is not one plain zip as Taskbound writes it: its entries"
            + " differ from its central directory; other readers could show members verify never saw");
      }
      return new Contents(files, digests);
    } catch (IOException | IllegalArgumentException e) { // ZipFile throws the latter for a name or comment not in UTF-8
      throw new EvidenceException("cannot read bundle " + path + " (expected a zip file or a directory): " + e.getMessage(), e);
    }
  }

  /** Each entry as a streaming reader sees it, in file order: its name and the digest of its bytes. */
  private static List<String> localEntries(Path zip) throws IOException {
    List<String> entries = new java.util.ArrayList<>();
    try (java.util.zip.ZipInputStream in = new java.util.zip.ZipInputStream(
        new java.io.BufferedInputStream(Files.newInputStream(zip)), java.nio.charset.StandardCharsets.UTF_8)) {
      for (ZipEntry entry; (entry = in.getNextEntry()) != null; ) {
        if (entries.size() >= MEMBERS.size()) {
          entries.add("(more entries than a bundle holds)"); // never the central directory's list
          return entries;
        }
        if (entry.getExtra() != null && entry.getExtra().length > 0) {
          entries.add("(an entry header with an extra field)"); // the writer adds none
          return entries;
        }
        entries.add(entry.getName() + " " + member(zip, entry.getName(), in, null, new TreeMap<>()));
      }
    }
    return entries;
  }

  /**
   * Reads one member: its bytes into {@code files} when verification needs them (and {@code files}
   * is not null), a digest unless the chain or seal is its own proof. Returns its digest.
   */
  private static String member(Path bundle, String name, InputStream in, Map<String, byte[]> files, Map<String, String> digests)
      throws IOException {
    MessageDigest sha256;
    try {
      sha256 = MessageDigest.getInstance("SHA-256");
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
    java.io.ByteArrayOutputStream whole = files != null && readWhole(name) ? new java.io.ByteArrayOutputStream() : null;
    byte[] buffer = new byte[64 * 1024];
    long total = 0;
    for (int n; (n = in.read(buffer)) > 0; ) {
      total += n;
      if (total > MAX_MEMBER) {
        throw new EvidenceException("bundle " + bundle + ": member " + name + " is larger than 256 MiB");
      }
      sha256.update(buffer, 0, n);
      if (whole != null) {
        whole.write(buffer, 0, n);
      }
    }
    if (whole != null) {
      files.put(name, whole.toByteArray());
    }
    String digest = "sha256:" + HexFormat.of().formatHex(sha256.digest());
    if (!name.equals(EVENTS) && !name.equals(SEAL)) {
      digests.put(name, digest);
    }
    return digest;
  }
}
