package dev.taskbound.core.broker.vault;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static dev.taskbound.core.broker.vault.VaultStubs.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import dev.taskbound.core.ExitCodes;
import dev.taskbound.core.broker.BrokerException;
import dev.taskbound.core.broker.RecordingUndo;
import dev.taskbound.core.broker.StubServerTest;
import dev.taskbound.core.broker.RevocationContext;
import dev.taskbound.core.broker.Revocations;
import dev.taskbound.core.broker.Secret;
import dev.taskbound.core.broker.VaultGrant;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Faults at issue (a driver call) and at revoke (a plain-HTTP call), each with its expected outcome. */
class VaultFaultTest extends StubServerTest {
  static final String CREATE = "/v1/auth/token/create";
  static final String OK_CHILD = auth(CHILD_TOKEN, CHILD_ACCESSOR, 900, "[\"app-read\"]");

  /** A first response from Vault, and what must follow: success or this message, after so many requests and waits. */
  record Fault(String name, ResponseDefinitionBuilder first, boolean succeeds, int requests, List<Duration> waits,
      String message) {
    @Override
    public String toString() {
      return name;
    }

    void assertOutcome(WireMockServer vault, String path, List<Duration> waited, BrokerException failure) {
      vault.verify(requests, postRequestedFor(urlEqualTo(path)));
      assertThat(waited).isEqualTo(waits);
      if (succeeds) {
        assertThat(failure).isNull();
      } else {
        assertThat(failure).isNotNull().hasMessage(message);
        assertThat(failure.exitCode()).isEqualTo(ExitCodes.CREDENTIALS);
      }
    }
  }

  static Stream<Fault> issueFaults() {
    String prefix = "vault: create child token with policies [app-read] failed: ";
    return Stream.of(
        new Fault("timeout, then ok", json(200, OK_CHILD).withFixedDelay(2500), true, 2, List.of(Duration.ofMillis(10)), null),
        new Fault("503, then ok", json(503, errors("Vault is sealed")), true, 2, List.of(Duration.ofMillis(10)), null),
        // The driver hides response headers, so its 429s back off rather than follow Retry-After.
        new Fault("429, then ok", json(429, errors("request path \"auth/token/create\": rate limit quota exceeded"))
            .withHeader("Retry-After", "2"), true, 2, List.of(Duration.ofMillis(10)), null),
        new Fault("403 fails at once", json(403, errors("1 error occurred:\n\t* permission denied\n\n")), false, 1,
            List.of(), prefix + "HTTP 403: 1 error occurred: * permission denied"),
        new Fault("503 until attempts run out", json(503, errors("Vault is sealed")), false, 3,
            List.of(Duration.ofMillis(10), Duration.ofMillis(20)), prefix + "HTTP 503: Vault is sealed (after 3 attempts)"));
  }

  static Stream<Fault> revokeFaults() {
    return Stream.of(
        new Fault("429 honours Retry-After", json(429, errors("rate limit quota exceeded")).withHeader("Retry-After", "2"),
            true, 2, List.of(Duration.ofSeconds(2)), null),
        new Fault("unknown accessor is already revoked", json(400, errors("invalid accessor")), true, 1, List.of(), null),
        new Fault("timeout, then ok", aResponse().withStatus(204).withFixedDelay(2500), true, 2,
            List.of(Duration.ofMillis(10)), null),
        new Fault("403 fails at once", json(403, errors("permission denied")), false, 1, List.of(),
            "vault: revoke token with accessor acc-child-0002 failed: HTTP 403: permission denied"));
  }


  @BeforeEach
  void stubApi() {
    stubAll(server);
  }


  VaultBroker broker(URI address, VaultAuth auth, List<VaultSecretSpec> secrets) {
    VaultBrokerConfig config = new VaultBrokerConfig(VaultConnection.of(address), auth,
        new VaultChildToken(List.of("app-read"), Duration.ofMinutes(15), OptionalLong.empty()), secrets, false);
    return new VaultBroker(config, sleeper.retry(3), Duration.ofSeconds(1), Clock.systemUTC());
  }

  URI address() {
    return URI.create("http://127.0.0.1:" + server.port());
  }

  @ParameterizedTest
  @MethodSource("issueFaults")
  void issueFaultHasItsExpectedOutcome(Fault fault) {
    server.stubFor(post(urlEqualTo(CREATE)).inScenario("fault").whenScenarioStateIs(Scenario.STARTED)
        .willReturn(fault.first()).willSetStateTo("second"));
    server.stubFor(post(urlEqualTo(CREATE)).inScenario("fault").whenScenarioStateIs("second")
        .willReturn(fault.succeeds() ? json(200, OK_CHILD) : fault.first().withFixedDelay(0)));
    VaultBroker broker = broker(address(), new VaultAuth.Token(Secret.of(GIVEN_TOKEN)), List.of());

    BrokerException failure = null;
    try {
      assertThat(broker.issue(new RecordingUndo())).hasSize(1);
    } catch (BrokerException e) {
      failure = e;
    }

    fault.assertOutcome(server, CREATE, sleeper.waits(), failure);
  }

  @Test
  void connectionRefusedFailsAfterBoundedAttempts() throws IOException {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      closedPort = socket.getLocalPort();
    }
    VaultBroker broker = broker(URI.create("http://127.0.0.1:" + closedPort), new VaultAuth.Token(Secret.of(GIVEN_TOKEN)), List.of());

    BrokerException e = catchThrowableOfType(BrokerException.class, () -> broker.issue(new RecordingUndo()));

    assertThat(e).hasMessage("vault: create child token with policies [app-read] failed:"
        + " connection refused or unreachable (after 3 attempts)");
    assertThat(sleeper.waits()).hasSize(2);
  }

  @Test
  void failureMidwayRevokesWhatWasAlreadyIssued() {
    server.stubFor(get(urlEqualTo("/v1/database/creds/readonly"))
        .willReturn(json(403, errors("1 error occurred:\n\t* permission denied\n\n"))));
    RecordingUndo undo = new RecordingUndo();
    VaultBroker broker = broker(address(), new VaultAuth.AppRole(null, "role-1234", Secret.of(SECRET_ID)),
        List.of(VaultSecretSpec.env("db", VaultSecretSpec.Kind.DYNAMIC, "database/creds/readonly", Optional.empty(), "DB")));

    BrokerException e = catchThrowableOfType(BrokerException.class, () -> broker.issue(undo));

    assertThat(e).hasMessage("vault: read secret db at database/creds/readonly failed: HTTP 403:"
        + " 1 error occurred: * permission denied");
    assertThat(e.getSuppressed()).isEmpty();
    server.verify(1, postRequestedFor(urlEqualTo("/v1/auth/token/revoke-accessor"))
        .withRequestBody(equalToJson("{\"accessor\":\"" + CHILD_ACCESSOR + "\"}")));
    server.verify(1, postRequestedFor(urlEqualTo("/v1/auth/token/revoke-self")));
    assertThat(undo.entries()).extracting(RecordingUndo.Entry::step).containsExactly(
        Revocations.REVOKE_VAULT_LOGIN, Revocations.REVOKE_VAULT_TOKEN, Revocations.REVOKE_VAULT_LEASE);
    assertThat(undo.entries().get(2).handle()).doesNotContainKey("lease_id");
  }

  @ParameterizedTest
  @MethodSource("revokeFaults")
  void revokeFaultHasItsExpectedOutcome(Fault fault) {
    String path = "/v1/auth/token/revoke-accessor";
    server.stubFor(post(urlEqualTo(path)).inScenario("fault").whenScenarioStateIs(Scenario.STARTED)
        .willReturn(fault.first()).willSetStateTo("second"));
    server.stubFor(post(urlEqualTo(path)).inScenario("fault").whenScenarioStateIs("second")
        .willReturn(aResponse().withStatus(204)));
    RevocationContext ctx = RevocationContext.builder().retry(sleeper.retry(3)).requestTimeout(Duration.ofSeconds(1))
        .vaultTokens((a, ns) -> new VaultGrant(Secret.of(LOGIN_TOKEN), Optional.of(LOGIN_ACCESSOR), false)).build();
    Map<String, Object> handle = Map.of("address", address().toString(), "accessor", CHILD_ACCESSOR);

    BrokerException failure = null;
    try {
      Revocations.revoke(Revocations.REVOKE_VAULT_TOKEN, handle, ctx);
    } catch (BrokerException e) {
      failure = e;
    }

    fault.assertOutcome(server, path, sleeper.waits(), failure);
  }

  @Test
  void aFailedLeaseRevocationKeepsVaultsErrorTextLikeTheTokenAndLoginRevocations() {
    server.stubFor(post(urlEqualTo("/v1/sys/leases/revoke"))
        .willReturn(json(403, errors("1 error occurred:\n\t* permission denied on sys/leases/revoke\n\n"))));
    RevocationContext ctx = RevocationContext.builder().retry(sleeper.retry(3)).requestTimeout(Duration.ofSeconds(1))
        .vaultTokens((a, ns) -> new VaultGrant(Secret.of(LOGIN_TOKEN), Optional.of(LOGIN_ACCESSOR), false)).build();
    Map<String, Object> handle = Map.of("address", address().toString(), "lease_id", LEASE_ID);

    BrokerException e = catchThrowableOfType(BrokerException.class,
        () -> Revocations.revoke(Revocations.REVOKE_VAULT_LEASE, handle, ctx));

    assertThat(e).hasMessage("vault: revoke lease " + LEASE_ID + " failed: HTTP 403:"
        + " 1 error occurred: * permission denied on sys/leases/revoke");
    server.verify(1, postRequestedFor(urlEqualTo("/v1/sys/leases/revoke"))
        .withRequestBody(equalToJson("{\"lease_id\":\"" + LEASE_ID + "\"}")));
  }
}
