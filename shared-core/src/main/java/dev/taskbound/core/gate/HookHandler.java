package dev.taskbound.core.gate;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import java.util.Objects;

/**
 * Serves the agent API's hook endpoints (docs/hooks.md): {@code POST /v1/hooks/{agent}} (an agent's
 * hook event, e.g. Claude Code's, as its hook received it) and {@code POST /v1/gate/check} (the
 * generic {@code taskbound gate check}). Called on the API's worker threads, after the capability
 * was checked; must record what it is told before it answers.
 */
public interface HookHandler {
  /** Answers every hook with {@code 404}: the session serves no hooks. */
  HookHandler NONE = (endpoint, event) -> Answer.error(404, "not_found", "this session serves no hooks");

  /**
   * What the API sends back: a status and a JSON body. For an agent's hook, a {@code 200} body is
   * exactly what the agent's hook prints (its documented output format).
   */
  record Answer(int status, Map<String, Object> body) {
    public Answer {
      Objects.requireNonNull(body, "body");
    }

    public static Answer ok(Map<String, Object> body) {
      return new Answer(200, body);
    }

    public static Answer error(int status, String error, String message) {
      return new Answer(status, Map.of("error", error, "message", message));
    }
  }

  /**
   * @param endpoint {@code hooks/<agent>} or {@code gate/check}
   * @param event the request's JSON body
   * @throws RuntimeException if the event could not be recorded: the API answers {@code 500} and the
   *     agent's hook fails closed
   */
  Answer handle(String endpoint, JsonNode event);

  /**
   * As {@link #handle(String, JsonNode)}, for a caller that can tell when the hook's client went
   * away: a decision that waits for a person may stop waiting once {@code callerGone} answers true.
   * By default the client is not asked about.
   */
  default Answer handle(String endpoint, JsonNode event, java.util.function.BooleanSupplier callerGone) {
    return handle(endpoint, event);
  }
}
