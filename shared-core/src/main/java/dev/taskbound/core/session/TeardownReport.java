package dev.taskbound.core.session;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.taskbound.core.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What teardown did: every step in the order it ran, with its outcome, and the earlier attempts
 * when this one retried a teardown that had failed ({@code taskbound teardown --session}). Written
 * as {@code teardown.json} into the bundle (or its addendum) and next to it.
 *
 * @param sessionId the session's id
 * @param steps this attempt's steps, in the order they ran
 * @param earlier the attempts before this one, oldest first (empty for a first teardown)
 */
public record TeardownReport(String sessionId, List<StepResult> steps, List<TeardownReport> earlier) {
  public TeardownReport {
    steps = List.copyOf(steps);
    earlier = List.copyOf(earlier);
  }

  /** A first teardown attempt. */
  public TeardownReport(String sessionId, List<StepResult> steps) {
    this(sessionId, steps, List.of());
  }

  /** Whether every step of this (the latest) attempt succeeded, was skipped or is scheduled. */
  public boolean ok() {
    return steps.stream().noneMatch(StepResult::failed);
  }

  public List<StepResult> failures() {
    return steps.stream().filter(StepResult::failed).toList();
  }

  /** This attempt's number: 1 for the first teardown, 2 for the first retry, and so on. */
  public int attempt() {
    return earlier.size() + 1;
  }

  /** This report as a retry that followed {@code previous} (and the attempts before it). */
  public TeardownReport after(TeardownReport previous) {
    List<TeardownReport> history = new ArrayList<>(previous.earlier());
    history.add(new TeardownReport(previous.sessionId(), previous.steps()));
    return new TeardownReport(sessionId, steps, history);
  }

  /**
   * The report as pretty-printed JSON: {@code {"session", "ok", "attempt", "steps": [{step, outcome,
   * attempts, error?}], "earlier": [{"attempt", "ok", "steps"}]}}.
   */
  public String toJson() {
    ObjectNode root = Json.MAPPER.createObjectNode().put("session", sessionId).put("ok", ok()).put("attempt", attempt());
    putSteps(root.putArray("steps"), steps);
    if (!earlier.isEmpty()) {
      ArrayNode history = root.putArray("earlier");
      for (int i = 0; i < earlier.size(); i++) {
        ObjectNode attempt = history.addObject().put("attempt", i + 1).put("ok", earlier.get(i).ok());
        putSteps(attempt.putArray("steps"), earlier.get(i).steps());
      }
    }
    try {
      return Json.PRETTY.writeValueAsString(root) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void putSteps(ArrayNode array, List<StepResult> steps) {
    for (StepResult s : steps) {
      ObjectNode node = array.addObject().put("step", s.step()).put("outcome", s.outcome()).put("attempts", s.attempts());
      s.error().ifPresent(e -> node.put("error", e));
    }
  }

  /** Reads what {@link #toJson} wrote; empty if {@code text} is not such a report. */
  static Optional<TeardownReport> parse(String text) {
    try {
      JsonNode root = Json.MAPPER.readTree(text);
      if (root == null || !root.path("steps").isArray()) {
        return Optional.empty();
      }
      List<TeardownReport> history = new ArrayList<>();
      root.path("earlier").forEach(a -> history.add(new TeardownReport(root.path("session").asText(), stepsOf(a.path("steps")))));
      return Optional.of(new TeardownReport(root.path("session").asText(), stepsOf(root.path("steps")), history));
    } catch (JsonProcessingException e) {
      return Optional.empty();
    }
  }

  private static List<StepResult> stepsOf(JsonNode array) {
    List<StepResult> steps = new ArrayList<>();
    for (JsonNode n : array) {
      steps.add(new StepResult(
          n.path("step").asText(),
          n.path("outcome").asText(),
          n.path("attempts").asInt(),
          n.hasNonNull("error") ? Optional.of(n.get("error").asText()) : Optional.empty()));
    }
    return steps;
  }
}
