package dev.taskbound.core.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * What the scripted model API stand-ins share: the TLS server ({@link StandInTls}), a log of every
 * request's method and path (in memory and in {@code requests.log} beside the keys), a 404 for
 * anything but the one streamed endpoint, and server-sent events.
 */
abstract class ModelApiStandIn implements AutoCloseable {
  static final ObjectMapper JSON = new ObjectMapper();

  private final HttpsServer server;
  private final Path caPem;
  private final Path log;
  private final String endpoint;
  private final String notFound;
  private final List<String> requests = new CopyOnWriteArrayList<>();
  private final List<String> apiKeys = new CopyOnWriteArrayList<>();

  /**
   * @param endpoint the one path answered ({@code POST} only)
   * @param notFound the JSON body of the 404 for anything else, in the API's error shape
   */
  ModelApiStandIn(StandInTls.Started tls, Path dir, String endpoint, String notFound) {
    this.server = tls.server();
    this.caPem = tls.caPem();
    this.log = dir.resolve("requests.log");
    this.endpoint = endpoint;
    this.notFound = notFound;
  }

  /** Starts answering; the subclass's factory calls it once the object is whole. */
  final void serve() {
    server.createContext("/", this::handle);
  }

  /** Answers one request to the endpoint, parsed. */
  abstract void answer(HttpExchange ex, JsonNode request) throws IOException;

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

  /**
   * The credential each request to the endpoint carried, in arrival order: its {@code x-api-key}
   * (Anthropic), else its {@code Authorization} (OpenAI-style {@code Bearer}), else {@code ""}.
   */
  public List<String> apiKeys() {
    return List.copyOf(apiKeys);
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
        Files.writeString(log, line + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
      }
      byte[] body = ex.getRequestBody().readAllBytes();
      if (!ex.getRequestMethod().equals("POST") || !ex.getRequestURI().getPath().equals(endpoint)) {
        send(ex, 404, "application/json", notFound);
        return;
      }
      String key = ex.getRequestHeaders().getFirst("x-api-key");
      String authorization = ex.getRequestHeaders().getFirst("Authorization");
      apiKeys.add(key != null ? key : authorization != null ? authorization : "");
      answer(ex, JSON.readTree(body));
    }
  }

  /** Sends the headers of a server-sent event stream; the events follow on the response body. */
  static OutputStream openStream(HttpExchange ex) throws IOException {
    ex.getResponseHeaders().set("Content-Type", "text/event-stream");
    ex.getResponseHeaders().set("Cache-Control", "no-cache");
    ex.sendResponseHeaders(200, 0);
    return ex.getResponseBody();
  }

  static void event(OutputStream out, String name, JsonNode data) throws IOException {
    out.write(("event: " + name + "\ndata: " + JSON.writeValueAsString(data) + "\n\n").getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  static void send(HttpExchange ex, int status, String type, String body) throws IOException {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", type);
    ex.sendResponseHeaders(status, b.length);
    ex.getResponseBody().write(b);
  }
}
