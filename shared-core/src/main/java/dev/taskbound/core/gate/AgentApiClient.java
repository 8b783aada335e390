package dev.taskbound.core.gate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.taskbound.core.Json;
import dev.taskbound.core.broker.Secret;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ProxySelector;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The agent's side of the {@link AgentApi}, used by {@code taskbound secret get} and {@code
 * taskbound token refresh} inside the sandbox. Reads {@code TASKBOUND_AGENT_API}, {@code
 * TASKBOUND_AGENT_TOKEN} and the proxy variables from the environment it is given, and sends each
 * request through that proxy (the sandbox's forwarder, hence the session's gateway). Thread-safe.
 */
public final class AgentApiClient {
  /** Proxy variables for an {@code http://} URL, in the order they are consulted. */
  static final List<String> PROXY_VARIABLES = List.of("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY", "https_proxy", "HTTPS_PROXY");

  /** Longer than the longest approval wait ({@code gate.approval.timeout}, at most 9 minutes). */
  private static final Duration APPROVAL_WAIT = Duration.ofMinutes(10);

  private final URI base;
  private final Secret capability;
  private final HttpClient http;
  private final Duration timeout;
  private final ObjectMapper json = Json.MAPPER;

  private AgentApiClient(URI base, Secret capability, Optional<InetSocketAddress> proxy, Duration timeout) {
    this.base = base;
    this.capability = capability;
    HttpClient.Builder b = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10))
        .followRedirects(HttpClient.Redirect.NEVER);
    proxy.ifPresent(p -> b.proxy(ProxySelector.of(p)));
    this.http = b.build();
    this.timeout = timeout;
  }

  /**
   * A client for the session whose variables are in {@code env}. Without a proxy variable the
   * client connects directly (only useful when {@code TASKBOUND_AGENT_API} names a reachable
   * address; {@code taskbound.internal} is known only to the gateway).
   *
   * @param env the process environment, read once by the caller
   * @throws AgentApiUsageException if {@code TASKBOUND_AGENT_API} or {@code TASKBOUND_AGENT_TOKEN}
   *     is missing or malformed, or a proxy variable is not an {@code http://host:port} URL
   */
  public static AgentApiClient fromEnvironment(Map<String, String> env) {
    Objects.requireNonNull(env, "env");
    String api = env.getOrDefault(AgentApi.ENV_API, "");
    String token = env.getOrDefault(AgentApi.ENV_TOKEN, "");
    if (api.isBlank() || token.isBlank()) {
      throw new AgentApiUsageException("not inside a Taskbound session: " + (api.isBlank() ? AgentApi.ENV_API : AgentApi.ENV_TOKEN)
          + " is not set (taskbound run sets it for the agent when the policy grants on-request secrets or a GitHub token)");
    }
    URI base = parseBase(api.strip());
    return new AgentApiClient(base, Secret.of(token.strip()), proxyFrom(env), Duration.ofSeconds(120));
  }

  private static URI parseBase(String api) {
    String accepted = "; expected http://taskbound.internal:PORT";
    URI uri;
    try {
      uri = new URI(api);
    } catch (URISyntaxException e) {
      throw new AgentApiUsageException(AgentApi.ENV_API + " is not a URL: '" + api + "'" + accepted);
    }
    if (!"http".equals(uri.getScheme()) || uri.getHost() == null || uri.getPort() < 1 || uri.getRawUserInfo() != null
        || !(uri.getRawPath() == null || uri.getRawPath().isEmpty() || "/".equals(uri.getRawPath()))
        || uri.getRawQuery() != null || uri.getRawFragment() != null) {
      throw new AgentApiUsageException(AgentApi.ENV_API + " is not a base URL with host and port: '" + api + "'" + accepted);
    }
    return URI.create("http://" + uri.getRawAuthority());
  }

  private static Optional<InetSocketAddress> proxyFrom(Map<String, String> env) {
    for (String name : PROXY_VARIABLES) {
      String value = env.getOrDefault(name, "").strip();
      if (value.isEmpty()) {
        continue;
      }
      URI uri;
      try {
        uri = new URI(value.contains("://") ? value : "http://" + value);
      } catch (URISyntaxException e) {
        uri = null;
      }
      if (uri == null || !"http".equals(uri.getScheme()) || uri.getHost() == null) {
        throw new AgentApiUsageException(name + " is not an http proxy URL (value not shown: it may hold credentials); expected http://HOST:PORT");
      }
      return Optional.of(InetSocketAddress.createUnresolved(uri.getHost(), uri.getPort() < 0 ? 80 : uri.getPort()));
    }
    return Optional.empty();
  }

  /**
   * Fetches an on-request secret.
   *
   * @throws AgentApiRefusedException if the API refuses (401, 403, 404) or fails (5xx)
   * @throws AgentApiException if the API cannot be reached (connection failure, the gateway denied
   *     or could not dial {@code taskbound.internal})
   * @throws AgentApiUsageException if {@code name} is not a valid secret name
   */
  public Secret secret(String name) {
    Objects.requireNonNull(name, "name");
    if (!ApiHandler.NAME.matcher(name).matches()) {
      throw new AgentApiUsageException("invalid secret name '" + name
          + "': a name is 1-128 characters of A-Z a-z 0-9 . _ - starting with a letter or digit");
    }
    // An approve decision waits for a person up to gate.approval.timeout (at most 9 minutes).
    JsonNode body = call(HttpRequest.newBuilder(base.resolve(ApiHandler.SECRETS_PREFIX + name)).timeout(APPROVAL_WAIT).GET(),
        "get secret '" + name + "'");
    return Secret.of(text(body, "value", "get secret '" + name + "'"));
  }

  /**
   * Asks for a fresh GitHub token; the session revokes the one it replaces.
   *
   * @throws AgentApiRefusedException if the API refuses (401, 403, 404) or fails (5xx)
   * @throws AgentApiException if the API cannot be reached
   */
  public RefreshedToken refreshToken() {
    String what = "refresh the GitHub token";
    JsonNode body = call(HttpRequest.newBuilder(base.resolve(ApiHandler.TOKEN_PATH)).timeout(APPROVAL_WAIT)
        .POST(HttpRequest.BodyPublishers.noBody()), what);
    Secret token = Secret.of(text(body, "token", what));
    Optional<Instant> expires = Optional.empty();
    JsonNode at = body.get("expires_at");
    if (at != null && at.isTextual()) {
      try {
        expires = Optional.of(Instant.parse(at.asText()));
      } catch (DateTimeParseException e) {
        throw new AgentApiException("could not " + what + ": the agent API sent an invalid expires_at '" + at.asText() + "'");
      }
    }
    return new RefreshedToken(token, expires);
  }

  /**
   * What the gate decided about an action ({@code POST /v1/gate/check}, docs/hooks.md).
   *
   * @param decision {@code allow}, {@code approve} or {@code deny}
   * @param rule the deciding rule as the evidence names it
   * @param reason one line saying why
   */
  public record GateAnswer(String decision, String rule, String reason) {}

  /**
   * Asks the session's gate to decide {@code action} on {@code target}; the session records the
   * decision ({@code gate.decided}) with {@code reason}.
   *
   * @throws AgentApiRefusedException if the API refuses (400 bad action, 401, 404 no hooks) or fails (5xx)
   * @throws AgentApiException if the API cannot be reached
   */
  public GateAnswer gateCheck(String action, String target, String reason) {
    String what = "check " + action + " with the gate";
    byte[] request;
    try {
      request = json.writeValueAsBytes(java.util.Map.of("action", action, "target", target, "reason", reason));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    // An approve decision waits for a person up to gate.approval.timeout (at most 9 minutes).
    JsonNode body = call(HttpRequest.newBuilder(base.resolve(ApiHandler.GATE_CHECK_PATH)).timeout(APPROVAL_WAIT)
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(request)), what);
    return new GateAnswer(text(body, "decision", what), text(body, "rule", what), body.path("reason").asText(""));
  }

  private JsonNode call(HttpRequest.Builder request, String what) {
    HttpResponse<byte[]> response;
    try {
      HttpRequest.Builder timed = request.build().timeout().isPresent() ? request : request.timeout(timeout);
      response = http.send(timed.header("Authorization", "Bearer " + capability.reveal())
          .header("Accept", "application/json").build(), HttpResponse.BodyHandlers.ofByteArray());
    } catch (IOException e) {
      throw new AgentApiException("could not " + what + ": the agent API at " + base + " is unreachable ("
          + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AgentApiException("could not " + what + ": interrupted");
    }
    String raw = new String(response.body(), java.nio.charset.StandardCharsets.UTF_8);
    if (response.headers().firstValue("X-Taskbound-Decision").isPresent()) {
      // The gateway itself answered: the API is not allowed or not reachable from here.
      throw new AgentApiException("could not " + what + ": the session's gateway refused " + base + " (HTTP "
          + response.statusCode() + "): " + raw.strip());
    }
    JsonNode body = parse(raw);
    if (response.statusCode() == 200 && body != null) {
      return body;
    }
    if (body == null || !body.path("error").isTextual()) {
      throw new AgentApiException("could not " + what + ": " + base + " answered HTTP " + response.statusCode()
          + " without an agent API error; is it reached through the session's gateway?");
    }
    String error = body.path("error").asText();
    String message = body.path("message").asText("");
    throw new AgentApiRefusedException(response.statusCode(), error,
        "could not " + what + ": the agent API answered " + response.statusCode() + " " + error + ": " + message + hint(response.statusCode()));
  }

  private static String hint(int status) {
    return status == 401 ? " (" + AgentApi.ENV_TOKEN + " must be the capability of the session serving " + AgentApi.ENV_API + ")" : "";
  }

  private JsonNode parse(String raw) {
    try {
      JsonNode node = json.readTree(raw);
      return node != null && node.isObject() ? node : null;
    } catch (IOException e) {
      return null;
    }
  }

  private static String text(JsonNode body, String field, String what) {
    JsonNode v = body.get(field);
    if (v == null || !v.isTextual() || v.asText().isEmpty()) {
      throw new AgentApiException("could not " + what + ": the agent API's answer has no '" + field + "'");
    }
    return v.asText();
  }
}
