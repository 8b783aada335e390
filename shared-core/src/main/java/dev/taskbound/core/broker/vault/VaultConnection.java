package dev.taskbound.core.broker.vault;

import dev.taskbound.core.broker.BrokerException;
import java.net.URI;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Where Vault is: its address and, for Vault Enterprise / HCP, the namespace sent as {@code
 * X-Vault-Namespace}.
 *
 * @param address {@code https://vault.example.com:8200}; plain http only for a loopback host
 * @param namespace the namespace, empty for none
 */
public record VaultConnection(URI address, Optional<String> namespace) {
  private static final Set<String> LOOPBACK = Set.of("127.0.0.1", "localhost", "[::1]", "::1");

  /** @throws BrokerException if the address is not https (or loopback http) or has a path */
  public VaultConnection {
    Objects.requireNonNull(address, "address");
    Objects.requireNonNull(namespace, "namespace");
    boolean https = "https".equals(address.getScheme());
    boolean loopbackHttp = "http".equals(address.getScheme()) && address.getHost() != null
        && LOOPBACK.contains(address.getHost());
    if (!https && !loopbackHttp) {
      throw invalid("address '" + address + "' must be https (http only for a loopback host)");
    }
    String path = address.getRawPath();
    if ((path != null && !path.isEmpty() && !path.equals("/")) || address.getRawQuery() != null
        || address.getRawUserInfo() != null) {
      throw invalid("address '" + address + "' must be scheme://host[:port] without path, query or user info");
    }
    address = URI.create(address.getScheme() + "://" + address.getRawAuthority());
    namespace = namespace.map(String::strip).filter(n -> !n.isEmpty());
  }

  /** A connection without namespace. */
  public static VaultConnection of(URI address) {
    return new VaultConnection(address, Optional.empty());
  }

  static BrokerException invalid(String detail) {
    return new BrokerException("vault", "configure the Vault broker", -1, detail);
  }
}
