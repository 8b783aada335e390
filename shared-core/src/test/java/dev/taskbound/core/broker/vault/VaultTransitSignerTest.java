package dev.taskbound.core.broker.vault;

import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.tomakehurst.wiremock.WireMockServer;
import dev.taskbound.core.broker.BrokerException;
import dev.taskbound.core.broker.Retry;
import dev.taskbound.core.broker.Secret;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The org signer against a loopback Vault shaped after the documented Transit sign and keys payloads (issue 14). */
class VaultTransitSignerTest {
  private final TransitStub transit = new TransitStub();
  private WireMockServer vault;

  @BeforeEach
  void start() {
    vault = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1").extensions(transit.transformer()));
    vault.start();
  }

  @AfterEach
  void stop() {
    vault.stop();
  }

  private VaultTransitSigner signer(VaultAuth auth) {
    return new VaultTransitSigner(VaultConnection.of(URI.create(vault.baseUrl())), auth, TransitStub.MOUNT, TransitStub.KEY,
        Retry.of(2, Duration.ZERO, Duration.ZERO, Duration.ofSeconds(5), d -> { }), Duration.ofSeconds(5));
  }

  @Test
  void sendsTheExactSignRequestAndReturnsVaultsVersionedSignature() throws Exception {
    transit.stub(vault, VaultStubs.GIVEN_TOKEN);
    byte[] input = "{\"kid\":\"k\"}".getBytes(StandardCharsets.UTF_8);

    String signature = signer(new VaultAuth.Token(Secret.of(VaultStubs.GIVEN_TOKEN))).sign(input);

    assertThat(signature).startsWith("vault:v1:");
    vault.verify(1, postRequestedFor(urlEqualTo("/v1/transit/sign/taskbound-evidence"))
        .withHeader("X-Vault-Token", equalTo(VaultStubs.GIVEN_TOKEN))
        .withRequestBody(equalToJson("{\"input\":\"" + Base64.getEncoder().encodeToString(input)
            + "\",\"hash_algorithm\":\"sha2-256\",\"marshaling_algorithm\":\"asn1\"}")));
    assertThat(vault.getAllServeEvents()).hasSize(1); // a given token is neither created nor revoked
  }

  @Test
  void aLoginTokenItCreatedIsRevokedRightAfterSigning() {
    VaultStubs.stubAll(vault);
    transit.stub(vault, VaultStubs.LOGIN_TOKEN);

    String signature = signer(new VaultAuth.AppRole("approle", "role-1", Secret.of(VaultStubs.SECRET_ID)))
        .sign(new byte[] {1, 2, 3});

    assertThat(signature).startsWith("vault:v1:");
    vault.verify(1, postRequestedFor(urlEqualTo("/v1/auth/token/revoke-self"))
        .withHeader("X-Vault-Token", equalTo(VaultStubs.LOGIN_TOKEN)));
  }

  @Test
  void aRefusalNamesTheTransitKeyAndVaultsErrorsWithTheCredentialsExitCode() {
    vault.stubFor(post(urlEqualTo("/v1/transit/sign/taskbound-evidence"))
        .willReturn(VaultStubs.json(403, VaultStubs.errors("1 error occurred: * permission denied"))));

    assertThatThrownBy(() -> signer(new VaultAuth.Token(Secret.of(VaultStubs.GIVEN_TOKEN))).sign(new byte[] {1}))
        .isInstanceOf(BrokerException.class)
        .hasMessageContaining("transit key transit/taskbound-evidence")
        .hasMessageContaining("403")
        .hasMessageContaining("permission denied")
        .satisfies(e -> assertThat(((BrokerException) e).exitCode()).isEqualTo(122))
        .hasMessageNotContaining(VaultStubs.GIVEN_TOKEN);
  }
}
