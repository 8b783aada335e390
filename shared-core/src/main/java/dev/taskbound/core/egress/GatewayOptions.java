package dev.taskbound.core.egress;

import java.time.Duration;
import java.util.Objects;
import java.util.Set;

/**
 * Tunables of a {@link Gateway}. Immutable; start from {@link #DEFAULTS} and derive variants with
 * the {@code with*} methods, which reject bad values immediately.
 *
 * @param maxHeaderBytes the largest request head (request line + headers) accepted; larger gets 431
 * @param headerTimeout how long a client may take to send the whole request head; slower gets 408
 * @param connectTimeout how long one upstream connection attempt may take
 * @param maxConnections client connections served at once; more get 503
 * @param resolver resolves names that are not pinned by the policy's {@code hosts} map
 * @param guard an extra check of every resolved address, after the built-in one of
 *     {@link Dialer#builtInRefusal} (which cannot be switched off)
 * @param allowPrivateAddresses the policy's {@code egress.allowPrivate}: allowed names may resolve
 *     to loopback, private, link-local and unique-local addresses (metadata stays refused)
 * @param tlsPorts CONNECT ports whose first bytes must be a TLS ClientHello whose SNI equals the
 *     CONNECT host (names) or is absent (IP literals); anything else closes the tunnel
 * @param idleTimeout a tunnel or relay with no byte in either direction for this long is closed
 * @param events receives limit and protocol events that are not rule decisions
 */
public record GatewayOptions(
    int maxHeaderBytes,
    Duration headerTimeout,
    Duration connectTimeout,
    int maxConnections,
    NameResolver resolver,
    AddressGuard guard,
    boolean allowPrivateAddresses,
    Set<Integer> tlsPorts,
    Duration idleTimeout,
    GatewayEvents events) {

  /**
   * 16 KiB heads, 10 s to send them, 10 s to connect, 256 connections, system DNS, the built-in
   * address guard only, no private addresses, TLS checked on port 443, 10 min idle, no events.
   */
  public static final GatewayOptions DEFAULTS =
      new GatewayOptions(
          16 * 1024,
          Duration.ofSeconds(10),
          Duration.ofSeconds(10),
          256,
          NameResolver.SYSTEM,
          AddressGuard.PERMIT_ALL,
          false,
          Set.of(443),
          Duration.ofMinutes(10),
          GatewayEvents.NONE);

  /** @throws IllegalArgumentException if a value is out of range (the message names it) */
  public GatewayOptions {
    if (maxHeaderBytes < 256) {
      throw new IllegalArgumentException("maxHeaderBytes must be at least 256: " + maxHeaderBytes);
    }
    positive(headerTimeout, "headerTimeout");
    positive(connectTimeout, "connectTimeout");
    positive(idleTimeout, "idleTimeout");
    if (maxConnections < 1) {
      throw new IllegalArgumentException("maxConnections must be at least 1: " + maxConnections);
    }
    Objects.requireNonNull(resolver, "resolver");
    Objects.requireNonNull(guard, "guard");
    Objects.requireNonNull(events, "events");
    tlsPorts = Set.copyOf(tlsPorts);
    for (int p : tlsPorts) {
      if (p < 1 || p > 65535) {
        throw new IllegalArgumentException("tlsPorts must be 1-65535: " + p);
      }
    }
  }

  /** The first version's six settings; the rest as in {@link #DEFAULTS}. */
  public GatewayOptions(
      int maxHeaderBytes,
      Duration headerTimeout,
      Duration connectTimeout,
      int maxConnections,
      NameResolver resolver,
      AddressGuard guard) {
    this(maxHeaderBytes, headerTimeout, connectTimeout, maxConnections, resolver, guard, false, Set.of(443),
        Duration.ofMinutes(10), GatewayEvents.NONE);
  }

  private static void positive(Duration d, String name) {
    Objects.requireNonNull(d, name);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be positive: " + d);
    }
  }

  public GatewayOptions withMaxHeaderBytes(int value) {
    return new GatewayOptions(value, headerTimeout, connectTimeout, maxConnections, resolver, guard,
        allowPrivateAddresses, tlsPorts, idleTimeout, events);
  }

  public GatewayOptions withHeaderTimeout(Duration value) {
    return new GatewayOptions(maxHeaderBytes, value, connectTimeout, maxConnections, resolver, guard,
        allowPrivateAddresses, tlsPorts, idleTimeout, events);
  }

  public GatewayOptions withConnectTimeout(Duration value) {
    return new GatewayOptions(maxHeaderBytes, headerTimeout, value, maxConnections, resolver, guard,
        allowPrivateAddresses, tlsPorts, idleTimeout, events);
  }

  public GatewayOptions withMaxConnections(int value) {
    return new GatewayOptions(maxHeaderBytes, headerTimeout, connectTimeout, value, resolver, guard,
        allowPrivateAddresses, tlsPorts, idleTimeout, events);
  }

  public GatewayOptions withResolver(NameResolver value) {
    return new GatewayOptions(maxHeaderBytes, headerTimeout, connectTimeout, maxConnections, value, guard,
        allowPrivateAddresses, tlsPorts, idleTimeout, events);
  }

  public GatewayOptions withGuard(AddressGuard value) {
    return new GatewayOptions(maxHeaderBytes, headerTimeout, connectTimeout, maxConnections, resolver, value,
        allowPrivateAddresses, tlsPorts, idleTimeout, events);
  }

  /** The policy's {@code spec.egress.allowPrivate} ({@link dev.taskbound.core.policy.EffectivePolicy#allowPrivate}). */
  public GatewayOptions withAllowPrivateAddresses(boolean value) {
    return new GatewayOptions(maxHeaderBytes, headerTimeout, connectTimeout, maxConnections, resolver, guard,
        value, tlsPorts, idleTimeout, events);
  }

  /** The CONNECT ports whose ClientHello SNI is checked; empty checks none. */
  public GatewayOptions withTlsPorts(Set<Integer> value) {
    return new GatewayOptions(maxHeaderBytes, headerTimeout, connectTimeout, maxConnections, resolver, guard,
        allowPrivateAddresses, value, idleTimeout, events);
  }

  public GatewayOptions withIdleTimeout(Duration value) {
    return new GatewayOptions(maxHeaderBytes, headerTimeout, connectTimeout, maxConnections, resolver, guard,
        allowPrivateAddresses, tlsPorts, value, events);
  }

  /** Where limit and protocol events go (the session records them as evidence). */
  public GatewayOptions withEvents(GatewayEvents value) {
    return new GatewayOptions(maxHeaderBytes, headerTimeout, connectTimeout, maxConnections, resolver, guard,
        allowPrivateAddresses, tlsPorts, idleTimeout, value);
  }
}
