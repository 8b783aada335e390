package dev.taskbound.core.egress;

import java.util.Objects;
import java.util.Optional;

/**
 * The answer to one egress request: allowed or denied, the rule that decided it (if any), and for
 * a denial the rule a user would add to allow it.
 *
 * @param host the canonical host asked for
 * @param port the port asked for
 * @param allowed whether the connection may be made
 * @param rule the allow or deny rule that matched; empty for the default deny
 * @param reason a short human reason, e.g. {@code "no allow rule matches"}
 */
public record EgressDecision(String host, int port, boolean allowed, Optional<EgressRule> rule, String reason) {
  public EgressDecision {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(rule, "rule");
    Objects.requireNonNull(reason, "reason");
  }

  /** The rule that would allow this exact request, in policy syntax: what a user should add. */
  public String ruleToAdd() {
    String h = host.contains(":") ? "[" + host + "]" : host;
    return port == EgressRule.DEFAULT_PORT ? h : h + ":" + port;
  }
}
