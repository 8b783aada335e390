package dev.taskbound.core.egress;

import java.net.InetAddress;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What a {@link Gateway} needs: where to listen, which rules to apply, the policy's static
 * {@code hosts} pins and where to report decisions. Immutable.
 *
 * @param socketPath the Unix socket to create; its directory must exist and the file must not
 * @param rules the egress rules (default deny, deny beats allow)
 * @param hostPins the policy's {@code hosts} map: host name to IP literal, consulted before DNS
 * @param listener receives every decision
 * @param options limits, resolver and address guard
 * @param inspection the hosts whose TLS the gateway terminates and whose requests it decides
 *     ({@link Inspection#NONE}: every tunnel opaque)
 */
public record GatewayConfig(
    Path socketPath, RuleSet rules, Map<String, String> hostPins, EgressListener listener, GatewayOptions options,
    Inspection inspection) {

  /**
   * Validates the configuration and copies the pins.
   *
   * @throws EgressRuleException if a pin's name is not a valid host name or its value is not an IP
   *     literal; the message names the {@code hosts} entry
   */
  public GatewayConfig {
    Objects.requireNonNull(socketPath, "socketPath");
    Objects.requireNonNull(rules, "rules");
    Objects.requireNonNull(hostPins, "hostPins");
    Objects.requireNonNull(listener, "listener");
    Objects.requireNonNull(options, "options");
    Objects.requireNonNull(inspection, "inspection");
    hostPins = Map.copyOf(hostPins);
    pinnedAddresses(hostPins);
  }

  /** A configuration without inspection. */
  public GatewayConfig(Path socketPath, RuleSet rules, Map<String, String> hostPins, EgressListener listener,
      GatewayOptions options) {
    this(socketPath, rules, hostPins, listener, options, Inspection.NONE);
  }

  /** The same configuration with {@code inspection}. */
  public GatewayConfig withInspection(Inspection inspection) {
    return new GatewayConfig(socketPath, rules, hostPins, listener, options, inspection);
  }

  /** A configuration with {@link GatewayOptions#DEFAULTS}. */
  public GatewayConfig(Path socketPath, RuleSet rules, Map<String, String> hostPins, EgressListener listener) {
    this(socketPath, rules, hostPins, listener, GatewayOptions.DEFAULTS);
  }

  /** The pins with canonical names and parsed addresses. */
  Map<String, InetAddress> pinnedAddresses() {
    return pinnedAddresses(hostPins);
  }

  private static Map<String, InetAddress> pinnedAddresses(Map<String, String> pins) {
    Map<String, InetAddress> out = new LinkedHashMap<>();
    pins.forEach(
        (name, ip) -> {
          String where = "spec.egress.hosts entry '" + name + "'";
          String canonical;
          IpLiteral literal;
          try {
            canonical = RuleSet.canonicalHost(name);
            literal = IpLiteral.tryParse(ip.strip());
          } catch (EgressRuleException e) {
            throw new EgressRuleException(where + ": " + e.getMessage());
          }
          if (literal == null) {
            throw new EgressRuleException(
                where + ": '" + ip + "' is not an IP address; accepted: an IPv4 address or an IPv6 address");
          }
          out.put(canonical, literal.address());
        });
    return Map.copyOf(out);
  }
}
