package dev.taskbound.core.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class RevocationsTest {
  final RevocationContext noVault = RevocationContext.builder().build();

  @ParameterizedTest
  @ValueSource(strings = {"revoke-github-token", "revoke-vault-token", "revoke-vault-lease", "revoke-vault-login",
      "revoke-vault-wrapping-token"})
  void entryWithoutItsIdentifierIsANoOp(String step) {
    Map<String, Object> handle = Map.of("address", "https://vault.example.com", "api_url", "https://api.github.com");

    Revocations.revoke(step, handle, noVault);

    assertThat(Revocations.handles(step)).isTrue();
  }

  @Test
  void vaultEntryWithoutAuthenticationFailsWithWhatToGive() {
    Map<String, Object> handle = Map.of("address", "https://vault.example.com", "accessor", "acc-1");

    assertThatThrownBy(() -> Revocations.revoke(Revocations.REVOKE_VAULT_TOKEN, handle, noVault))
        .isInstanceOf(BrokerException.class)
        .hasMessage("vault: obtain a token to revoke with on https://vault.example.com failed: no Vault authentication"
            + " configured for this teardown; give 'taskbound teardown' the run's TASKBOUND_VAULT_* environment (token,"
            + " AppRole or JWT)");
  }

  @Test
  void otherStepsAreNotOurs() {
    assertThat(Revocations.handles("kill-agent")).isFalse();
    assertThatThrownBy(() -> Revocations.revoke("kill-agent", Map.of(), noVault))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
