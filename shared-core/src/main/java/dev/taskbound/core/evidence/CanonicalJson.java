package dev.taskbound.core.evidence;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.ToStringSerializer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * The canonical JSON form that evidence hashes and seals cover (see docs/evidence.md): UTF-8, no
 * whitespace, object members sorted by name (Java {@link String#compareTo}, i.e. UTF-16 code
 * units), arrays in order, strings escaped as Jackson does by default, numbers as Jackson prints
 * them. Stateless and thread-safe.
 */
final class CanonicalJson {
  /** Also writes {@code Instant}s and {@code Duration}s in data as their ISO-8601 strings. */
  static final ObjectMapper MAPPER =
      JsonMapper.builder()
          .addModule(new SimpleModule("taskbound-evidence")
              .addSerializer(Instant.class, ToStringSerializer.instance)
              .addSerializer(Duration.class, ToStringSerializer.instance))
          .build();
  private static final JsonFactory FACTORY = MAPPER.getFactory();

  private CanonicalJson() {}

  static byte[] bytes(JsonNode node) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(256);
    try (JsonGenerator g = FACTORY.createGenerator(out)) {
      write(g, node);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  static String string(JsonNode node) {
    return new String(bytes(node), java.nio.charset.StandardCharsets.UTF_8);
  }

  private static void write(JsonGenerator g, JsonNode node) throws IOException {
    if (node.isObject()) {
      List<String> names = new ArrayList<>();
      node.fieldNames().forEachRemaining(names::add);
      names.sort(null);
      g.writeStartObject();
      for (String name : names) {
        g.writeFieldName(name);
        write(g, node.get(name));
      }
      g.writeEndObject();
    } else if (node.isArray()) {
      g.writeStartArray();
      for (Iterator<JsonNode> it = node.elements(); it.hasNext(); ) {
        write(g, it.next());
      }
      g.writeEndArray();
    } else {
      g.writeTree(node);
    }
  }
}
