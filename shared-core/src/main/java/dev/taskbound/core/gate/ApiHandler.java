package dev.taskbound.core.gate;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.taskbound.core.Json;
import dev.taskbound.core.TaskboundException;
import dev.taskbound.core.broker.Secret;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Serves one exchange: authenticate, route, check the method and body size, ask the policy, serve,
 * record. Error bodies are {@code {"error": code, "message": one line}} and never hold a value.
 */
final class ApiHandler implements HttpHandler {
  static final String SECRETS_PREFIX = "/v1/secrets/";
  static final String TOKEN_PATH = "/v1/github/token";
  static final String HOOKS_PREFIX = "/v1/hooks/";
  static final String GATE_CHECK_PATH = "/v1/gate/check";
  /** A hook event carries the tool's output (PostToolUse): larger than any other request. */
  static final int MAX_HOOK_BYTES = 16 << 20;
  /** A gate check names one action and its target: no more than this. */
  static final int MAX_CHECK_BYTES = 64 << 10;
  /**
   * The hook bodies over 64 KiB held at once, in bytes, from before they are read until their answer
   * (which may wait for a person): a parsed tree takes tens of times its text, and twenty workers each
   * holding a 16 MiB one the agent made exhausted the heap. A larger request waits for room before
   * its body is read (room for what its {@code Content-Length} says, else for the largest body).
   */
  private static final int BODY_BYTES_IN_FLIGHT = MAX_HOOK_BYTES;
  private static final int SMALL_BODY_BYTES = 64 << 10;
  /** How long a large hook body waits for room: less than the hook script's own deadline (600 s). */
  static final int ROOM_WAIT_SECONDS = 300;
  private final java.util.concurrent.Semaphore inFlight = new java.util.concurrent.Semaphore(BODY_BYTES_IN_FLIGHT);
  /** Secret names: what the policy's {@code name} fields accept. */
  static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

  /** A response: status, JSON body, extra headers, and what to run once it was sent. */
  private record Reply(int status, Map<String, Object> body, Map<String, String> headers, Runnable after) {
    static final Runnable NOTHING = () -> { };

    Reply(int status, Map<String, Object> body) {
      this(status, body, Map.of(), NOTHING);
    }

    static Reply error(int status, String error, String message) {
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("error", error);
      body.put("message", message);
      return new Reply(status, body);
    }

    Reply with(String header, String value) {
      Map<String, String> h = new LinkedHashMap<>(headers);
      h.put(header, value);
      return new Reply(status, body, h, after);
    }
  }

  private final AgentApiConfig config;
  private final byte[] expected;
  private final byte[] expectedHook;
  private final ObjectMapper json = Json.MAPPER;
  /** Refreshes run one at a time: each replaces (and revokes) the token before it. */
  private final Object refreshLock = new Object();

  ApiHandler(AgentApiConfig config, Secret capability, Secret hookCapability) {
    this.config = config;
    this.expected = ("Bearer " + capability.reveal()).getBytes(StandardCharsets.UTF_8);
    this.expectedHook = ("Bearer " + hookCapability.reveal()).getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      Reply reply;
      try {
        reply = respond(exchange);
      } catch (NotRecorded e) {
        reply = Reply.error(500, "not_recorded", "the access could not be recorded in the evidence, so nothing was served");
      } catch (RuntimeException | IOException e) {
        // Never echo the exception: a provider's message is not ours to vouch for.
        reply = Reply.error(500, "internal", "the agent API failed to serve this request");
      }
      try {
        send(exchange, reply);
      } finally {
        reply.after().run();
      }
    }
  }

  /**
   * Requests without the capability, which anything on the host can send (the API listens on
   * loopback), are recorded up to this many, so they cannot fill the evidence. Everything a holder
   * of the capability asks (a secret that does not exist included) is always recorded.
   */
  static final int MAX_RECORDED_REFUSALS = 200;
  private final java.util.concurrent.atomic.AtomicInteger refusals = new java.util.concurrent.atomic.AtomicInteger();

  private Reply respond(HttpExchange exchange) throws IOException {
    String path = exchange.getRequestURI().getRawPath();
    Optional<AccessAction> action = route(path);
    String name = action.map(a -> a == AccessAction.SECRET_READ ? path.substring(SECRETS_PREFIX.length()) : "github")
        .filter(n -> NAME.matcher(n).matches()).orElse("");
    // Hook events take the hook's capability and only it; everything else the agent's (docs/hooks.md).
    boolean hookEvent = path.startsWith(HOOKS_PREFIX);
    if (!authenticated(exchange.getRequestHeaders().get("Authorization"), hookEvent ? expectedHook : expected)) {
      record(action, name, AccessEvent.Outcome.UNAUTHENTICATED, "missing or invalid capability", Optional.empty());
      return Reply.error(401, "unauthorized", hookEvent
              ? "a hook event needs the header 'Authorization: Bearer <the hook capability>' that the session placed for"
                  + " the agent's hook command; the agent's own capability is not accepted here"
              : "this request needs the header 'Authorization: Bearer $TASKBOUND_AGENT_TOKEN' with this session's capability")
          .with("WWW-Authenticate", "Bearer realm=\"taskbound\"");
    }
    if (path.startsWith(HOOKS_PREFIX) || path.equals(GATE_CHECK_PATH)) {
      return hook(exchange, path.substring("/v1/".length()));
    }
    if (action.isEmpty()) {
      return Reply.error(404, "not_found",
          "no such endpoint: '" + printable(path) + "'; the agent API serves GET " + SECRETS_PREFIX + "{name} and POST " + TOKEN_PATH);
    }
    String method = action.get() == AccessAction.SECRET_READ ? "GET" : "POST";
    if (!method.equals(exchange.getRequestMethod())) {
      return Reply.error(405, "method_not_allowed",
              printable(exchange.getRequestMethod()) + " is not allowed on " + printable(path) + "; use " + method)
          .with("Allow", method);
    }
    if (!readBodyWithinLimit(exchange)) {
      return Reply.error(413, "payload_too_large", "the request body exceeds " + config.maxBodyBytes() + " bytes");
    }
    if (name.isEmpty()) {
      return Reply.error(400, "bad_request",
          "invalid secret name '" + printable(path.substring(SECRETS_PREFIX.length()))
              + "': a name is 1-128 characters of A-Z a-z 0-9 . _ - starting with a letter or digit");
    }
    Optional<Reply> spent = overBudget(action.get(), name);
    if (spent.isPresent()) {
      return spent.get();
    }
    Optional<Reply> refused = decide(new AccessRequest(action.get(), name), callerGone(exchange));
    if (refused.isPresent()) {
      return refused.get();
    }
    return action.get() == AccessAction.SECRET_READ ? readSecret(name) : refreshToken();
  }

  /** What a session serves at most ({@link ServeBudget}); past either, {@code 429}. */
  static final int MAX_SECRET_READS = 2_000;
  static final int MAX_REFRESHES = 100;
  private final ServeBudget budget = new ServeBudget(MAX_SECRET_READS, MAX_REFRESHES);

  private Optional<Reply> overBudget(AccessAction action, String name) {
    return budget.spend(action).map(spent -> {
      if (spent.first()) {
        record(Optional.of(action), name, AccessEvent.Outcome.DENIED, spent.message(), Optional.empty());
      }
      return Reply.error(429, "budget_exhausted", spent.message());
    });
  }

  /** A hook event or gate check: POST with a JSON object, answered by the {@link HookHandler}. */
  private Reply hook(HttpExchange exchange, String endpoint) throws IOException {
    if (!"POST".equals(exchange.getRequestMethod())) {
      return Reply.error(405, "method_not_allowed", printable(exchange.getRequestMethod()) + " is not allowed on /v1/"
          + printable(endpoint) + "; use POST").with("Allow", "POST");
    }
    int limit = endpoint.equals(GATE_CHECK_PATH.substring("/v1/".length())) ? MAX_CHECK_BYTES : MAX_HOOK_BYTES;
    int held = reserved(exchange.getRequestHeaders().getFirst("Content-Length"), limit);
    try {
      // bounded: a hook that waits past the agent's own timeout would not block the call it asks about
      if (!inFlight.tryAcquire(held, ROOM_WAIT_SECONDS, java.util.concurrent.TimeUnit.SECONDS)) {
        return Reply.error(503, "busy", "other hook events hold the room for large bodies; this one is refused");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Reply.error(503, "unavailable", "the agent API is stopping");
    }
    try {
      byte[] body = exchange.getRequestBody().readNBytes(limit + 1);
      if (body.length > limit) {
        return Reply.error(413, "payload_too_large", "the " + (limit == MAX_CHECK_BYTES ? "gate check" : "hook event")
            + " exceeds " + limit + " bytes");
      }
      int needed = body.length > SMALL_BODY_BYTES ? body.length : 0;
      if (needed > held) { // longer than its Content-Length said: a framing this API does not read
        return Reply.error(400, "bad_request", "the body is longer than its Content-Length");
      }
      inFlight.release(held - needed);
      held = needed;
      return parsedAndHandled(exchange, endpoint, body);
    } finally {
      inFlight.release(held);
    }
  }

  /** Room to reserve before a body is read: none for a small one, else its declared length, else the most it may be. */
  static int reserved(String contentLength, int limit) {
    long declared;
    try {
      declared = contentLength == null ? limit : Long.parseLong(contentLength.strip());
    } catch (NumberFormatException e) {
      declared = limit;
    }
    long room = Math.min(Math.max(declared, 0), limit);
    return room > SMALL_BODY_BYTES ? (int) room : 0;
  }

  private Reply parsedAndHandled(HttpExchange exchange, String endpoint, byte[] body) throws IOException {
    com.fasterxml.jackson.databind.JsonNode event;
    try {
      event = json.readTree(body);
    } catch (IOException e) {
      return Reply.error(400, "bad_request", "the body is not JSON; a hook event is the JSON object the agent's hook received");
    }
    if (event == null || !event.isObject()) {
      return Reply.error(400, "bad_request", "the body is not a JSON object; a hook event is the JSON object the agent's hook received");
    }
    HookHandler.Answer answer;
    try {
      answer = config.hooks().handle(endpoint, event, callerGone(exchange));
    } catch (RuntimeException e) {
      throw new NotRecorded();
    }
    return new Reply(answer.status(), answer.body());
  }

  private static Optional<AccessAction> route(String path) {
    if (path.startsWith(SECRETS_PREFIX)) {
      return Optional.of(AccessAction.SECRET_READ);
    }
    return TOKEN_PATH.equals(path) ? Optional.of(AccessAction.GITHUB_TOKEN_REFRESH) : Optional.empty();
  }

  private static boolean authenticated(List<String> headers, byte[] expected) {
    if (headers == null || headers.size() != 1) {
      return false;
    }
    // Constant time for equal lengths; the length of "Bearer tbcap_" + 43 characters is public.
    return MessageDigest.isEqual(expected, headers.get(0).getBytes(StandardCharsets.UTF_8));
  }

  /** Reads and discards the body; false if it is (or announces itself) larger than the limit. */
  private boolean readBodyWithinLimit(HttpExchange exchange) throws IOException {
    String length = exchange.getRequestHeaders().getFirst("Content-Length");
    if (length != null) {
      try {
        if (Long.parseLong(length.strip()) > config.maxBodyBytes()) {
          return false;
        }
      } catch (NumberFormatException e) {
        return false;
      }
    }
    InputStream in = exchange.getRequestBody();
    return in.readNBytes(config.maxBodyBytes() + 1).length <= config.maxBodyBytes();
  }

  /** Whether the client of {@code exchange} closed its connection (a decision may wait for a person meanwhile). */
  private static java.util.function.BooleanSupplier callerGone(HttpExchange exchange) {
    return new TcpPeerGone(exchange.getLocalAddress(), exchange.getRemoteAddress());
  }

  private Optional<Reply> decide(AccessRequest request, java.util.function.BooleanSupplier callerGone) {
    Decision decision = config.policy().decide(request, callerGone);
    if (decision instanceof Decision.Deny deny) {
      record(Optional.of(request.action()), request.name(), AccessEvent.Outcome.DENIED, deny.reason(), Optional.empty());
      return Optional.of(Reply.error(403, "forbidden", request.action() + " of '" + request.name() + "' denied: " + deny.reason()));
    }
    if (decision instanceof Decision.NeedsApproval approval) {
      record(Optional.of(request.action()), request.name(), AccessEvent.Outcome.APPROVAL_REQUIRED, approval.reason(),
          Optional.empty());
      return Optional.of(Reply.error(403, "approval_required",
          request.action() + " of '" + request.name() + "' needs approval: " + approval.reason()));
    }
    if (!(decision instanceof Decision.Allow)) {
      throw new IllegalStateException("the access policy returned no decision");
    }
    return Optional.empty();
  }

  private Reply readSecret(String name) {
    Optional<Secret> secret;
    try {
      secret = config.secrets().get(name);
    } catch (TaskboundException e) {
      return failed(AccessAction.SECRET_READ, name, e);
    }
    if (secret.isEmpty()) {
      String known = config.secrets().names().isEmpty() ? "none" : String.join(", ", config.secrets().names());
      String message = "no on-request secret named '" + name + "'; this session's on-request secrets: " + known;
      record(Optional.of(AccessAction.SECRET_READ), name, AccessEvent.Outcome.NOT_FOUND, message, Optional.empty());
      return Reply.error(404, "not_found", message);
    }
    record(Optional.of(AccessAction.SECRET_READ), name, AccessEvent.Outcome.GRANTED, "", Optional.of(secret.get().fingerprint()));
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("name", name);
    body.put("value", secret.get().reveal());
    return new Reply(200, body);
  }

  private Reply refreshToken() {
    if (config.tokens().isEmpty()) {
      String message = "this session has no GitHub token to refresh (the policy grants none)";
      record(Optional.of(AccessAction.GITHUB_TOKEN_REFRESH), "github", AccessEvent.Outcome.NOT_FOUND, message, Optional.empty());
      return Reply.error(404, "not_found", message);
    }
    RefreshedToken fresh;
    synchronized (refreshLock) {
      try {
        fresh = config.tokens().get().refresh();
      } catch (TaskboundException e) {
        return failed(AccessAction.GITHUB_TOKEN_REFRESH, "github", e);
      }
      // Recorded before the next refresh may replace the token the listener names (an injected one's)
      record(Optional.of(AccessAction.GITHUB_TOKEN_REFRESH), "github", AccessEvent.Outcome.GRANTED, "",
          Optional.of(fresh.token().fingerprint()));
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("token", fresh.token().reveal());
    body.put("expires_at", fresh.expiresAt().map(Object::toString).orElse(null));
    return new Reply(200, body, Map.of(), () -> afterServed(fresh));
  }

  /** Runs the refresher's follow-up (revoking the replaced token); its failure goes to the evidence. */
  private void afterServed(RefreshedToken fresh) {
    String failure;
    try {
      fresh.afterServed().run();
      return;
    } catch (TaskboundException e) {
      failure = e.getMessage();
    } catch (RuntimeException e) {
      failure = e.getClass().getName();
    }
    try {
      config.listener().accessed(new AccessEvent(Optional.of(AccessAction.GITHUB_TOKEN_REFRESH), "github",
          AccessEvent.Outcome.FAILED, "after serving the fresh token: " + failure, Optional.empty()));
    } catch (RuntimeException e) {
      // The agent has its answer and there is nobody left to tell; the journal still holds the undo.
    }
  }

  private Reply failed(AccessAction action, String name, TaskboundException e) {
    String message = action + " of '" + name + "' failed: " + e.getMessage();
    record(Optional.of(action), name, AccessEvent.Outcome.FAILED, e.getMessage(), Optional.empty());
    return Reply.error(502, "upstream_failed", message);
  }

  private void record(Optional<AccessAction> action, String name, AccessEvent.Outcome outcome, String detail, Optional<String> fp) {
    String said = detail;
    if (outcome == AccessEvent.Outcome.UNAUTHENTICATED) {
      int n = refusals.incrementAndGet();
      if (n > MAX_RECORDED_REFUSALS) {
        return; // answered, not recorded: the cap below was reached and said so
      }
      if (n == MAX_RECORDED_REFUSALS) {
        said = detail + "; the last such refusal recorded: further requests without the capability are answered, not"
            + " recorded (a cap of " + MAX_RECORDED_REFUSALS + ")";
      }
    }
    try {
      config.listener().accessed(new AccessEvent(action, name, outcome, said, fp));
    } catch (RuntimeException e) {
      throw new NotRecorded();
    }
  }

  /** The listener failed; the request is answered without serving anything. */
  private static final class NotRecorded extends RuntimeException {
    private static final long serialVersionUID = 1L;

    NotRecorded() {
      super(null, null, false, false);
    }
  }

  private void send(HttpExchange exchange, Reply reply) throws IOException {
    byte[] body = json.writeValueAsBytes(reply.body());
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.getResponseHeaders().set("Cache-Control", "no-store");
    reply.headers().forEach((k, v) -> exchange.getResponseHeaders().set(k, v));
    exchange.sendResponseHeaders(reply.status(), body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  /** Quotes request text in a message: at most 80 printable ASCII characters. */
  private static String printable(String s) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < s.length() && b.length() < 80; i++) {
      char c = s.charAt(i);
      b.append(c >= 0x20 && c < 0x7f ? c : '?');
    }
    return s.length() > 80 ? b + "..." : b.toString();
  }
}
