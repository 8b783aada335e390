package dev.taskbound.core.session;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * What teardown did: every step in the order it ran, with its outcome. Written as
 * {@code teardown.json} into the bundle and next to it.
 */
public record TeardownReport(String sessionId, List<StepResult> steps) {
  public TeardownReport {
    steps = List.copyOf(steps);
  }

  /** Whether every step succeeded (or was skipped because there was nothing to undo). */
  public boolean ok() {
    return steps.stream().noneMatch(StepResult::failed);
  }

  public List<StepResult> failures() {
    return steps.stream().filter(StepResult::failed).toList();
  }

  /** The report as pretty-printed JSON: {@code {"session", "ok", "steps": [{step, outcome, attempts, error?}]}}. */
  public String toJson() {
    ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    ObjectNode root = json.createObjectNode().put("session", sessionId).put("ok", ok());
    ArrayNode array = root.putArray("steps");
    for (StepResult s : steps) {
      ObjectNode node = array.addObject().put("step", s.step()).put("outcome", s.outcome()).put("attempts", s.attempts());
      s.error().ifPresent(e -> node.put("error", e));
    }
    try {
      return json.writeValueAsString(root) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
