package dev.taskbound.core.egress;

import java.time.Duration;
import java.util.Objects;

/**
 * Tunables of a {@link Gateway}. Immutable; start from {@link #DEFAULTS} and derive variants with
 * the {@code with*} methods, which reject bad values immediately.
 *
 * @param maxHeaderBytes the largest request head (request line + headers) accepted; larger gets 431
 * @param headerTimeout how long a client may take to send the whole request head; slower gets 408
 * @param connectTimeout how long one upstream connection attempt may take
 * @param maxConnections client connections served at once; more get 503
 * @param resolver resolves names that are not pinned by the policy's {@code hosts} map
 * @param guard checks every resolved address before it is dialled
 */
public record GatewayOptions(
    int maxHeaderBytes,
    Duration headerTimeout,
    Duration connectTimeout,
    int maxConnections,
    NameResolver resolver,
    AddressGuard guard) {

  /** 16 KiB heads, 10 s to send them, 10 s to connect, 256 connections, system DNS, no address guard. */
  public static final GatewayOptions DEFAULTS =
      new GatewayOptions(16 * 1024, Duration.ofSeconds(10), Duration.ofSeconds(10), 256, NameResolver.SYSTEM, AddressGuard.PERMIT_ALL);

  public GatewayOptions {
    if (maxHeaderBytes < 256) {
      throw new IllegalArgumentException("maxHeaderBytes must be at least 256: " + maxHeaderBytes);
    }
    positive(headerTimeout, "headerTimeout");
    positive(connectTimeout, "connectTimeout");
    if (maxConnections < 1) {
      throw new IllegalArgumentException("maxConnections must be at least 1: " + maxConnections);
    }
    Objects.requireNonNull(resolver, "resolver");
    Objects.requireNonNull(guard, "guard");
  }

  private static void positive(Duration d, String name) {
    Objects.requireNonNull(d, name);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be positive: " + d);
    }
  }

  public GatewayOptions withMaxHeaderBytes(int value) {
    return new GatewayOptions(value, headerTimeout, connectTimeout, maxConnections, resolver, guard);
  }

  public GatewayOptions withHeaderTimeout(Duration value) {
    return new GatewayOptions(maxHeaderBytes, value, connectTimeout, maxConnections, resolver, guard);
  }

  public GatewayOptions withConnectTimeout(Duration value) {
    return new GatewayOptions(maxHeaderBytes, headerTimeout, value, maxConnections, resolver, guard);
  }

  public GatewayOptions withMaxConnections(int value) {
    return new GatewayOptions(maxHeaderBytes, headerTimeout, connectTimeout, value, resolver, guard);
  }

  public GatewayOptions withResolver(NameResolver value) {
    return new GatewayOptions(maxHeaderBytes, headerTimeout, connectTimeout, maxConnections, value, guard);
  }

  public GatewayOptions withGuard(AddressGuard value) {
    return new GatewayOptions(maxHeaderBytes, headerTimeout, connectTimeout, maxConnections, resolver, value);
  }
}
