package dev.taskbound.core.evidence;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Writes the evidence bundle: a zip with {@code events.jsonl}, {@code seal.json}, {@code jwks.json},
 * {@code effective-policy.json}, {@code identity.json}, {@code teardown.json} (each when given),
 * and {@code summary.md} and {@code report.html} rendered from the events and teardown report. The
 * zip is written to a temporary file and renamed into place, so a reader never sees half a bundle.
 */
public final class BundleWriter {
  private BundleWriter() {}

  /**
   * Writes the bundle and returns {@code zipFile} (replaced if present).
   *
   * @throws EvidenceException if an input file cannot be read or the zip cannot be written. A
   *     broken chain does not stop the writer: the reports show the good prefix and {@code verify}
   *     names the bad line.
   */
  public static Path write(BundleInputs in, Path zipFile) {
    try {
      byte[] events = Files.readAllBytes(in.events());
      int end = EvidenceLog.lastNewline(events) + 1;
      List<EvidenceEvent> parsed = Chain.check(EvidenceLog.splitLines(events, end)).events();
      return writeAtomically(zipFile, ".bundle.", zip -> {
        put(zip, Bundle.EVENTS, events);
        if (in.seal() != null) {
          put(zip, Bundle.SEAL, Files.readAllBytes(in.seal()));
        }
        put(zip, Bundle.JWKS, in.jwksJson());
        put(zip, Bundle.POLICY, in.effectivePolicyJson());
        put(zip, Bundle.IDENTITY, in.identityClaimsJson());
        put(zip, Bundle.TEARDOWN, in.teardownJson());
        put(zip, Bundle.STATEMENT, signerStatement(parsed));
        put(zip, Bundle.SUMMARY, SummaryRenderer.markdown(parsed, in.teardownJson()));
        put(zip, Bundle.REPORT, HtmlReportRenderer.html(parsed, in.teardownJson()));
      });
    } catch (IOException e) {
      throw new EvidenceException("cannot write evidence bundle " + zipFile + ": " + e.getMessage(), e);
    }
  }

  /**
   * Writes the sealed addendum of a bundle (see {@link Addenda}): the lines of {@code fullEvents}
   * after the first {@code baseCount} (which the bundle holds), {@code seal} over the whole chain,
   * the retry's teardown report, {@code addendum.json} naming the bundle it continues, and a summary
   * and report rendered from the whole chain, so they show the final state and every teardown
   * attempt. Written to a temporary file and renamed into place.
   *
   * @throws EvidenceException if an input cannot be read, the log has no more than {@code
   *     baseCount} lines, or the zip cannot be written
   */
  public static Path writeAddendum(Path fullEvents, long baseCount, Path seal, String teardownJson, Path bundleZip, Path zipFile) {
    try {
      byte[] events = Files.readAllBytes(fullEvents);
      int end = EvidenceLog.lastNewline(events) + 1;
      List<EvidenceEvent> parsed = Chain.check(EvidenceLog.splitLines(events, end)).events();
      if (parsed.size() <= baseCount) {
        throw new EvidenceException("cannot write addendum " + zipFile + ": the log has no events after line " + baseCount);
      }
      int from = 0;
      for (long line = 0; line < baseCount; line++) {
        while (events[from] != '\n') {
          from++;
        }
        from++;
      }
      EvidenceEvent last = parsed.get((int) baseCount - 1);
      String addendum = CanonicalJson.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(
          CanonicalJson.MAPPER.createObjectNode()
              .put("format", "taskbound-addendum/v1")
              .put("bundle", bundleZip.getFileName().toString())
              .put("continues_after", baseCount)
              .put("prev", last.hash())
              .put("count", parsed.size()));
      byte[] added = java.util.Arrays.copyOfRange(events, from, end);
      return writeAtomically(zipFile, ".addendum.", zip -> {
        put(zip, Bundle.EVENTS, added);
        put(zip, Bundle.SEAL, Files.readAllBytes(seal));
        put(zip, Bundle.ADDENDUM, addendum);
        put(zip, Bundle.TEARDOWN, teardownJson);
        put(zip, Bundle.SUMMARY, SummaryRenderer.markdown(parsed, teardownJson));
        put(zip, Bundle.REPORT, HtmlReportRenderer.html(parsed, teardownJson));
      });
    } catch (IOException e) {
      throw new EvidenceException("cannot write addendum " + zipFile + ": " + e.getMessage(), e);
    }
  }

  /** A copy of the org signer's statement from session.opened (the chain holds the original), or null. */
  private static String signerStatement(List<EvidenceEvent> events) {
    for (EvidenceEvent e : events) {
      if (e.type().equals("session.opened") && e.data().hasNonNull("signer_statement")) {
        return e.data().get("signer_statement").toPrettyString();
      }
    }
    return null;
  }

  /** The entries of one zip. */
  @FunctionalInterface
  private interface Entries {
    void write(ZipOutputStream zip) throws IOException;
  }

  /**
   * Writes a zip to a temporary file beside {@code zipFile}, makes it readable by the evidence rule
   * ({@link EvidenceFiles}) and renames it into place, so a reader never sees half of one.
   */
  private static Path writeAtomically(Path zipFile, String tmpPrefix, Entries entries) throws IOException {
    Path tmp = Files.createTempFile(zipFile.toAbsolutePath().getParent(), tmpPrefix, ".tmp");
    try {
      // Buffered: the zip writes its headers a field at a time, a system call each unbuffered.
      try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp), 64 * 1024);
          ZipOutputStream zip = new ZipOutputStream(out, StandardCharsets.UTF_8)) {
        entries.write(zip);
      }
      EvidenceFiles.makeReadable(tmp);
      Files.move(tmp, zipFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);
    }
    return zipFile;
  }

  private static void put(ZipOutputStream zip, String name, String text) throws IOException {
    if (text != null) {
      put(zip, name, text.getBytes(StandardCharsets.UTF_8));
    }
  }

  private static void put(ZipOutputStream zip, String name, byte[] bytes) throws IOException {
    ZipEntry entry = new ZipEntry(name);
    // In UTC, whatever the host's zone: the same bundle lists the same times everywhere, and the
    // host's zone rules are not loaded for it (a few milliseconds of every run's teardown).
    entry.setTimeLocal(LocalDateTime.now(ZoneOffset.UTC));
    zip.putNextEntry(entry);
    zip.write(bytes);
    zip.closeEntry();
  }
}
