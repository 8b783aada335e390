package dev.taskbound.core.evidence;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Writes the evidence bundle in two steps, so that the seal covers every member: {@link #render}
 * makes the members ({@code jwks.json}, {@code effective-policy.json}, {@code identity.json}, {@code
 * teardown.json} and {@code signer-statement.json} when given, and {@code summary.md} and {@code
 * report.html} rendered from the events and teardown report), {@link Sealer#seal} signs their
 * digests with the chain, and {@link #write} packs the events, the seal and the members into a zip,
 * written to a temporary file and renamed into place, so a reader never sees half a bundle.
 */
public final class BundleWriter {
  private BundleWriter() {}

  /**
   * A bundle's content before its seal: the log byte for byte, and the other members by name in
   * the order the zip holds them.
   */
  public record Content(byte[] events, Map<String, byte[]> members) {
    public Content {
      Objects.requireNonNull(events, "events");
      members = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(members));
    }
  }

  /**
   * Renders a bundle's members from its inputs.
   *
   * @throws EvidenceException if the log cannot be read. A broken chain does not stop it: the
   *     reports show the good prefix and {@code verify} names the bad line.
   */
  public static Content render(BundleInputs in) {
    try {
      byte[] events = Files.readAllBytes(in.events());
      int end = EvidenceLog.lastNewline(events) + 1;
      List<EvidenceEvent> parsed = Chain.check(EvidenceLog.splitLines(events, end)).events();
      Map<String, byte[]> members = new LinkedHashMap<>();
      put(members, Bundle.JWKS, in.jwksJson());
      put(members, Bundle.POLICY, in.effectivePolicyJson());
      put(members, Bundle.IDENTITY, in.identityClaimsJson());
      put(members, Bundle.TEARDOWN, in.teardownJson());
      put(members, Bundle.STATEMENT, signerStatement(parsed));
      put(members, Bundle.SUMMARY, SummaryRenderer.markdown(parsed, in.teardownJson()));
      put(members, Bundle.REPORT, HtmlReportRenderer.html(parsed, in.teardownJson()));
      return new Content(events, members);
    } catch (IOException e) {
      throw new EvidenceException("cannot read the evidence log " + in.events() + ": " + e.getMessage(), e);
    }
  }

  /**
   * Renders the addendum of a bundle (see {@link Addenda}): the lines of {@code fullEvents} after the
   * first {@code baseCount} (which the bundle holds), the retry's teardown report, {@code
   * addendum.json} naming the bundle it continues, and a summary and report rendered from the whole
   * chain, so they show the final state and every teardown attempt. Its seal covers the whole chain.
   *
   * @throws EvidenceException if the log cannot be read or has no more than {@code baseCount} lines
   */
  public static Content renderAddendum(Path fullEvents, long baseCount, String teardownJson, Path bundleZip) {
    try {
      byte[] events = Files.readAllBytes(fullEvents);
      int end = EvidenceLog.lastNewline(events) + 1;
      List<EvidenceEvent> parsed = Chain.check(EvidenceLog.splitLines(events, end)).events();
      if (parsed.size() <= baseCount) {
        throw new EvidenceException("cannot write the addendum of " + bundleZip + ": the log has no events after line " + baseCount);
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
      Map<String, byte[]> members = new LinkedHashMap<>();
      put(members, Bundle.ADDENDUM, addendum);
      put(members, Bundle.TEARDOWN, teardownJson);
      put(members, Bundle.SUMMARY, SummaryRenderer.markdown(parsed, teardownJson));
      put(members, Bundle.REPORT, HtmlReportRenderer.html(parsed, teardownJson));
      return new Content(java.util.Arrays.copyOfRange(events, from, end), members);
    } catch (IOException e) {
      throw new EvidenceException("cannot read the evidence log " + fullEvents + ": " + e.getMessage(), e);
    }
  }

  /**
   * Writes {@code content} and its seal as the zip {@code zipFile} (replaced if present) and returns it.
   *
   * @param seal the seal.json {@link Sealer#seal} wrote over {@code content}, or null if sealing
   *     failed (the bundle then verifies as unsealed)
   * @throws EvidenceException if the seal cannot be read or the zip cannot be written
   */
  public static Path write(Content content, Path seal, Path zipFile) {
    try {
      byte[] sealBytes = seal == null ? null : Files.readAllBytes(seal);
      return writeAtomically(zipFile, ".bundle.", zip -> {
        put(zip, Bundle.EVENTS, content.events());
        if (sealBytes != null) {
          put(zip, Bundle.SEAL, sealBytes);
        }
        for (Map.Entry<String, byte[]> member : content.members().entrySet()) {
          put(zip, member.getKey(), member.getValue());
        }
      });
    } catch (IOException e) {
      throw new EvidenceException("cannot write evidence bundle " + zipFile + ": " + e.getMessage(), e);
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

  /** Writes a zip atomically, readable by the evidence rule ({@link EvidenceFiles#publish}). */
  private static Path writeAtomically(Path zipFile, String tmpPrefix, Entries entries) throws IOException {
    EvidenceFiles.publish(zipFile, tmpPrefix, out -> {
      // Buffered: the zip writes its headers a field at a time, a system call each unbuffered.
      ZipOutputStream zip = new ZipOutputStream(new BufferedOutputStream(out, 64 * 1024), StandardCharsets.UTF_8);
      entries.write(zip);
      zip.finish();
      zip.flush();
    });
    return zipFile;
  }

  private static void put(Map<String, byte[]> members, String name, String text) {
    if (text != null) {
      members.put(name, text.getBytes(StandardCharsets.UTF_8));
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
