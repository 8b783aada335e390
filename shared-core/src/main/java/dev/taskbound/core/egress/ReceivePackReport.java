package dev.taskbound.core.egress;

import dev.taskbound.core.SafeText;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;

/**
 * The answer the gateway gives a {@code git-receive-pack} request it refuses, in git's own terms
 * (gitprotocol-pack, "Report Status"): {@code unpack ok}, then {@code ng <ref> <reason>} for every
 * ref of the push and a flush-pkt, inside side-band-64k band 1 when the client asked for it (with
 * the full reason on band 2 first, which git prints as {@code remote: ...}). So {@code git push}
 * prints {@code ! [remote rejected] main -> main (<reason naming the rule>)} instead of a bare
 * {@code HTTP 403}. Only a client that asked for a status report gets one; stateless.
 */
final class ReceivePackReport {
  /** The largest pkt-line (gitprotocol-common: LARGE_PACKET_MAX): 4 length bytes, the band byte, the data. */
  private static final int MAX_PACKET = 65520;
  /** The most of one reason on an {@code ng} line; the full text goes on band 2. */
  private static final int MAX_REASON = 400;

  /** One ref of the refused push and why it was not updated. */
  record Refused(String ref, String reason) {}

  private ReceivePackReport() {}

  /** Whether the client asked for a status report (without one, git cannot show a reason: answer 403). */
  static boolean wanted(Set<String> capabilities) {
    return capabilities.contains("report-status") || capabilities.contains("report-status-v2");
  }

  /**
   * The response body ({@code application/x-git-receive-pack-result}).
   *
   * @param capabilities what the client asked for on its first command line
   * @param refs every ref of the push, each with its reason (one line; escaped and cut here)
   * @param message the full explanation, sent on band 2 when side-band is in use (one line per entry)
   */
  static byte[] body(Set<String> capabilities, List<Refused> refs, List<String> message) {
    ByteArrayOutputStream report = new ByteArrayOutputStream();
    pkt(report, "unpack ok\n".getBytes(StandardCharsets.US_ASCII));
    for (Refused r : refs) {
      String reason = SafeText.line(r.reason());
      ByteArrayOutputStream line = new ByteArrayOutputStream();
      line.writeBytes("ng ".getBytes(StandardCharsets.US_ASCII));
      line.writeBytes(r.ref().getBytes(StandardCharsets.ISO_8859_1)); // the ref's bytes as the client sent them
      line.writeBytes((" " + (reason.length() > MAX_REASON ? reason.substring(0, MAX_REASON) + "..." : reason) + "\n")
          .getBytes(StandardCharsets.UTF_8));
      pkt(report, line.toByteArray());
    }
    report.writeBytes("0000".getBytes(StandardCharsets.US_ASCII));
    if (!capabilities.contains("side-band-64k") && !capabilities.contains("side-band")) {
      return report.toByteArray();
    }
    int max = capabilities.contains("side-band-64k") ? MAX_PACKET : 1000;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (String line : message) {
      band(out, 2, (SafeText.line(line) + "\n").getBytes(StandardCharsets.UTF_8), max);
    }
    band(out, 1, report.toByteArray(), max);
    out.writeBytes("0000".getBytes(StandardCharsets.US_ASCII));
    return out.toByteArray();
  }

  private static void pkt(ByteArrayOutputStream out, byte[] data) {
    out.writeBytes(String.format("%04x", data.length + 4).getBytes(StandardCharsets.US_ASCII));
    out.writeBytes(data);
  }

  /** {@code data} in packets of band {@code band}, each at most {@code max} bytes long. */
  private static void band(ByteArrayOutputStream out, int band, byte[] data, int max) {
    int room = max - 5;
    for (int at = 0; at < data.length; at += room) {
      int n = Math.min(room, data.length - at);
      out.writeBytes(String.format("%04x", n + 5).getBytes(StandardCharsets.US_ASCII));
      out.write(band);
      out.write(data, at, n);
    }
  }
}
