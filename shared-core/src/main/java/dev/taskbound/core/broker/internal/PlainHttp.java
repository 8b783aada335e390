package dev.taskbound.core.broker.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.taskbound.core.Json;
import dev.taskbound.core.broker.CallFailure;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The few calls the client libraries lack, sent with the JDK's HttpClient. Redirects are never
 * followed (a redirect would carry the token elsewhere). Error bodies are reduced to the service's
 * own error text, capped, before they reach a message.
 */
public final class PlainHttp {
  private static final ObjectMapper JSON = Json.MAPPER;
  private static final int MAX_DETAIL = 200;

  private PlainHttp() {}

  /** A client that never follows redirects, with this connect timeout. */
  public static HttpClient client(Duration connectTimeout) {
    return HttpClient.newBuilder()
        .connectTimeout(connectTimeout)
        .followRedirects(HttpClient.Redirect.NEVER)
        .build();
  }

  /**
   * Sends {@code request} and returns the response whatever its status.
   *
   * @throws CallFailure (transient) when no response arrived
   */
  public static HttpResponse<String> send(HttpClient client, HttpRequest request) throws CallFailure {
    try {
      return client.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw CallFailure.ofNoResponse(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw CallFailure.permanent("interrupted");
    }
  }

  /** The failure for an unexpected status: retriable per {@link CallFailure#ofStatus}. */
  public static CallFailure failure(HttpResponse<String> response) {
    return CallFailure.ofStatus(
        response.statusCode(),
        CallFailure.parseRetryAfter(response.headers().firstValue("Retry-After").orElse(null)),
        errorText(response.body()));
  }

  /** A JSON request body. */
  public static HttpRequest.BodyPublisher json(Map<String, ?> body) {
    try {
      return HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body));
    } catch (IOException e) {
      throw new IllegalArgumentException("body is not serialisable as JSON", e);
    }
  }

  /** Parses a JSON body; an unparsable body gives an empty object. */
  public static JsonNode parse(String body) {
    try {
      JsonNode node = JSON.readTree(body == null ? "" : body);
      return node == null || node.isMissingNode() ? JSON.createObjectNode() : node;
    } catch (IOException e) {
      return JSON.createObjectNode();
    }
  }

  /**
   * The error text of a GitHub ({@code message}) or Vault ({@code errors}) error body, capped;
   * empty for other bodies (an HTML error page is not worth quoting).
   */
  public static String errorText(String body) {
    JsonNode node = parse(body);
    List<String> parts = new ArrayList<>();
    if (node.path("message").isTextual()) {
      parts.add(node.path("message").asText());
    }
    node.path("errors").forEach(e -> parts.add(e.isTextual() ? e.asText() : e.toString()));
    String text = String.join("; ", parts).replaceAll("\\s+", " ").strip();
    return text.length() > MAX_DETAIL ? text.substring(0, MAX_DETAIL) + "…" : text;
  }
}
