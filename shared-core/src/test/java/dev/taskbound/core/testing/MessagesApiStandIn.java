package dev.taskbound.core.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A scripted stand-in for the Anthropic Messages API ({@code POST /v1/messages}, streamed as
 * server-sent events shaped after the documented stream: {@code message_start},
 * {@code content_block_start/delta/stop}, {@code message_delta}, {@code message_stop}) over TLS on
 * 127.0.0.1, with a certificate for {@code api.anthropic.com} signed by a throw-away test CA
 * ({@link #caPem()}, for {@code NODE_EXTRA_CA_CERTS}).
 *
 * <p>The script: the first conversation turn that offers the {@code Bash} tool gets a
 * {@code tool_use} of {@link #TOOL_COMMAND}; a turn that carries a {@code tool_result} gets a final
 * text ({@link #FINAL_TEXT}); any other request (side calls without tools) gets a short text.
 * Every request's method and path is logged ({@link #requests()}), so a test can see what the
 * client calls at start. Also runnable on its own for the benchmark: {@code MessagesApiStandIn DIR
 * PORT} writes {@code DIR/ca.pem} and serves until killed.
 */
public final class MessagesApiStandIn extends ModelApiStandIn {
  /** What the scripted model asks the agent's Bash tool to run in the workspace. */
  public static final String TOOL_COMMAND = "printf 'written by the agent\\n' > agent-wrote.txt;"
      + " curl -sS --max-time 10 https://blocked.test/ ; echo curl-exit=$?";
  public static final String FINAL_TEXT = "Wrote agent-wrote.txt; blocked.test was refused by the gateway.";

  /** What a scripted stand-in says once its script is done. */
  public static final String SCRIPT_DONE = "All scripted tool calls were made.";

  private final AtomicInteger toolUses = new AtomicInteger();
  private final AtomicInteger finals = new AtomicInteger();
  /** A scripted conversation's tool calls ({@code name}, {@code input}), in order; null: the default script. */
  private final List<ObjectNode> script;
  private final List<String> toolResults = new java.util.concurrent.CopyOnWriteArrayList<>();

  private MessagesApiStandIn(StandInTls.Started tls, Path dir, List<ObjectNode> script) {
    super(tls, dir, "/v1/messages", "{\"type\":\"error\",\"error\":{\"type\":\"not_found_error\",\"message\":\"not in the stand-in\"}}");
    this.script = script == null ? null : List.copyOf(script);
  }

  /**
   * A stand-in scripted to ask for {@code toolCalls} one turn at a time (each a {@code name} and an
   * {@code input}, the next one once the previous call's {@code tool_result} came back), then to
   * end with {@link #SCRIPT_DONE}. Every tool result's text is kept ({@link #toolResults()}).
   */
  public static MessagesApiStandIn startScripted(Path dir, int port, List<ObjectNode> toolCalls) throws Exception {
    StandInTls.Started tls = StandInTls.start(dir, "api.anthropic.com", port, "messages-api-stand-in");
    MessagesApiStandIn standIn = new MessagesApiStandIn(tls, dir, toolCalls);
    standIn.serve();
    return standIn;
  }

  /** A tool call for {@link #startScripted}. */
  public static ObjectNode toolCall(String name, Map<String, String> input) {
    ObjectNode call = JSON.createObjectNode().put("name", name);
    ObjectNode in = call.putObject("input");
    input.forEach(in::put);
    return call;
  }

  /** The text of every tool result the agent sent back, in order (scripted stand-ins). */
  public List<String> toolResults() {
    return List.copyOf(toolResults);
  }

  /** Starts on 127.0.0.1:{@code port} (0: any free port); keys and the CA go to {@code dir}. */
  public static MessagesApiStandIn start(Path dir, int port) throws Exception {
    StandInTls.Started tls = StandInTls.start(dir, "api.anthropic.com", port, "messages-api-stand-in");
    MessagesApiStandIn standIn = new MessagesApiStandIn(tls, dir, null);
    standIn.serve();
    return standIn;
  }

  public int toolUses() {
    return toolUses.get();
  }

  public int finals() {
    return finals.get();
  }

  @Override
  void answer(HttpExchange ex, JsonNode req) throws IOException {
    List<ObjectNode> content = reply(req);
    String stop = content.stream().anyMatch(c -> c.path("type").asText().equals("tool_use")) ? "tool_use" : "end_turn";
    String model = req.path("model").asText("claude-stand-in");
    if (req.path("stream").asBoolean(false)) {
      stream(ex, model, content, stop);
    } else {
      ObjectNode msg = message(model, stop);
      msg.set("content", JSON.valueToTree(content));
      send(ex, 200, "application/json", JSON.writeValueAsString(msg));
    }
  }

  /** The scripted turn: tool_use once the Bash tool is offered, final text after its result. */
  private List<ObjectNode> reply(JsonNode req) {
    if (script != null) {
      return scripted(req);
    }
    JsonNode messages = req.path("messages");
    JsonNode last = messages.isArray() && messages.size() > 0 ? messages.get(messages.size() - 1) : JSON.nullNode();
    boolean hasToolResult = false;
    for (JsonNode c : last.path("content")) {
      hasToolResult |= c.path("type").asText().equals("tool_result");
    }
    boolean offersBash = false;
    for (JsonNode t : req.path("tools")) {
      offersBash |= t.path("name").asText().equals("Bash");
    }
    List<ObjectNode> out = new ArrayList<>();
    if (hasToolResult) {
      finals.incrementAndGet();
      out.add(text(FINAL_TEXT));
    } else if (offersBash) {
      toolUses.incrementAndGet();
      ObjectNode use = JSON.createObjectNode().put("type", "tool_use").put("id", "toolu_standin_" + toolUses.get())
          .put("name", "Bash");
      use.set("input", JSON.createObjectNode().put("command", TOOL_COMMAND).put("description", "Write a file, try a host"));
      out.add(text("I will run a command."));
      out.add(use);
    } else {
      out.add(text("ok"));
    }
    return out;
  }

  /** The next scripted tool call, counted by the tool results the conversation holds so far. */
  private synchronized List<ObjectNode> scripted(JsonNode req) {
    boolean offersTools = req.path("tools").size() > 0;
    int results = 0;
    List<String> texts = new ArrayList<>();
    for (JsonNode m : req.path("messages")) {
      for (JsonNode c : m.path("content")) {
        if (c.path("type").asText().equals("tool_result")) {
          results++;
          texts.add(c.path("content").isTextual() ? c.path("content").asText() : c.path("content").toString());
        }
      }
    }
    List<ObjectNode> out = new ArrayList<>();
    if (!offersTools) {
      out.add(text("ok"));
      return out;
    }
    if (texts.size() > toolResults.size()) {
      toolResults.addAll(texts.subList(toolResults.size(), texts.size()));
    }
    if (results < script.size()) {
      toolUses.incrementAndGet();
      ObjectNode use = JSON.createObjectNode().put("type", "tool_use").put("id", "toolu_standin_" + (results + 1))
          .put("name", script.get(results).path("name").asText());
      use.set("input", script.get(results).path("input").deepCopy());
      out.add(text("Step " + (results + 1) + "."));
      out.add(use);
    } else {
      finals.incrementAndGet();
      out.add(text(SCRIPT_DONE));
    }
    return out;
  }

  private static ObjectNode text(String t) {
    return JSON.createObjectNode().put("type", "text").put("text", t);
  }

  private static ObjectNode message(String model, String stop) {
    ObjectNode msg = JSON.createObjectNode().put("id", "msg_standin").put("type", "message").put("role", "assistant")
        .put("model", model);
    msg.set("content", JSON.createArrayNode());
    msg.put("stop_reason", stop);
    msg.putNull("stop_sequence");
    msg.set("usage", JSON.createObjectNode().put("input_tokens", 12).put("output_tokens", 7));
    return msg;
  }

  private static void stream(HttpExchange ex, String model, List<ObjectNode> content, String stop) throws IOException {
    OutputStream out = openStream(ex);
    ObjectNode start = message(model, null);
    start.putNull("stop_reason");
    event(out, "message_start", JSON.createObjectNode().put("type", "message_start").set("message", start));
    for (int i = 0; i < content.size(); i++) {
      ObjectNode block = content.get(i);
      boolean tool = block.path("type").asText().equals("tool_use");
      ObjectNode open = block.deepCopy();
      if (tool) {
        open.set("input", JSON.createObjectNode());
      } else {
        open.put("text", "");
      }
      event(out, "content_block_start",
          JSON.createObjectNode().put("type", "content_block_start").put("index", i).set("content_block", open));
      ObjectNode delta = tool
          ? JSON.createObjectNode().put("type", "input_json_delta").put("partial_json", block.get("input").toString())
          : JSON.createObjectNode().put("type", "text_delta").put("text", block.get("text").asText());
      event(out, "content_block_delta",
          JSON.createObjectNode().put("type", "content_block_delta").put("index", i).set("delta", delta));
      event(out, "content_block_stop", JSON.createObjectNode().put("type", "content_block_stop").put("index", i));
    }
    ObjectNode md = JSON.createObjectNode().put("type", "message_delta");
    md.set("delta", JSON.createObjectNode().put("stop_reason", stop).putNull("stop_sequence"));
    md.set("usage", JSON.createObjectNode().put("output_tokens", 7));
    event(out, "message_delta", md);
    event(out, "message_stop", JSON.createObjectNode().put("type", "message_stop"));
    out.close();
  }

  /** For the benchmark: {@code MessagesApiStandIn DIR PORT}; prints {@code ready PORT} and serves until killed. */
  public static void main(String[] args) throws Exception {
    MessagesApiStandIn s = start(Path.of(args[0]), Integer.parseInt(args[1]));
    System.out.println("ready " + s.port());
    System.out.flush();
    Thread.currentThread().join();
  }
}
