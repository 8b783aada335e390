package dev.taskbound.core.evidence;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
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
      Path dir = zipFile.toAbsolutePath().getParent();
      Path tmp = Files.createTempFile(dir, ".bundle.", ".tmp");
      try {
        try (OutputStream out = Files.newOutputStream(tmp);
            ZipOutputStream zip = new ZipOutputStream(out, StandardCharsets.UTF_8)) {
          put(zip, Bundle.EVENTS, events);
          if (in.seal() != null) {
            put(zip, Bundle.SEAL, Files.readAllBytes(in.seal()));
          }
          put(zip, Bundle.JWKS, in.jwksJson());
          put(zip, Bundle.POLICY, in.effectivePolicyJson());
          put(zip, Bundle.IDENTITY, in.identityClaimsJson());
          put(zip, Bundle.TEARDOWN, in.teardownJson());
          put(zip, Bundle.SUMMARY, SummaryRenderer.markdown(parsed, in.teardownJson()));
          put(zip, Bundle.REPORT, HtmlReportRenderer.html(parsed, in.teardownJson()));
        }
        Files.move(tmp, zipFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } finally {
        Files.deleteIfExists(tmp);
      }
      return zipFile;
    } catch (IOException e) {
      throw new EvidenceException("cannot write evidence bundle " + zipFile + ": " + e.getMessage(), e);
    }
  }

  private static void put(ZipOutputStream zip, String name, String text) throws IOException {
    if (text != null) {
      put(zip, name, text.getBytes(StandardCharsets.UTF_8));
    }
  }

  private static void put(ZipOutputStream zip, String name, byte[] bytes) throws IOException {
    zip.putNextEntry(new ZipEntry(name));
    zip.write(bytes);
    zip.closeEntry();
  }
}
