package dev.taskbound.core.policy;

import dev.taskbound.core.egress.EgressRuleException;
import dev.taskbound.core.egress.RuleSet;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code egress.inspect}: the hosts whose TLS the gateway terminates, whose credentials it injects
 * and whose requests the gate decides (docs/egress.md, "Inspection"). Exact host names only.
 * Inspecting more is narrower: a layer's list is added to what the layers above it inspect, so a
 * ceiling's list is a requirement no profile or task can drop. Stateless.
 */
final class InspectHosts {
  static final String ACCEPTED = "accepted: an exact host name such as api.github.com (no wildcard, port or address)";

  private InspectHosts() {}

  /**
   * The canonical host name.
   *
   * @throws PolicyException for a wildcard, a port, an IP address or an invalid name
   */
  static String canonical(String text) {
    if (text.contains("*") || text.contains(":") || text.contains("/") || text.matches("[0-9.]+")) {
      throw new PolicyException("'" + dev.taskbound.core.SafeText.value(text) + "' cannot be inspected; " + ACCEPTED);
    }
    try {
      return RuleSet.canonicalHost(text);
    } catch (EgressRuleException e) {
      throw new PolicyException(e.getMessage() + "; " + ACCEPTED);
    }
  }

  /** The union of the inherited hosts and a layer's, in first-seen order. */
  static List<Located<String>> union(List<Located<String>> inherited, List<Located<String>> added) {
    List<Located<String>> out = new ArrayList<>(inherited);
    for (Located<String> h : added) {
      if (out.stream().noneMatch(o -> o.value().equals(h.value()))) {
        out.add(h);
      }
    }
    return out;
  }
}
