package dev.taskbound.core.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A scripted stand-in for the OpenAI Responses API ({@code POST /v1/responses}, streamed as
 * server-sent events shaped after the documented stream: {@code response.created},
 * {@code response.output_item.added/done}, {@code response.completed}) over TLS on 127.0.0.1 with a
 * certificate for {@code api.openai.com} signed by a throw-away test CA ({@link #caPem()}).
 *
 * <p>The script, for the Codex CLI: a turn whose input offers Codex's {@code exec} tool (a custom
 * tool taking JavaScript that calls nested tools) gets a {@code custom_tool_call} running
 * {@link #TOOL_COMMAND} through {@code tools.exec_command}; a turn that carries the call's output
 * gets a final message ({@link #FINAL_TEXT}); anything else gets a short message.
 */
public final class ResponsesApiStandIn extends ModelApiStandIn {
  /** What the scripted model asks the agent's shell to run in the workspace. */
  public static final String TOOL_COMMAND = "printf 'written by the agent\\n' > agent-wrote.txt;"
      + " curl -sS --max-time 10 https://blocked.test/ ; echo curl-exit=$?";
  public static final String FINAL_TEXT = "Wrote agent-wrote.txt; blocked.test was refused by the gateway.";

  private final List<String> toolOutputs = new CopyOnWriteArrayList<>();
  private final AtomicInteger toolCalls = new AtomicInteger();
  private final AtomicInteger finals = new AtomicInteger();

  private ResponsesApiStandIn(StandInTls.Started tls, Path dir) {
    super(tls, dir, "/v1/responses", "{\"error\":{\"type\":\"invalid_request_error\",\"message\":\"not in the stand-in\"}}");
  }

  /** Starts on 127.0.0.1:{@code port} (0: any free port); keys and the CA go to {@code dir}. */
  public static ResponsesApiStandIn start(Path dir, int port) throws Exception {
    StandInTls.Started tls = StandInTls.start(dir, "api.openai.com", port, "responses-api-stand-in");
    ResponsesApiStandIn standIn = new ResponsesApiStandIn(tls, dir);
    standIn.serve();
    return standIn;
  }

  /** The output the agent sent back for each tool call, as JSON text. */
  public List<String> toolOutputs() {
    return List.copyOf(toolOutputs);
  }

  public int toolCalls() {
    return toolCalls.get();
  }

  public int finals() {
    return finals.get();
  }

  @Override
  void answer(HttpExchange ex, JsonNode req) throws IOException {
    stream(ex, req.path("model").asText("stand-in"), reply(req));
  }

  /** The scripted turn: a call of {@code exec} while none was answered, a final message after. */
  private ObjectNode reply(JsonNode req) {
    JsonNode output = null;
    boolean offersExec = false;
    for (JsonNode item : req.path("input")) {
      String type = item.path("type").asText();
      if (type.equals("custom_tool_call_output") || type.equals("function_call_output")) {
        output = item.path("output");
      }
      offersExec |= type.equals("additional_tools") && item.toString().contains("\"name\":\"exec\"");
    }
    for (JsonNode tool : req.path("tools")) {
      offersExec |= tool.path("name").asText().equals("exec");
    }
    if (output != null) {
      toolOutputs.add(output.toString());
      finals.incrementAndGet();
      return message(FINAL_TEXT);
    }
    if (!offersExec) {
      return message("ok");
    }
    int n = toolCalls.incrementAndGet();
    String script;
    try {
      script = "const r = await tools.exec_command({cmd: " + JSON.writeValueAsString(TOOL_COMMAND) + "});\n"
          + "text(JSON.stringify(r));";
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return JSON.createObjectNode().put("type", "custom_tool_call").put("id", "ctc_standin_" + n)
        .put("status", "completed").put("call_id", "call_standin_" + n).put("name", "exec").put("input", script);
  }

  private static ObjectNode message(String text) {
    ObjectNode item = JSON.createObjectNode().put("type", "message").put("id", "msg_standin").put("status", "completed")
        .put("role", "assistant");
    item.putArray("content").addObject().put("type", "output_text").put("text", text).putArray("annotations");
    return item;
  }

  private static void stream(HttpExchange ex, String model, ObjectNode item) throws IOException {
    OutputStream out = openStream(ex);
    ObjectNode response = JSON.createObjectNode().put("id", "resp_standin").put("object", "response")
        .put("status", "in_progress").put("model", model);
    response.putArray("output");
    int seq = 0;
    event(out, JSON.createObjectNode().put("type", "response.created").put("sequence_number", seq++).set("response", response));
    event(out, JSON.createObjectNode().put("type", "response.output_item.added").put("sequence_number", seq++)
        .put("output_index", 0).set("item", item));
    event(out, JSON.createObjectNode().put("type", "response.output_item.done").put("sequence_number", seq++)
        .put("output_index", 0).set("item", item));
    ObjectNode done = response.deepCopy().put("status", "completed");
    done.putArray("output").add(item);
    ObjectNode usage = done.putObject("usage").put("input_tokens", 12).put("output_tokens", 7).put("total_tokens", 19);
    usage.putObject("input_tokens_details").put("cached_tokens", 0);
    usage.putObject("output_tokens_details").put("reasoning_tokens", 0);
    event(out, JSON.createObjectNode().put("type", "response.completed").put("sequence_number", seq).set("response", done));
    out.close();
  }

  private static void event(OutputStream out, ObjectNode data) throws IOException {
    event(out, data.path("type").asText(), data);
  }

  /** For the benchmark: {@code ResponsesApiStandIn DIR PORT}; prints {@code ready PORT} and serves until killed. */
  public static void main(String[] args) throws Exception {
    ResponsesApiStandIn s = start(Path.of(args[0]), Integer.parseInt(args[1]));
    System.out.println("ready " + s.port());
    System.out.flush();
    Thread.currentThread().join();
  }
}
