package dev.taskbound.core.broker.vault;

import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Everything the Vault broker needs.
 *
 * @param connection address and namespace
 * @param auth how the broker logs in
 * @param token the child token to create
 * @param secrets what to read with the child token
 * @param exposeToken whether the agent gets the child token itself ({@code VAULT_TOKEN}, {@code
 *     VAULT_ADDR}, {@code VAULT_NAMESPACE}); off by default in the proposed policy
 */
public record VaultBrokerConfig(
    VaultConnection connection, VaultAuth auth, VaultChildToken token, List<VaultSecretSpec> secrets,
    boolean exposeToken) {
  /** @throws dev.taskbound.core.broker.BrokerException if two secrets share a name, variable or file */
  public VaultBrokerConfig {
    Objects.requireNonNull(connection, "connection");
    Objects.requireNonNull(auth, "auth");
    Objects.requireNonNull(token, "token");
    secrets = List.copyOf(secrets);
    Set<String> seen = new HashSet<>();
    for (VaultSecretSpec s : secrets) {
      // A secret with neither env nor file (served on request) takes no variable or file name.
      List<String> keys = new java.util.ArrayList<>(List.of("name " + s.name()));
      s.env().ifPresent(e -> keys.add("env " + e));
      s.file().ifPresent(f -> keys.add("file " + f));
      for (String key : keys) {
        if (!seen.add(key)) {
          throw VaultConnection.invalid("secrets: duplicate " + key);
        }
      }
    }
  }
}
