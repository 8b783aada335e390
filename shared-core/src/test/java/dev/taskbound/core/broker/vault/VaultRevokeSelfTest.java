package dev.taskbound.core.broker.vault;

import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static dev.taskbound.core.broker.vault.VaultStubs.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.taskbound.core.broker.BrokerException;
import dev.taskbound.core.broker.RecordingUndo;
import dev.taskbound.core.broker.RevocationContext;
import dev.taskbound.core.broker.Revocations;
import dev.taskbound.core.broker.Secret;
import dev.taskbound.core.broker.StubServerTest;
import dev.taskbound.core.broker.VaultTokenSource;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Vault answers 403 to {@code revoke-self} both for a token that is gone and for a live one whose
 * policies deny it (a role with {@code token_no_default_policy=true}): only a login past its expiry
 * counts as revoked; before that the step fails, saying until when the token may stay valid.
 */
class VaultRevokeSelfTest extends StubServerTest {
  private static final Instant NOW = Instant.parse("2026-11-27T11:00:00Z");
  /** NOW plus the stubbed logins' lease_duration, 3600 s. */
  private static final String LOGIN_EXPIRY = "2026-11-27T12:00:00Z";
  private static final String DENIED = "1 error occurred:\n\t* permission denied\n\n";
  private static final String HOW_TO_FIX = " (Vault answers 403 both for a token that is gone and for a policy that"
      + " denies revoke-self); give the login's role the default policy (token_no_default_policy=false), or a policy"
      + " allowing update on auth/token/revoke-self";
  private static final VaultAuth APPROLE = new VaultAuth.AppRole(null, "role-1234", Secret.of(SECRET_ID));

  @BeforeEach
  void stubVaultDenyingRevokeSelf() {
    stubAll(server);
    server.stubFor(post(urlEqualTo("/v1/auth/token/revoke-self")).willReturn(json(403, errors(DENIED))));
  }

  @Test
  void theBrokersLoginDeniedRevokeSelfBeforeItExpiresFailsSayingUntilWhenAndHowToFix() {
    RecordingUndo undo = new RecordingUndo();
    VaultBroker broker = broker();
    broker.issue(undo);
    server.resetRequests();

    BrokerException e = catchThrowableOfType(BrokerException.class,
        () -> undo.replay(ctx(broker.tokenSource(), NOW.plus(Duration.ofMinutes(15)))));

    assertThat(e).hasMessage("vault: revoke the broker's login token (accessor " + LOGIN_ACCESSOR + ") failed: HTTP 403:"
        + " 1 error occurred: * permission denied; the login token may stay valid until " + LOGIN_EXPIRY + HOW_TO_FIX);
    assertThat(undo.entries().get(0).handle()).containsEntry("expires_at", LOGIN_EXPIRY);
    server.verify(1, postRequestedFor(urlEqualTo("/v1/auth/token/revoke-accessor"))
        .withHeader("X-Vault-Token", equalTo(LOGIN_TOKEN))
        .withRequestBody(equalToJson("{\"accessor\":\"" + CHILD_ACCESSOR + "\"}")));
    server.verify(1, postRequestedFor(urlEqualTo("/v1/auth/token/revoke-self")).withHeader("X-Vault-Token", equalTo(LOGIN_TOKEN)));
  }

  @Test
  void theBrokersLoginAnswering403AfterItExpiredCountsAsRevoked() {
    RecordingUndo undo = new RecordingUndo();
    VaultBroker broker = broker();
    broker.issue(undo);
    server.resetRequests();

    undo.replay(ctx(broker.tokenSource(), Instant.parse(LOGIN_EXPIRY)));

    server.verify(1, postRequestedFor(urlEqualTo("/v1/auth/token/revoke-self")).withHeader("X-Vault-Token", equalTo(LOGIN_TOKEN)));
  }

  @Test
  void aRecoveryLoginDeniedRevokeSelfFailsTheStepItServed() {
    RecordingUndo undo = new RecordingUndo();
    broker().issue(undo);
    server.resetRequests();
    VaultTokenSource relogin = VaultLogins.relogin(connection(), APPROLE, sleeper.retry(3), Duration.ofSeconds(20),
        Clock.fixed(NOW, ZoneOffset.UTC));

    BrokerException e = catchThrowableOfType(BrokerException.class, () -> Revocations.revoke(
        Revocations.REVOKE_VAULT_TOKEN, undo.entries().get(1).handle(), ctx(relogin, NOW.plusSeconds(5))));

    assertThat(e).hasMessage("vault: revoke the teardown's own login token failed: HTTP 403: 1 error occurred:"
        + " * permission denied; the login token may stay valid until " + LOGIN_EXPIRY + HOW_TO_FIX);
    server.verify(1, postRequestedFor(urlEqualTo("/v1/auth/approle/login")));
    server.verify(1, postRequestedFor(urlEqualTo("/v1/auth/token/revoke-accessor"))
        .withRequestBody(equalToJson("{\"accessor\":\"" + CHILD_ACCESSOR + "\"}")));
    server.verify(1, postRequestedFor(urlEqualTo("/v1/auth/token/revoke-self")).withHeader("X-Vault-Token", equalTo(LOGIN_TOKEN)));
  }

  @Test
  void aLoginWithoutExpiryDeniedRevokeSelfIsNeverTakenForGone() {
    server.stubFor(post(urlEqualTo("/v1/auth/approle/login"))
        .willReturn(json(200, auth(LOGIN_TOKEN, LOGIN_ACCESSOR, 0, "[\"taskbound-broker\"]"))));
    RecordingUndo undo = new RecordingUndo();
    VaultBroker broker = broker();
    broker.issue(undo);

    BrokerException e = catchThrowableOfType(BrokerException.class,
        () -> undo.replay(ctx(broker.tokenSource(), NOW.plus(Duration.ofDays(365)))));

    assertThat(e).hasMessageEndingWith("permission denied; the login token may stay valid until revoked (it has no"
        + " expiry)" + HOW_TO_FIX);
    assertThat(undo.entries().get(0).handle()).doesNotContainKey("expires_at");
  }

  private VaultConnection connection() {
    return new VaultConnection(URI.create("http://127.0.0.1:" + server.port()), Optional.empty());
  }

  private VaultBroker broker() {
    VaultBrokerConfig config = new VaultBrokerConfig(connection(), APPROLE,
        new VaultChildToken(List.of("app-read"), Duration.ofMinutes(15), OptionalLong.empty()), List.of(), false);
    return new VaultBroker(config, sleeper.retry(3), Duration.ofSeconds(20), Clock.fixed(NOW, ZoneOffset.UTC));
  }

  private RevocationContext ctx(VaultTokenSource tokens, Instant now) {
    return RevocationContext.builder().retry(sleeper.retry(3)).requestTimeout(Duration.ofSeconds(20))
        .vaultTokens(tokens).clock(Clock.fixed(now, ZoneOffset.UTC)).build();
  }
}
