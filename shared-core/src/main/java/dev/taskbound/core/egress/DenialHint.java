package dev.taskbound.core.egress;

import java.util.Optional;

/**
 * What a user can change in the policy to allow a denied request, worded once for every place that
 * tells them (the gateway's 403 body, the live notice on Taskbound's stderr). Never suggests a rule
 * the policy loader would refuse: a cloud metadata address or a name that is no valid rule gets
 * "it cannot be allowed" with the reason instead. Stateless.
 */
public final class DenialHint {
  private DenialHint() {}

  /**
   * The advice for one denial, as a sentence fragment starting in lower case without a final
   * period, e.g. {@code to allow it, add "example.com" to spec.egress.allow}. Host names in it are
   * the decision's canonical ones (no control characters can reach them: the request parser refuses
   * them).
   *
   * @param d a decision that denied the request, or that allowed it before the address guard refused
   *     every address the name resolved to
   */
  public static String advice(EgressDecision d) {
    Optional<String> refused = refusedByTheLoader(d);
    if (refused.isPresent()) {
      return "it cannot be allowed: " + refused.get();
    }
    if (d.allowed()) {
      return "the name is allowed, but the address it resolved to was refused by the address guard"
          + " (see docs/egress.md#the-address-guard)";
    }
    if (d.rule().isPresent()) {
      return "deny rules beat allow rules: to allow it, remove \"" + d.rule().get() + "\" from spec.egress.deny and add \""
          + d.ruleToAdd() + "\" to spec.egress.allow";
    }
    return "to allow it, add \"" + d.ruleToAdd() + "\" to spec.egress.allow";
  }

  /**
   * Why no policy can allow this destination, if none can: a cloud metadata address (the gateway
   * always refuses them and the loader refuses any allow rule naming one), or a rule text the rule
   * parser refuses.
   */
  static Optional<String> refusedByTheLoader(EgressDecision d) {
    try {
      IpLiteral ip = IpLiteral.tryParse(d.host());
      if (ip != null && SpecialAddresses.classify(ip.address()).filter(k -> k == SpecialAddresses.Kind.METADATA).isPresent()) {
        return Optional.of(d.host() + " is a cloud metadata address, which the gateway always refuses");
      }
      EgressRule.parse(d.ruleToAdd());
      return Optional.empty();
    } catch (EgressRuleException e) {
      return Optional.of("no allow rule can name it (" + e.getMessage() + ")");
    }
  }
}
