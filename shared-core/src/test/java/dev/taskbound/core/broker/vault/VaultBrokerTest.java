package dev.taskbound.core.broker.vault;

import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static dev.taskbound.core.broker.vault.VaultStubs.*;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import dev.taskbound.core.broker.IssuedCredential;
import dev.taskbound.core.broker.RecordingUndo;
import dev.taskbound.core.broker.StubServerTest;
import dev.taskbound.core.broker.RevocationContext;
import dev.taskbound.core.broker.Revocations;
import dev.taskbound.core.broker.Secret;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class VaultBrokerTest extends StubServerTest {
  /**
   * Generous on purpose: none of these tests is about a timeout (VaultFaultTest is), and a request
   * that outlives a short one under CPU load is retried, which these tests would count as a second
   * request (seen at load 15-20 on 2 cores with 1 s).
   */
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(20);

  static final Instant NOW = Instant.parse("2026-11-27T11:00:00Z");


  @BeforeEach
  void stubApi() {
    stubAll(server);
  }


  String address() {
    return "http://127.0.0.1:" + server.port();
  }

  VaultConnection connection(String namespace) {
    return new VaultConnection(URI.create(address()), Optional.ofNullable(namespace));
  }

  static List<VaultSecretSpec> threeSecrets() {
    return List.of(
        VaultSecretSpec.env("api-key", VaultSecretSpec.Kind.KV1, "secret/app/config", Optional.of("api_key"), "API_KEY"),
        VaultSecretSpec.file("db-password", VaultSecretSpec.Kind.KV2, "kv/app/db", Optional.of("password"), "db/password"),
        VaultSecretSpec.env("db-creds", VaultSecretSpec.Kind.DYNAMIC, "database/creds/readonly", Optional.of("password"), "DB_PASSWORD"));
  }

  VaultBroker broker(VaultAuth auth, String namespace, List<VaultSecretSpec> secrets) {
    VaultBrokerConfig config = new VaultBrokerConfig(connection(namespace), auth,
        new VaultChildToken(List.of("app-read"), Duration.ofMinutes(15), OptionalLong.of(5)), secrets, true);
    return new VaultBroker(config, sleeper.retry(3), REQUEST_TIMEOUT, Clock.fixed(NOW, ZoneOffset.UTC));
  }

  RevocationContext ctx(dev.taskbound.core.broker.VaultTokenSource source) {
    return RevocationContext.builder().retry(sleeper.retry(3)).requestTimeout(REQUEST_TIMEOUT)
        .vaultTokens(source).build();
  }

  static final String CHILD_REQUEST = "{\"policies\":[\"app-read\"],\"ttl\":\"900s\",\"explicit_max_ttl\":\"900s\","
      + "\"renewable\":false,\"display_name\":\"taskbound\",\"num_uses\":5}";

  @Test
  void tokenAuthCreatesChildTokenAndReadsEverySecretKindWithIt() {
    RecordingUndo undo = new RecordingUndo();

    List<IssuedCredential> issued =
        broker(new VaultAuth.Token(Secret.of(GIVEN_TOKEN)), "team-a", threeSecrets()).issue(undo);

    server.verify(1, postRequestedFor(urlEqualTo("/v1/auth/token/create"))
        .withHeader("X-Vault-Token", equalTo(GIVEN_TOKEN))
        .withHeader("X-Vault-Namespace", equalTo("team-a"))
        .withRequestBody(equalToJson(CHILD_REQUEST)));
    for (String path : List.of("/v1/secret/app/config", "/v1/kv/data/app/db", "/v1/database/creds/readonly")) {
      server.verify(1, getRequestedFor(urlEqualTo(path))
          .withHeader("X-Vault-Token", equalTo(CHILD_TOKEN))
          .withHeader("X-Vault-Namespace", equalTo("team-a")));
    }
    server.verify(4, anyRequestedFor(anyUrl()));
    assertThat(issued).extracting(IssuedCredential::name).containsExactly("vault-token", "api-key", "db-password", "db-creds");
    assertThat(issued.get(0).environment()).containsOnly(Map.entry("VAULT_ADDR", address()),
        Map.entry("VAULT_TOKEN", CHILD_TOKEN), Map.entry("VAULT_NAMESPACE", "team-a"));
    assertThat(issued.get(0).expiresAt()).contains(NOW.plusSeconds(900));
    assertThat(issued.get(1).environment()).containsOnly(Map.entry("API_KEY", KV1_VALUE));
    assertThat(issued.get(2).files()).containsOnly(Map.entry("db/password", Secret.of(KV2_VALUE)));
    assertThat(issued.get(2).environment()).isEmpty();
    assertThat(issued.get(3).environment()).containsOnly(Map.entry("DB_PASSWORD", DYNAMIC_PASSWORD));
    assertThat(issued.get(3).expiresAt()).contains(NOW.plusSeconds(3600));
    String a = address();
    assertThat(undo.entries()).containsExactly(
        new RecordingUndo.Entry(Revocations.REVOKE_VAULT_TOKEN,
            Map.of("address", a, "namespace", "team-a", "accessor", CHILD_ACCESSOR)),
        new RecordingUndo.Entry(Revocations.REVOKE_VAULT_LEASE,
            Map.of("address", a, "namespace", "team-a", "lease_id", LEASE_ID)));
  }

  @Test
  void appRoleLoginIsJournalledFirstAndInProcessTeardownRevokesEachOnceInReverse() {
    RecordingUndo undo = new RecordingUndo();
    VaultBroker broker = broker(new VaultAuth.AppRole(null, "role-1234", Secret.of(SECRET_ID)), null, threeSecrets());

    broker.issue(undo);
    server.resetRequests();
    undo.replay(ctx(broker.tokenSource()));

    assertThat(undo.entries()).extracting(RecordingUndo.Entry::step).containsExactly(
        Revocations.REVOKE_VAULT_LOGIN, Revocations.REVOKE_VAULT_TOKEN, Revocations.REVOKE_VAULT_LEASE);
    assertThat(undo.entries().get(0).handle()).isEqualTo(Map.of("address", address(), "accessor", LOGIN_ACCESSOR,
        "expires_at", "2026-11-27T12:00:00Z"));
    List<String> calls = requestsInOrder();
    assertThat(calls).containsExactly(
        "POST /v1/sys/leases/revoke " + LOGIN_TOKEN,
        "POST /v1/auth/token/revoke-accessor " + LOGIN_TOKEN,
        "POST /v1/auth/token/revoke-self " + LOGIN_TOKEN);
    server.verify(postRequestedFor(urlEqualTo("/v1/sys/leases/revoke")).withRequestBody(equalToJson("{\"lease_id\":\"" + LEASE_ID + "\"}")));
    server.verify(postRequestedFor(urlEqualTo("/v1/auth/token/revoke-accessor"))
        .withRequestBody(equalToJson("{\"accessor\":\"" + CHILD_ACCESSOR + "\"}")));
  }

  @Test
  void appRoleLoginSendsRoleIdAndSecretId() {
    broker(new VaultAuth.AppRole("approle", "role-1234", Secret.of(SECRET_ID)), null, List.of()).issue(new RecordingUndo());

    server.verify(1, postRequestedFor(urlEqualTo("/v1/auth/approle/login"))
        .withRequestBody(equalToJson("{\"role_id\":\"role-1234\",\"secret_id\":\"" + SECRET_ID + "\"}")));
    server.verify(1, postRequestedFor(urlEqualTo("/v1/auth/token/create")).withHeader("X-Vault-Token", equalTo(LOGIN_TOKEN)));
  }

  @Test
  void jwtLoginSendsRoleAndJwtToTheMount() {
    broker(new VaultAuth.Jwt("jwt", "ci-agent", Secret.of(JWT)), "team-a", List.of()).issue(new RecordingUndo());

    server.verify(1, postRequestedFor(urlEqualTo("/v1/auth/jwt/login"))
        .withHeader("X-Vault-Namespace", equalTo("team-a"))
        .withRequestBody(equalToJson("{\"role\":\"ci-agent\",\"jwt\":\"" + JWT + "\"}")));
  }

  @Test
  void freshProcessTeardownLogsInAgainAndRevokesThatLoginToo() {
    RecordingUndo undo = new RecordingUndo();
    VaultAuth auth = new VaultAuth.AppRole(null, "role-1234", Secret.of(SECRET_ID));
    broker(auth, null, threeSecrets()).issue(undo);
    server.resetRequests();
    var relogin = VaultLogins.relogin(connection(null), auth, sleeper.retry(3), REQUEST_TIMEOUT);

    undo.replay(ctx(relogin));

    List<String> calls = requestsInOrder();
    assertThat(calls).containsExactly(
        "POST /v1/auth/approle/login -",
        "POST /v1/sys/leases/revoke " + LOGIN_TOKEN,
        "POST /v1/auth/token/revoke-self " + LOGIN_TOKEN,
        "POST /v1/auth/approle/login -",
        "POST /v1/auth/token/revoke-accessor " + LOGIN_TOKEN,
        "POST /v1/auth/token/revoke-self " + LOGIN_TOKEN,
        "POST /v1/auth/approle/login -",
        "POST /v1/auth/token/revoke-accessor " + LOGIN_TOKEN,
        "POST /v1/auth/token/revoke-self " + LOGIN_TOKEN);
    server.verify(1, postRequestedFor(urlEqualTo("/v1/auth/token/revoke-accessor"))
        .withRequestBody(equalToJson("{\"accessor\":\"" + CHILD_ACCESSOR + "\"}")));
    server.verify(1, postRequestedFor(urlEqualTo("/v1/auth/token/revoke-accessor"))
        .withRequestBody(equalToJson("{\"accessor\":\"" + LOGIN_ACCESSOR + "\"}")));
  }

  @Test
  void kv2PathWithDeeperMountInsertsDataAfterTheMount() {
    server.stubFor(com.github.tomakehurst.wiremock.client.WireMock.get(urlEqualTo("/v1/team/kv/data/app"))
        .willReturn(json(200, "{\"data\":{\"data\":{\"token\":\"SENTINEL-deep\",\"user\":\"bot\"},\"metadata\":{\"version\":1}}}")));
    VaultSecretSpec deep = new VaultSecretSpec("deep", VaultSecretSpec.Kind.KV2, "team/kv/app", 2, Optional.empty(),
        Optional.of("DEEP"), Optional.empty(), Optional.empty());

    List<IssuedCredential> issued = broker(new VaultAuth.Token(Secret.of(GIVEN_TOKEN)), null, List.of(deep)).issue(new RecordingUndo());

    assertThat(issued.get(1).environment()).containsOnly(Map.entry("DEEP", "{\"token\":\"SENTINEL-deep\",\"user\":\"bot\"}"));
  }

  @Test
  void wrappedSecretGivesTheAgentASingleUseWrappingToken() {
    server.stubFor(com.github.tomakehurst.wiremock.client.WireMock.get(urlEqualTo("/v1/kv/data/app/db"))
        .withHeader("X-Vault-Wrap-TTL", equalTo("300s"))
        .willReturn(json(200, "{\"request_id\":\"r4\",\"lease_id\":\"\",\"renewable\":false,\"lease_duration\":0,"
            + "\"data\":null,\"wrap_info\":{\"token\":\"" + WRAP_TOKEN + "\",\"accessor\":\"wrap-acc\",\"ttl\":300,"
            + "\"creation_time\":\"2026-11-27T11:00:00Z\",\"creation_path\":\"kv/data/app/db\"},\"warnings\":null,\"auth\":null}")));
    VaultSecretSpec wrapped = new VaultSecretSpec("db-wrapped", VaultSecretSpec.Kind.KV2, "kv/app/db", 1, Optional.empty(),
        Optional.of("DB_WRAPPED"), Optional.empty(), Optional.of(Duration.ofMinutes(5)));

    List<IssuedCredential> issued = broker(new VaultAuth.Token(Secret.of(GIVEN_TOKEN)), null, List.of(wrapped)).issue(new RecordingUndo());

    assertThat(issued.get(1).environment()).containsOnly(Map.entry("DB_WRAPPED", WRAP_TOKEN));
    server.verify(1, getRequestedFor(urlEqualTo("/v1/kv/data/app/db")).withHeader("X-Vault-Token", equalTo(CHILD_TOKEN)));
  }

  static final String WRAP_ACCESSOR = "acc-wrap-0003";

  /** A kv2 read wrapped for {@code ttlSeconds}, answered as Vault documents a wrapped response. */
  void stubWrappedRead(long ttlSeconds) {
    server.stubFor(com.github.tomakehurst.wiremock.client.WireMock.get(urlEqualTo("/v1/kv/data/app/db"))
        .withHeader("X-Vault-Token", equalTo(CHILD_TOKEN))
        .withHeader("X-Vault-Wrap-TTL", equalTo(ttlSeconds + "s"))
        .willReturn(json(200, "{\"request_id\":\"r5\",\"lease_id\":\"\",\"renewable\":false,\"lease_duration\":0,"
            + "\"data\":null,\"wrap_info\":{\"token\":\"" + WRAP_TOKEN + "\",\"accessor\":\"" + WRAP_ACCESSOR + "\","
            + "\"ttl\":" + ttlSeconds + ",\"creation_time\":\"2026-11-27T11:00:00Z\",\"creation_path\":\"kv/data/app/db\"},"
            + "\"warnings\":null,\"auth\":null}")));
  }

  static VaultSecretSpec wrappedFor(Duration ttl) {
    return new VaultSecretSpec("db-wrapped", VaultSecretSpec.Kind.KV2, "kv/app/db", 1, Optional.empty(),
        Optional.of("DB_WRAPPED"), Optional.empty(), Optional.of(ttl));
  }

  /**
   * A wrapping token is an orphan: revoking the child token and the login leaves it valid for its
   * whole TTL. Its accessor is journalled and revoked by accessor at teardown, in reverse order.
   */
  @Test
  void aWrappingTokenIsJournalledByItsAccessorAndRevokedAtTeardown() {
    stubWrappedRead(86400);
    RecordingUndo undo = new RecordingUndo();
    VaultBroker broker = broker(new VaultAuth.AppRole(null, "role-1234", Secret.of(SECRET_ID)), null,
        List.of(wrappedFor(Duration.ofHours(24))));

    broker.issue(undo);
    server.resetRequests();
    undo.replay(ctx(broker.tokenSource()));

    assertThat(undo.entries()).extracting(RecordingUndo.Entry::step).containsExactly(
        Revocations.REVOKE_VAULT_LOGIN, Revocations.REVOKE_VAULT_TOKEN, Revocations.REVOKE_VAULT_WRAPPING_TOKEN);
    assertThat(undo.entries().get(2).handle()).isEqualTo(Map.of("address", address(), "accessor", WRAP_ACCESSOR));
    assertThat(requestsInOrder()).containsExactly(
        "POST /v1/auth/token/revoke-accessor " + LOGIN_TOKEN,
        "POST /v1/auth/token/revoke-accessor " + LOGIN_TOKEN,
        "POST /v1/auth/token/revoke-self " + LOGIN_TOKEN);
    List<String> revoked = server.getAllServeEvents().stream()
        .sorted(Comparator.comparing(e -> e.getRequest().getLoggedDate()))
        .filter(e -> e.getRequest().getUrl().endsWith("/revoke-accessor"))
        .map(e -> e.getRequest().getBodyAsString()).toList();
    assertThat(revoked).containsExactly("{\"accessor\":\"" + WRAP_ACCESSOR + "\"}", "{\"accessor\":\"" + CHILD_ACCESSOR + "\"}");
  }

  /** The agent unwrapped it: Vault revoked the single-use token, and answers 400 "invalid accessor". */
  @Test
  void aWrappingTokenTheAgentAlreadyUnwrappedCountsAsRevoked() {
    stubWrappedRead(300);
    server.stubFor(com.github.tomakehurst.wiremock.client.WireMock.post(urlEqualTo("/v1/auth/token/revoke-accessor"))
        .withRequestBody(equalToJson("{\"accessor\":\"" + WRAP_ACCESSOR + "\"}"))
        .willReturn(json(400, errors("invalid accessor"))));
    RecordingUndo undo = new RecordingUndo();
    VaultBroker broker = broker(new VaultAuth.Token(Secret.of(GIVEN_TOKEN)), null, List.of(wrappedFor(Duration.ofMinutes(5))));
    broker.issue(undo);
    server.resetRequests();

    undo.replay(ctx(broker.tokenSource()));

    server.verify(1, postRequestedFor(urlEqualTo("/v1/auth/token/revoke-accessor"))
        .withHeader("X-Vault-Token", equalTo(GIVEN_TOKEN))
        .withRequestBody(equalToJson("{\"accessor\":\"" + WRAP_ACCESSOR + "\"}")));
    server.verify(1, postRequestedFor(urlEqualTo("/v1/auth/token/revoke-accessor"))
        .withRequestBody(equalToJson("{\"accessor\":\"" + CHILD_ACCESSOR + "\"}")));
  }

  /** A process that died after issuing: a fresh login revokes the wrapping token by accessor too. */
  @Test
  void freshProcessTeardownRevokesTheWrappingTokenByAccessor() {
    stubWrappedRead(300);
    RecordingUndo undo = new RecordingUndo();
    VaultAuth auth = new VaultAuth.AppRole(null, "role-1234", Secret.of(SECRET_ID));
    broker(auth, null, List.of(wrappedFor(Duration.ofMinutes(5)))).issue(undo);
    server.resetRequests();

    undo.replay(ctx(VaultLogins.relogin(connection(null), auth, sleeper.retry(3), REQUEST_TIMEOUT)));

    server.verify(1, postRequestedFor(urlEqualTo("/v1/auth/token/revoke-accessor"))
        .withHeader("X-Vault-Token", equalTo(LOGIN_TOKEN))
        .withRequestBody(equalToJson("{\"accessor\":\"" + WRAP_ACCESSOR + "\"}")));
    assertThat(requestsInOrder()).startsWith(
        "POST /v1/auth/approle/login -",
        "POST /v1/auth/token/revoke-accessor " + LOGIN_TOKEN,
        "POST /v1/auth/token/revoke-self " + LOGIN_TOKEN);
  }

  /** "METHOD path X-Vault-Token" of each request, in arrival order. */
  List<String> requestsInOrder() {
    return server.getAllServeEvents().stream()
        .sorted(Comparator.comparing(e -> e.getRequest().getLoggedDate()))
        .map(ServeEvent::getRequest)
        .map(r -> r.getMethod() + " " + r.getUrl() + " "
            + (r.containsHeader("X-Vault-Token") ? r.getHeader("X-Vault-Token") : "-"))
        .toList();
  }
}
