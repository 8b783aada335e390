package dev.taskbound.core.gate;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.taskbound.core.broker.BrokerException;
import dev.taskbound.core.broker.Secret;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The agent API on loopback with the JDK HttpClient: auth, routing, policy, listener, refresh. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AgentApiTest {
  @org.junit.jupiter.api.BeforeAll
  static void asTheHostsApplyIt() {
    AgentApiJvm.applyToThisJvm(); // as Main does: the test's JDK client keeps its connections
  }

  static final String VALUE = "s3cret-api-key-value-7f3a";
  static final Secret API_KEY = Secret.of(VALUE);

  final List<AccessEvent> events = new CopyOnWriteArrayList<>();
  final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
  final ObjectMapper json = new ObjectMapper();
  AgentApi api;

  @AfterEach
  void stop() {
    if (api != null) {
      api.close();
    }
  }

  AgentApi start(AgentApiConfig.Builder config) {
    api = AgentApi.start(config.listener(events::add).build());
    return api;
  }

  AgentApi startWithSecrets() {
    return start(AgentApiConfig.builder().secrets(SecretProvider.of(Map.of("api-key", API_KEY, "db.password", Secret.of("pw-2")))));
  }

  HttpResponse<String> send(String method, String path, Optional<String> authorization, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.port() + path))
        .timeout(Duration.ofSeconds(20))
        .method(method, body.isEmpty() ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    authorization.ifPresent(a -> b.header("Authorization", a));
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> authed(String method, String path) throws Exception {
    return send(method, path, Optional.of("Bearer " + api.capability().reveal()), "");
  }

  JsonNode body(HttpResponse<String> r) throws Exception {
    return json.readTree(r.body());
  }

  @Test
  void servesAnOnRequestSecretToTheCapabilityHolderAndRecordsItsFingerprint() throws Exception {
    startWithSecrets();

    HttpResponse<String> r = authed("GET", "/v1/secrets/api-key");

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo("{\"name\":\"api-key\",\"value\":\"" + VALUE + "\"}");
    assertThat(r.headers().firstValue("Cache-Control")).contains("no-store");
    assertThat(r.headers().firstValue("Content-Type")).contains("application/json");
    assertThat(events).containsExactly(new AccessEvent(Optional.of(AccessAction.SECRET_READ), "api-key",
        AccessEvent.Outcome.GRANTED, "", Optional.of(API_KEY.fingerprint())));
  }

  @Test
  void requestWithoutCapabilityGets401AndNoValue() throws Exception {
    startWithSecrets();

    HttpResponse<String> r = send("GET", "/v1/secrets/api-key", Optional.empty(), "");

    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(body(r).path("error").asText()).isEqualTo("unauthorized");
    assertThat(body(r).path("message").asText())
        .isEqualTo("this request needs the header 'Authorization: Bearer $TASKBOUND_AGENT_TOKEN' with this session's capability");
    assertThat(r.headers().firstValue("WWW-Authenticate")).contains("Bearer realm=\"taskbound\"");
    assertThat(r.body()).doesNotContain(VALUE);
    assertThat(events).singleElement().satisfies(e -> assertThat(e.outcome()).isEqualTo(AccessEvent.Outcome.UNAUTHENTICATED));
  }

  /** Anything on the host can reach the loopback port: requests without the capability are recorded up to a cap. */
  @Test
  void refusalsAnyoneCanCauseAreRecordedUpToACap() throws Exception {
    startWithSecrets();

    java.util.concurrent.ExecutorService callers = java.util.concurrent.Executors.newFixedThreadPool(4);
    try {
      List<java.util.concurrent.Future<Integer>> statuses = new java.util.ArrayList<>();
      for (int i = 0; i < ApiHandler.MAX_RECORDED_REFUSALS + 5; i++) {
        statuses.add(callers.submit(() -> send("GET", "/v1/secrets/api-key", Optional.of("Bearer wrong"), "").statusCode()));
      }
      for (java.util.concurrent.Future<Integer> status : statuses) {
        assertThat(status.get(60, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(401);
      }
    } finally {
      callers.shutdownNow();
    }

    assertThat(events).hasSize(ApiHandler.MAX_RECORDED_REFUSALS)
        .allSatisfy(e -> assertThat(e.outcome()).isEqualTo(AccessEvent.Outcome.UNAUTHENTICATED));
    assertThat(events).filteredOn(e -> e.detail().contains("the last such refusal recorded")).hasSize(1);
    assertThat(authed("GET", "/v1/secrets/api-key").statusCode()).isEqualTo(200); // what is served is still recorded
    assertThat(authed("GET", "/v1/secrets/probe").statusCode()).isEqualTo(404); // and what the capability asks for
    assertThat(events).hasSize(ApiHandler.MAX_RECORDED_REFUSALS + 2)
        .anySatisfy(e -> assertThat(e.outcome()).isEqualTo(AccessEvent.Outcome.NOT_FOUND));
  }

  @Test
  void wrongOrMalformedCapabilitiesGet401() throws Exception {
    startWithSecrets();
    String real = api.capability().reveal();
    List<String> wrong = List.of(
        "Bearer " + real.substring(0, real.length() - 1) + (real.endsWith("A") ? "B" : "A"),
        "Bearer " + real + "x",
        "bearer " + real,
        "Basic " + real,
        real,
        "Bearer ");

    for (String header : wrong) {
      HttpResponse<String> r = send("GET", "/v1/secrets/api-key", Optional.of(header), "");

      assertThat(r.statusCode()).as(header.replace(real, "<capability>")).isEqualTo(401);
      assertThat(r.body()).doesNotContain(VALUE);
    }
  }

  @Test
  void capabilityIsA256BitRandomValueUniqueToEachApi() {
    AgentApi first = startWithSecrets();

    try (AgentApi second = AgentApi.start(AgentApiConfig.builder().build())) {
      assertThat(first.capability().reveal()).matches("tbcap_[A-Za-z0-9_-]{43}");
      assertThat(second.capability()).isNotEqualTo(first.capability());
      assertThat(first.toString()).doesNotContain(first.capability().reveal()).contains(first.capability().fingerprint());
    }
  }

  @Test
  void agentEnvironmentPinAndRuleNameThePort() {
    startWithSecrets();

    assertThat(api.agentEnvironment()).containsOnly(
        Map.entry("TASKBOUND_AGENT_API", "http://taskbound.internal:" + api.port()),
        Map.entry("TASKBOUND_AGENT_TOKEN", api.capability().reveal()));
    assertThat(api.allowRule()).isEqualTo("taskbound.internal:" + api.port());
    assertThat(api.hostPin()).containsOnly(Map.entry("taskbound.internal", "127.0.0.1"));
  }

  @Test
  void unknownSecretGets404NamingTheKnownOnRequestSecrets() throws Exception {
    startWithSecrets();

    HttpResponse<String> r = authed("GET", "/v1/secrets/nope");

    assertThat(r.statusCode()).isEqualTo(404);
    assertThat(r.body()).isEqualTo("{\"error\":\"not_found\",\"message\":\"no on-request secret named 'nope'; this session's"
        + " on-request secrets: api-key, db.password\"}");
    assertThat(events).singleElement().satisfies(e -> assertThat(e.outcome()).isEqualTo(AccessEvent.Outcome.NOT_FOUND));
  }

  @Test
  void denyingPolicyGets403WithTheReasonAndTheProviderIsNotAsked() throws Exception {
    AtomicInteger asked = new AtomicInteger();
    List<AccessRequest> decided = new CopyOnWriteArrayList<>();
    start(AgentApiConfig.builder()
        .secrets(new CountingProvider(asked))
        .policy(req -> {
          decided.add(req);
          return Decision.deny("secret reads are off for this task");
        }));

    HttpResponse<String> r = authed("GET", "/v1/secrets/api-key");

    assertThat(r.statusCode()).isEqualTo(403);
    assertThat(r.body()).isEqualTo(
        "{\"error\":\"forbidden\",\"message\":\"secret.read of 'api-key' denied: secret reads are off for this task\"}");
    assertThat(decided).containsExactly(new AccessRequest(AccessAction.SECRET_READ, "api-key"));
    assertThat(asked).hasValue(0);
    assertThat(events).singleElement().isEqualTo(new AccessEvent(Optional.of(AccessAction.SECRET_READ), "api-key",
        AccessEvent.Outcome.DENIED, "secret reads are off for this task", Optional.empty()));
  }

  @Test
  void needsApprovalFailsClosedWith403ApprovalRequired() throws Exception {
    start(AgentApiConfig.builder().secrets(SecretProvider.of(Map.of("api-key", API_KEY)))
        .policy(req -> Decision.needsApproval("production secrets need a reviewer")));

    HttpResponse<String> r = authed("GET", "/v1/secrets/api-key");

    assertThat(r.statusCode()).isEqualTo(403);
    assertThat(body(r).path("error").asText()).isEqualTo("approval_required");
    assertThat(body(r).path("message").asText()).isEqualTo("secret.read of 'api-key' needs approval: production secrets need a reviewer");
    assertThat(r.body()).doesNotContain(VALUE);
  }

  /** Review finding: a looping agent minted tokens on the App's shared rate limit and filled the evidence without bound. */
  @Test
  void aSessionServesABoundedNumberOfRefreshesAndRecordsTheFirstRefusedOnce() throws Exception {
    AtomicInteger minted = new AtomicInteger();
    start(AgentApiConfig.builder()
        .tokens(() -> new RefreshedToken(Secret.of("ghs_fresh" + minted.incrementAndGet()), Optional.empty())));

    for (int i = 0; i < ApiHandler.MAX_REFRESHES; i++) {
      assertThat(authed("POST", "/v1/github/token").statusCode()).isEqualTo(200);
    }
    HttpResponse<String> past = authed("POST", "/v1/github/token");
    HttpResponse<String> later = authed("POST", "/v1/github/token");

    assertThat(minted).hasValue(ApiHandler.MAX_REFRESHES);
    assertThat(past.statusCode()).isEqualTo(429);
    assertThat(later.statusCode()).isEqualTo(429);
    assertThat(body(past).path("error").asText()).isEqualTo("budget_exhausted");
    assertThat(events).filteredOn(e -> e.outcome() == AccessEvent.Outcome.DENIED).extracting(AccessEvent::detail)
        .containsExactly("this session serves at most 100 token refreshes; the budget is spent (later requests are refused"
            + " and not recorded)");
  }

  @Test
  void secretReadsAndRefreshesHaveBudgetsOfTheirOwn() {
    ServeBudget budget = new ServeBudget(2, 1);

    assertThat(budget.spend(AccessAction.SECRET_READ)).isEmpty();
    assertThat(budget.spend(AccessAction.GITHUB_TOKEN_REFRESH)).isEmpty();
    assertThat(budget.spend(AccessAction.SECRET_READ)).isEmpty();
    Optional<ServeBudget.Spent> third = budget.spend(AccessAction.SECRET_READ);
    Optional<ServeBudget.Spent> fourth = budget.spend(AccessAction.SECRET_READ);

    assertThat(third).map(ServeBudget.Spent::first).contains(true);
    assertThat(third.get().message()).startsWith("this session serves at most 2 secret reads");
    assertThat(fourth).map(ServeBudget.Spent::first).contains(false);
    assertThat(budget.spend(AccessAction.GITHUB_TOKEN_REFRESH)).map(ServeBudget.Spent::message).get().asString()
        .startsWith("this session serves at most 1 token refreshes");
  }

  @Test
  void tokenRefreshCallsTheRefresherOnceAndReturnsTheFreshToken() throws Exception {
    List<Integer> calls = new CopyOnWriteArrayList<>();
    Secret fresh = Secret.of("ghs_freshTokenValue0123456789abcdefABCD");
    Instant expires = Instant.parse("2026-11-27T13:00:00Z");
    List<AccessRequest> decided = new CopyOnWriteArrayList<>();
    start(AgentApiConfig.builder()
        .tokens(() -> {
          calls.add(calls.size() + 1);
          return new RefreshedToken(fresh, Optional.of(expires));
        })
        .policy(req -> {
          decided.add(req);
          return Decision.ALLOW;
        }));

    HttpResponse<String> r = authed("POST", "/v1/github/token");

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo("{\"token\":\"" + fresh.reveal() + "\",\"expires_at\":\"2026-11-27T13:00:00Z\"}");
    assertThat(calls).containsExactly(1);
    assertThat(decided).containsExactly(new AccessRequest(AccessAction.GITHUB_TOKEN_REFRESH, "github"));
    assertThat(events).containsExactly(new AccessEvent(Optional.of(AccessAction.GITHUB_TOKEN_REFRESH), "github",
        AccessEvent.Outcome.GRANTED, "", Optional.of(fresh.fingerprint())));
  }

  @Test
  void replacedTokenIsRevokedAfterTheFreshOneWasServedAndAFailedRevocationIsRecorded() throws Exception {
    List<String> order = new CopyOnWriteArrayList<>();
    Secret fresh = Secret.of("ghs_servedBeforeTheOldOneIsRevoked0123");
    CountDownLatch failureRecorded = new CountDownLatch(1);
    api = AgentApi.start(AgentApiConfig.builder()
        .tokens(() -> {
          order.add("refresh");
          return new RefreshedToken(fresh, Optional.empty(), () -> {
            order.add("revoke-old");
            throw new BrokerException("github", "revoke installation token", 500, "Internal Server Error");
          });
        })
        .listener(e -> {
          events.add(e);
          if (e.outcome() == AccessEvent.Outcome.FAILED) {
            failureRecorded.countDown();
          }
        })
        .build());

    HttpResponse<String> r = authed("POST", "/v1/github/token");
    order.add("client-got-" + r.statusCode());
    assertThat(failureRecorded.await(20, TimeUnit.SECONDS)).isTrue();

    assertThat(r.body()).isEqualTo("{\"token\":\"" + fresh.reveal() + "\",\"expires_at\":null}");
    assertThat(order).startsWith("refresh").contains("revoke-old", "client-got-200");
    assertThat(events).extracting(AccessEvent::outcome).containsExactly(AccessEvent.Outcome.GRANTED, AccessEvent.Outcome.FAILED);
    assertThat(events.get(1).detail()).startsWith("after serving the fresh token: github:");
  }

  @Test
  void tokenRefreshWithoutRefresherGets404() throws Exception {
    startWithSecrets();

    HttpResponse<String> r = authed("POST", "/v1/github/token");

    assertThat(r.statusCode()).isEqualTo(404);
    assertThat(body(r).path("message").asText()).isEqualTo("this session has no GitHub token to refresh (the policy grants none)");
  }

  @Test
  void failedRefreshGets502WithTheBrokersMessage() throws Exception {
    start(AgentApiConfig.builder().tokens(() -> {
      throw new BrokerException("github", "create installation token for [acme/app]", 503, "Service Unavailable", 4);
    }));

    HttpResponse<String> r = authed("POST", "/v1/github/token");

    assertThat(r.statusCode()).isEqualTo(502);
    assertThat(body(r).path("error").asText()).isEqualTo("upstream_failed");
    assertThat(body(r).path("message").asText()).startsWith("github.token.refresh of 'github' failed: github:");
    assertThat(events).singleElement().satisfies(e -> assertThat(e.outcome()).isEqualTo(AccessEvent.Outcome.FAILED));
  }

  @Test
  void unexpectedProviderErrorGets500WithoutItsMessage() throws Exception {
    start(AgentApiConfig.builder().secrets(new SecretProvider() {
      @Override
      public Optional<Secret> get(String name) {
        throw new IllegalStateException("leaky message " + VALUE);
      }

      @Override
      public java.util.Set<String> names() {
        return java.util.Set.of();
      }
    }));

    HttpResponse<String> r = authed("GET", "/v1/secrets/api-key");

    assertThat(r.statusCode()).isEqualTo(500);
    assertThat(r.body()).isEqualTo("{\"error\":\"internal\",\"message\":\"the agent API failed to serve this request\"}");
  }

  @Test
  void failingListenerWithholdsTheValue() throws Exception {
    api = AgentApi.start(AgentApiConfig.builder().secrets(SecretProvider.of(Map.of("api-key", API_KEY)))
        .listener(e -> {
          throw new IllegalStateException("evidence log is closed");
        }).build());

    HttpResponse<String> r = authed("GET", "/v1/secrets/api-key");

    assertThat(r.statusCode()).isEqualTo(500);
    assertThat(body(r).path("error").asText()).isEqualTo("not_recorded");
    assertThat(r.body()).doesNotContain(VALUE);
  }

  @Test
  void wrongMethodGets405NamingTheAllowedOne() throws Exception {
    startWithSecrets();

    HttpResponse<String> post = authed("POST", "/v1/secrets/api-key");
    HttpResponse<String> get = authed("GET", "/v1/github/token");

    assertThat(post.statusCode()).isEqualTo(405);
    assertThat(post.headers().firstValue("Allow")).contains("GET");
    assertThat(body(post).path("message").asText()).isEqualTo("POST is not allowed on /v1/secrets/api-key; use GET");
    assertThat(post.body()).doesNotContain(VALUE);
    assertThat(get.statusCode()).isEqualTo(405);
    assertThat(get.headers().firstValue("Allow")).contains("POST");
  }

  @Test
  void unknownPathGets404ListingTheEndpoints() throws Exception {
    startWithSecrets();

    HttpResponse<String> r = authed("GET", "/v1/admin");

    assertThat(r.statusCode()).isEqualTo(404);
    assertThat(body(r).path("message").asText())
        .isEqualTo("no such endpoint: '/v1/admin'; the agent API serves GET /v1/secrets/{name} and POST /v1/github/token");
  }

  @Test
  void invalidSecretNamesGet400() throws Exception {
    startWithSecrets();

    for (String name : List.of("", "..%2Fapi-key", "a%20b", "-dash", "x".repeat(129), "a/b")) {
      HttpResponse<String> r = authed("GET", "/v1/secrets/" + name);

      assertThat(r.statusCode()).as(name).isEqualTo(400);
      assertThat(body(r).path("error").asText()).isEqualTo("bad_request");
    }
    assertThat(events).isEmpty();
  }

  @Test
  void oversizedBodyGets413() throws Exception {
    start(AgentApiConfig.builder().maxBodyBytes(16).tokens(() -> {
      throw new AssertionError("must not refresh");
    }));

    HttpResponse<String> r = send("POST", "/v1/github/token", Optional.of("Bearer " + api.capability().reveal()), "x".repeat(17));

    assertThat(r.statusCode()).isEqualTo(413);
    assertThat(body(r).path("message").asText()).isEqualTo("the request body exceeds 16 bytes");
  }

  /** A gate check names one action: a 16 MiB one (a tree tens of times its size, twenty at once) exhausted the heap. */
  @Test
  void aGateCheckOver64KiBGets413WithoutBeingParsed() throws Exception {
    AtomicInteger handled = new AtomicInteger();
    start(AgentApiConfig.builder().hooks((endpoint, event) -> {
      handled.incrementAndGet();
      return HookHandler.Answer.ok(Map.of());
    }));
    Optional<String> agent = Optional.of("Bearer " + api.capability().reveal());

    HttpResponse<String> big = send("POST", "/v1/gate/check", agent, "[" + "{},".repeat(ApiHandler.MAX_CHECK_BYTES / 3) + "{}]");
    HttpResponse<String> small = send("POST", "/v1/gate/check", agent, "{\"action\":\"deploy\"}");

    assertThat(big.statusCode()).isEqualTo(413);
    assertThat(body(big).path("message").asText()).isEqualTo("the gate check exceeds 65536 bytes");
    assertThat(small.statusCode()).isEqualTo(200);
    assertThat(handled).hasValue(1);
  }

  /** Review finding: twenty 16 MiB hook bodies were read into memory before any waited for room. */
  @Test
  void roomForALargeHookBodyIsReservedBeforeItIsReadByItsDeclaredLength() {
    int limit = ApiHandler.MAX_HOOK_BYTES;

    assertThat(ApiHandler.reserved("1048576", limit)).isEqualTo(1 << 20);
    assertThat(ApiHandler.reserved(null, limit)).as("chunked: the most it may be").isEqualTo(limit);
    assertThat(ApiHandler.reserved("x", limit)).isEqualTo(limit);
    assertThat(ApiHandler.reserved("99999999999", limit)).isEqualTo(limit);
    assertThat(ApiHandler.reserved("65536", limit)).as("small bodies wait for nothing").isZero();
    assertThat(ApiHandler.reserved(null, ApiHandler.MAX_CHECK_BYTES)).as("a gate check is small").isZero();
  }

  @Test
  void stopsListeningOnCloseAndCloseIsIdempotent() throws Exception {
    startWithSecrets();
    int port = api.port();

    api.close();
    api.close();

    try (Socket s = new Socket()) {
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 2000))
          .isInstanceOf(java.io.IOException.class);
    }
  }

  /** Counts lookups; knows nothing. */
  record CountingProvider(AtomicInteger asked) implements SecretProvider {
    @Override
    public Optional<Secret> get(String name) {
      asked.incrementAndGet();
      return Optional.empty();
    }

    @Override
    public java.util.Set<String> names() {
      return java.util.Set.of();
    }
  }

  @Test
  void hookEventsTakeTheHooksOwnCapabilityAndRefuseTheAgents() throws Exception {
    AtomicInteger handled = new AtomicInteger();
    start(AgentApiConfig.builder().hooks((endpoint, event) -> {
      handled.incrementAndGet();
      return HookHandler.Answer.ok(Map.of());
    }));
    String event = "{\"hook_event_name\":\"UserPromptSubmit\",\"prompt\":\"invented\"}";

    HttpResponse<String> withAgents = send("POST", "/v1/hooks/claude-code", Optional.of("Bearer " + api.capability().reveal()), event);
    HttpResponse<String> withHooks = send("POST", "/v1/hooks/claude-code", Optional.of("Bearer " + api.hookCapability().reveal()), event);

    assertThat(withAgents.statusCode()).isEqualTo(401);
    assertThat(body(withAgents).path("message").asText()).contains("the agent's own capability is not accepted here");
    assertThat(withHooks.statusCode()).isEqualTo(200);
    assertThat(handled).hasValue(1);
    assertThat(api.hookCapability().reveal()).startsWith(AgentApi.HOOK_CAPABILITY_PREFIX).isNotEqualTo(api.capability().reveal());
    assertThat(api.agentEnvironment().values()).doesNotContain(api.hookCapability().reveal());
  }

  @Test
  void theHookCapabilityOpensNothingButHookEvents() throws Exception {
    startWithSecrets();
    Optional<String> hook = Optional.of("Bearer " + api.hookCapability().reveal());

    HttpResponse<String> secret = send("GET", "/v1/secrets/api-key", hook, "");
    HttpResponse<String> check = send("POST", "/v1/gate/check", hook, "{\"action\":\"tool.bash\"}");
    HttpResponse<String> refresh = send("POST", "/v1/github/token", hook, "");

    assertThat(List.of(secret.statusCode(), check.statusCode(), refresh.statusCode())).containsOnly(401);
    assertThat(secret.body()).doesNotContain(VALUE);
  }
}
