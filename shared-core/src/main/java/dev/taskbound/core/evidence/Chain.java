package dev.taskbound.core.evidence;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Checks a sequence of evidence lines: each parses, its hash matches its content, its prev matches
 * the line before (the genesis value on line 1), seq runs 1..n, and every line names the same
 * session. Stops at the first bad line. Shared by {@link EvidenceLog#resume} and {@link
 * BundleVerifier} so both judge a chain the same way.
 */
final class Chain {
  private static final Set<String> FIELDS = Set.of("seq", "ts", "type", "session", "data", "prev", "hash");
  /**
   * JSON objects and arrays one line may hold, and the whole chain: every line is parsed and kept, and
   * a small hostile bundle of empty objects (hundreds of MiB unpacked from a few hundred KiB) would
   * take gigabytes. Far above any event Taskbound writes, and above a chain of the default 100,000
   * gateway events with the rest of a session beside them (a gateway event is two or three). Only
   * for what {@code verify} is given: the session's own log is bounded by its budgets.
   */
  static final int MAX_CONTAINERS_PER_LINE = 100_000;
  static final long MAX_CONTAINERS = 4_000_000;

  /** The lines before the first bad one, parsed, and the problem (null when all are good). */
  record Result(List<EvidenceEvent> events, long badLine, String problem) {
    boolean ok() {
      return problem == null;
    }

    String lastHash() {
      return events.isEmpty() ? EvidenceEvent.GENESIS : events.get(events.size() - 1).hash();
    }
  }

  private Chain() {}

  /** Checks {@code lines}; a null line is one that was not valid UTF-8 ({@link EvidenceLog#splitLines}). */
  static Result check(List<String> lines) {
    return check(lines, Integer.MAX_VALUE, Long.MAX_VALUE); // the session's own log: its budget bounds it
  }

  /**
   * As {@link #check(List)} for a bundle from elsewhere.
   *
   * @throws EvidenceException (unreadable, not tampered) past {@link #MAX_CONTAINERS_PER_LINE} or {@link #MAX_CONTAINERS}
   */
  static Result checkReceived(List<String> lines) {
    return check(lines, MAX_CONTAINERS_PER_LINE, MAX_CONTAINERS);
  }

  /** As {@link #check(List)}, with the caps given. */
  static Result check(List<String> lines, int maxPerLine, long max) {
    List<EvidenceEvent> events = new ArrayList<>(lines.size());
    String prevHash = EvidenceEvent.GENESIS;
    String session = null;
    long containers = 0;
    for (int i = 0; i < lines.size(); i++) {
      long n = i + 1;
      if (lines.get(i) == null) {
        return new Result(events, n, "line " + n + ": not valid UTF-8 (edited?)");
      }
      int inLine = containers(lines.get(i));
      containers += inLine;
      if (inLine > maxPerLine || containers > max) {
        throw new EvidenceException("line " + n + ": more JSON objects and arrays than an evidence log holds (at most "
            + maxPerLine + " in a line, " + max + " in all): not read further");
      }
      EvidenceEvent e;
      try {
        e = parse(lines.get(i));
      } catch (IllegalArgumentException ex) {
        return new Result(events, n, "line " + n + ": " + ex.getMessage());
      }
      String expected = EvidenceEvent.hashOf(EvidenceEvent.withoutHash(e.seq(), e.tsText(), e.type(), e.session(), e.data(), e.prev()));
      if (!expected.equals(e.hash())) {
        return new Result(events, n, "line " + n + ": hash mismatch (edited?)");
      }
      if (!prevHash.equals(e.prev())) {
        String why = n == 1
            ? "line 1: prev is not the genesis value (lines removed from the start?)"
            : "line " + n + ": prev does not match line " + (n - 1) + " (deleted or reordered?)";
        return new Result(events, n, why);
      }
      if (e.seq() != n) {
        return new Result(events, n, "line " + n + ": seq is " + e.seq() + ", expected " + n + " (deleted, reordered or inserted?)");
      }
      if (session == null) {
        session = e.session();
      } else if (!session.equals(e.session())) {
        return new Result(events, n, "line " + n + ": session '" + e.session() + "' differs from line 1 ('" + session + "')");
      }
      events.add(e);
      prevHash = e.hash();
    }
    return new Result(events, 0, null);
  }

  /**
   * The JSON objects and arrays {@code line} opens: its {@code &#123;} and {@code [} outside strings
   * (inside them they are the agent's text, a prompt or a command, which any event may carry).
   */
  private static int containers(String line) {
    int n = 0;
    boolean inString = false;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (inString) {
        if (c == '\\') {
          i++; // the escaped character, a quote included
        } else if (c == '"') {
          inString = false;
        }
      } else if (c == '"') {
        inString = true;
      } else if (c == '{' || c == '[') {
        n++;
      }
    }
    return n;
  }

  /** Parses one line; the exception's message says what is wrong, without the line number. */
  static EvidenceEvent parse(String line) {
    if (line.isEmpty()) {
      throw new IllegalArgumentException("empty line");
    }
    JsonNode node;
    try {
      node = CanonicalJson.MAPPER.readTree(line);
    } catch (JsonProcessingException ex) {
      throw new IllegalArgumentException("not valid JSON (edited or torn?)");
    }
    if (!(node instanceof ObjectNode obj)) {
      throw new IllegalArgumentException("not a JSON object");
    }
    for (var it = obj.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!FIELDS.contains(f)) {
        throw new IllegalArgumentException("unexpected field '" + f + "'");
      }
    }
    JsonNode seq = obj.get("seq");
    if (seq == null || !seq.canConvertToExactIntegral() || !seq.isIntegralNumber()) {
      throw new IllegalArgumentException("seq is missing or not an integer");
    }
    String ts = textField(obj, "ts");
    Instant instant;
    try {
      instant = Instant.from(EvidenceEvent.TS.parse(ts));
    } catch (DateTimeParseException ex) {
      throw new IllegalArgumentException("ts '" + ts + "' is not RFC 3339 UTC with milliseconds");
    }
    JsonNode data = obj.get("data");
    if (data == null || !data.isObject()) {
      throw new IllegalArgumentException("data is missing or not an object");
    }
    EvidenceEvent event = new EvidenceEvent(
        seq.asLong(), instant, textField(obj, "type"), textField(obj, "session"), data, textField(obj, "prev"), textField(obj, "hash"));
    // The hash covers the parsed content: text after the object, a key given twice or another
    // spelling of the same content would otherwise ride along unhashed (and differ for other readers).
    if (!line.equals(event.toJsonLine())) {
      throw new IllegalArgumentException("not in canonical form (text after the object, a repeated key or other"
          + " spacing, order or escaping: edited?)");
    }
    return event;
  }

  private static String textField(ObjectNode obj, String name) {
    JsonNode n = obj.get(name);
    if (n == null || !n.isTextual()) {
      throw new IllegalArgumentException(name + " is missing or not a string");
    }
    return n.asText();
  }
}
