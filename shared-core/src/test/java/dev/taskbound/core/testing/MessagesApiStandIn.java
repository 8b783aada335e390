package dev.taskbound.core.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

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
public final class MessagesApiStandIn implements AutoCloseable {
  /** What the scripted model asks the agent's Bash tool to run in the workspace. */
  public static final String TOOL_COMMAND = "printf 'written by the agent\\n' > agent-wrote.txt;"
      + " curl -sS --max-time 10 https://blocked.test/ ; echo curl-exit=$?";
  public static final String FINAL_TEXT = "Wrote agent-wrote.txt; blocked.test was refused by the gateway.";

  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpsServer server;
  private final Path caPem;
  private final List<String> requests = new CopyOnWriteArrayList<>();
  private final AtomicInteger toolUses = new AtomicInteger();
  private final AtomicInteger finals = new AtomicInteger();
  private final Path log;

  private MessagesApiStandIn(HttpsServer server, Path caPem, Path log) {
    this.server = server;
    this.caPem = caPem;
    this.log = log;
  }

  /** Starts on 127.0.0.1:{@code port} (0: any free port); keys and the CA go to {@code dir}. */
  public static MessagesApiStandIn start(Path dir, int port) throws Exception {
    Path ca = dir.resolve("ca.p12");
    Path server = dir.resolve("server.p12");
    Path caPem = dir.resolve("ca.pem");
    Path csr = dir.resolve("api.csr");
    Path leaf = dir.resolve("api.pem");
    keytool("-genkeypair", "-alias", "ca", "-keystore", ca.toString(), "-storetype", "PKCS12", "-storepass", "changeit",
        "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=Taskbound Test CA", "-ext", "bc:c", "-validity", "2");
    keytool("-exportcert", "-rfc", "-alias", "ca", "-keystore", ca.toString(), "-storepass", "changeit", "-file", caPem.toString());
    keytool("-genkeypair", "-alias", "api", "-keystore", server.toString(), "-storetype", "PKCS12", "-storepass", "changeit",
        "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=api.anthropic.com", "-validity", "2");
    keytool("-certreq", "-alias", "api", "-keystore", server.toString(), "-storepass", "changeit", "-file", csr.toString());
    keytool("-gencert", "-alias", "ca", "-keystore", ca.toString(), "-storepass", "changeit", "-infile", csr.toString(),
        "-outfile", leaf.toString(), "-rfc", "-validity", "2", "-ext", "SAN=dns:api.anthropic.com,dns:localhost,ip:127.0.0.1",
        "-ext", "EKU=serverAuth", "-ext", "KU=digitalSignature");
    keytool("-importcert", "-noprompt", "-alias", "ca", "-file", caPem.toString(), "-keystore", server.toString(),
        "-storepass", "changeit");
    keytool("-importcert", "-noprompt", "-alias", "api", "-file", leaf.toString(), "-keystore", server.toString(),
        "-storepass", "changeit");
    HttpsServer https = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 64);
    https.setHttpsConfigurator(new HttpsConfigurator(sslContext(server)));
    https.setExecutor(Executors.newFixedThreadPool(8, r -> {
      Thread t = new Thread(r, "messages-api-stand-in");
      t.setDaemon(true);
      return t;
    }));
    MessagesApiStandIn standIn = new MessagesApiStandIn(https, caPem, dir.resolve("requests.log"));
    https.createContext("/", standIn::handle);
    https.start();
    return standIn;
  }

  public int port() {
    return server.getAddress().getPort();
  }

  public Path caPem() {
    return caPem;
  }

  /** {@code METHOD /path} of every request so far, in arrival order (query strings dropped). */
  public List<String> requests() {
    return List.copyOf(requests);
  }

  public int toolUses() {
    return toolUses.get();
  }

  public int finals() {
    return finals.get();
  }

  @Override
  public void close() {
    server.stop(0);
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      String line = ex.getRequestMethod() + " " + ex.getRequestURI().getPath();
      requests.add(line);
      synchronized (this) {
        Files.writeString(log, line + "\n", StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.CREATE,
            java.nio.file.StandardOpenOption.APPEND);
      }
      byte[] body = ex.getRequestBody().readAllBytes();
      if (!ex.getRequestMethod().equals("POST") || !ex.getRequestURI().getPath().equals("/v1/messages")) {
        send(ex, 404, "application/json",
            "{\"type\":\"error\",\"error\":{\"type\":\"not_found_error\",\"message\":\"not in the stand-in\"}}");
        return;
      }
      JsonNode req = JSON.readTree(body);
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
  }

  /** The scripted turn: tool_use once the Bash tool is offered, final text after its result. */
  private List<ObjectNode> reply(JsonNode req) {
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
    ex.getResponseHeaders().set("Content-Type", "text/event-stream");
    ex.getResponseHeaders().set("Cache-Control", "no-cache");
    ex.sendResponseHeaders(200, 0);
    OutputStream out = ex.getResponseBody();
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

  private static void event(OutputStream out, String name, JsonNode data) throws IOException {
    out.write(("event: " + name + "\ndata: " + JSON.writeValueAsString(data) + "\n\n").getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  private static void send(HttpExchange ex, int status, String type, String body) throws IOException {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", type);
    ex.sendResponseHeaders(status, b.length);
    ex.getResponseBody().write(b);
  }

  private static SSLContext sslContext(Path keyStore) throws Exception {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = new FileInputStream(keyStore.toFile())) {
      ks.load(in, "changeit".toCharArray());
    }
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(ks, "changeit".toCharArray());
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(kmf.getKeyManagers(), null, null);
    return ctx;
  }

  private static void keytool(String... args) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException("keytool failed: " + out);
    }
  }

  /** For the benchmark: {@code MessagesApiStandIn DIR PORT}; prints {@code ready PORT} and serves until killed. */
  public static void main(String[] args) throws Exception {
    MessagesApiStandIn s = start(Path.of(args[0]), Integer.parseInt(args[1]));
    System.out.println("ready " + s.port());
    System.out.flush();
    Thread.currentThread().join();
  }
}
