package dev.taskbound.core.egress;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

/**
 * The ref updates at the start of a git smart-HTTP {@code git-receive-pack} request body
 * (gitprotocol-pack: pkt-lines {@code <old-oid> SP <new-oid> SP <ref>}, the first with NUL and
 * capabilities, then a flush-pkt {@code 0000}, then the pack). Stateless.
 */
final class ReceivePack {
  /** One ref update. */
  record Update(String ref, boolean create, boolean delete) {}

  /**
   * The command list: its updates and the capabilities the client asked for after the first
   * command's NUL ({@code report-status}, {@code side-band-64k}, ...).
   */
  record Commands(List<Update> updates, Set<String> capabilities) {
    Commands {
      updates = List.copyOf(updates);
      capabilities = Set.copyOf(capabilities);
    }
  }

  private ReceivePack() {}

  /**
   * The updates, once the command list is complete in {@code body} (its first {@code length}
   * bytes, de-chunked); empty while more bytes are needed.
   *
   * @throws ProxyRequestException 400 if the bytes are not a command list
   */
  static Optional<List<Update>> parse(byte[] body, int length) throws ProxyRequestException {
    return parseCommands(body, length).map(Commands::updates);
  }

  /**
   * The command list with the capabilities asked for, once it is complete in {@code body} (its
   * first {@code length} bytes, de-chunked); empty while more bytes are needed.
   *
   * @throws ProxyRequestException 400 if the bytes are not a command list
   */
  static Optional<Commands> parseCommands(byte[] body, int length) throws ProxyRequestException {
    List<Update> out = new ArrayList<>();
    Set<String> capabilities = new HashSet<>();
    int i = 0;
    while (true) {
      if (length - i < 4) {
        return Optional.empty();
      }
      int len = hex4(body, i);
      if (len == 0) {
        if (out.isEmpty()) {
          throw bad("an empty command list");
        }
        return Optional.of(new Commands(out, capabilities));
      }
      if (len < 4) {
        throw bad("a pkt-line length of " + len);
      }
      if (length - i < len) {
        return Optional.empty();
      }
      String line = new String(body, i + 4, len - 4, StandardCharsets.ISO_8859_1);
      int nul = line.indexOf('\0');
      if (nul >= 0) {
        if (out.isEmpty()) {
          String asked = line.substring(nul + 1).strip();
          capabilities.addAll(asked.isEmpty() ? List.of() : List.of(asked.split(" +")));
        }
        line = line.substring(0, nul);
      }
      line = line.endsWith("\n") ? line.substring(0, line.length() - 1) : line;
      if (line.startsWith("shallow ") || line.startsWith("push-cert")) {
        throw bad("push certificates and shallow pushes are not accepted through inspection");
      }
      String[] parts = line.split(" ");
      if (parts.length != 3 || !parts[0].matches("[0-9a-f]{40}|[0-9a-f]{64}") || !parts[1].matches("[0-9a-f]{40}|[0-9a-f]{64}")
          || !parts[2].startsWith("refs/")) {
        throw bad("a command line that is not '<old-oid> <new-oid> <ref>'");
      }
      out.add(new Update(parts[2], parts[0].chars().allMatch(c -> c == '0'), parts[1].chars().allMatch(c -> c == '0')));
      i += len;
    }
  }

  private static int hex4(byte[] b, int at) throws ProxyRequestException {
    int v = 0;
    for (int k = 0; k < 4; k++) {
      int d = Character.digit(b[at + k], 16);
      if (d < 0) {
        throw bad("a pkt-line length that is not hexadecimal");
      }
      v = v * 16 + d;
    }
    return v;
  }

  private static ProxyRequestException bad(String what) {
    return new ProxyRequestException(400, "the git-receive-pack request starts with " + what
        + "; accepted: ref update commands, a flush-pkt, then the pack");
  }
}
