package dev.taskbound.core.evidence;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.Objects;

/**
 * One line of the evidence log. {@code data} is a JSON object ({@link #data()} returns a copy); {@code prev} is
 * the previous line's {@code hash} (or {@link #GENESIS} on line 1); {@code hash} is {@code
 * "sha256:"} + hex SHA-256 of the canonical JSON of the line without {@code hash}. Timestamps have
 * millisecond precision and print as RFC 3339 UTC ({@code 2026-11-27T10:49:39.123Z}).
 */
public record EvidenceEvent(
    long seq, Instant ts, String type, String session, JsonNode data, String prev, String hash) {

  /** The {@code prev} of line 1: {@code "sha256:"} followed by 64 zeros. */
  public static final String GENESIS = "sha256:" + "0".repeat(64);

  static final DateTimeFormatter TS =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  public EvidenceEvent {
    Objects.requireNonNull(ts, "ts");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(session, "session");
    Objects.requireNonNull(data, "data");
    Objects.requireNonNull(prev, "prev");
    Objects.requireNonNull(hash, "hash");
    ts = ts.truncatedTo(ChronoUnit.MILLIS);
    data = data.deepCopy();
  }

  /** The {@code data} member; a copy, so the event stays immutable. */
  @Override
  public JsonNode data() {
    return data.deepCopy();
  }

  /** The {@code data} member as a map of plain Java values (strings, numbers, lists, maps). */
  @SuppressWarnings("unchecked")
  public Map<String, Object> dataMap() {
    return CanonicalJson.MAPPER.convertValue(data, Map.class);
  }

  /** A scalar member of {@code data} as text (numbers and booleans too); {@code null} when absent, null or a container. */
  public String text(String field) {
    JsonNode n = data.get(field);
    return n == null || n.isNull() || n.isContainerNode() ? null : n.asText();
  }

  /** The timestamp as written: RFC 3339 UTC with milliseconds. */
  public String tsText() {
    return TS.format(ts);
  }

  /** The line as stored: canonical JSON including {@code hash}, without the newline. */
  public String toJsonLine() {
    ObjectNode node = withoutHash(seq, tsText(), type, session, data, prev);
    node.put("hash", hash);
    return CanonicalJson.string(node);
  }

  static ObjectNode withoutHash(long seq, String ts, String type, String session, JsonNode data, String prev) {
    ObjectNode node = CanonicalJson.MAPPER.createObjectNode();
    node.put("seq", seq);
    node.put("ts", ts);
    node.put("type", type);
    node.put("session", session);
    node.set("data", data);
    node.put("prev", prev);
    return node;
  }

  /** {@code "sha256:"} + hex SHA-256 of the canonical form of {@code node}. */
  static String hashOf(JsonNode node) {
    return "sha256:" + Fingerprint.sha256Hex(CanonicalJson.bytes(node));
  }
}
