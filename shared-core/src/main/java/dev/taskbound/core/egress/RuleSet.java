package dev.taskbound.core.egress;

import java.util.List;
import java.util.Optional;

/**
 * An immutable set of allow and deny rules. Default deny; a matching deny rule beats any allow
 * rule. Thread-safe.
 */
public final class RuleSet {
  private final List<EgressRule> allow;
  private final List<EgressRule> deny;

  private RuleSet(List<EgressRule> allow, List<EgressRule> deny) {
    this.allow = List.copyOf(allow);
    this.deny = List.copyOf(deny);
  }

  public static RuleSet of(List<EgressRule> allow, List<EgressRule> deny) {
    return new RuleSet(allow, deny);
  }

  public List<EgressRule> allow() {
    return allow;
  }

  public List<EgressRule> deny() {
    return deny;
  }

  /**
   * Decides a request for a host and port. The host is canonicalised first, so callers may pass
   * what a client sent.
   *
   * @throws EgressRuleException if the host is not a valid name or IP literal
   */
  public EgressDecision decide(String host, int port) {
    String canonical = canonicalHost(host);
    Optional<EgressRule> denied = deny.stream().filter(r -> r.matches(canonical, port)).findFirst();
    if (denied.isPresent()) {
      return new EgressDecision(canonical, port, false, denied, "matches deny rule " + denied.get());
    }
    Optional<EgressRule> allowed = allow.stream().filter(r -> r.matches(canonical, port)).findFirst();
    if (allowed.isPresent()) {
      return new EgressDecision(canonical, port, true, allowed, "matches allow rule " + allowed.get());
    }
    return new EgressDecision(canonical, port, false, Optional.empty(), "no allow rule matches");
  }

  /** The canonical spelling of a requested host: IP literals normalised, names as {@link HostPattern#canonicalName}. */
  public static String canonicalHost(String host) {
    IpLiteral ip = IpLiteral.tryParse(host);
    return ip != null ? ip.toString() : HostPattern.canonicalName(host, host);
  }
}
