package dev.taskbound.core.policy;

import dev.taskbound.core.egress.EgressRule;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A last narrowing layer for egress given by a host rather than a policy file ({@code run
 * --egress-allow}, the GitHub Action's {@code egress-allow} input): the allow list becomes exactly
 * the given rules, each of which must be covered by the policy's own allow list. It can only take
 * hosts away; a rule the policy does not cover is an error naming the rule. Stateless.
 */
public final class EgressAllowNarrowing {
  private EgressAllowNarrowing() {}

  /**
   * The same policy allowing only {@code rules}.
   *
   * @param source how the rules were given, for messages and provenance, e.g. {@code --egress-allow}
   * @throws PolicyException naming {@code source}, the first rule no policy rule covers and where the
   *     policy's allow list comes from; or if {@code rules} is empty
   */
  public static EffectivePolicy narrow(EffectivePolicy policy, List<EgressRule> rules, String source) {
    Objects.requireNonNull(policy, "policy");
    Objects.requireNonNull(source, "source");
    if (rules.isEmpty()) {
      throw new PolicyException(source + ": no rule given; accepted: one or more host[:port] rules the policy allows");
    }
    Provenance at = Provenance.commandLine(source);
    Provenance limit = policy.provenanceOf("egress.allow").orElse(Provenance.BUILT_IN);
    List<Located<EgressRule>> upper = new ArrayList<>();
    for (EgressRule r : policy.allow()) {
      upper.add(new Located<>(r, limit, "egress.allow"));
    }
    EgressCoverIndex index = EgressCoverIndex.of(upper);
    for (EgressRule rule : rules) {
      if (!index.covers(rule)) {
        throw new PolicyException(source + " " + rule + " widens the policy (" + (policy.allow().isEmpty()
            ? limit + " allows no egress"
            : "no rule of " + limit + " covers it; allowed: " + shown(policy.allow()))
            + "); accepted: only rules the policy files already allow");
      }
    }
    List<EgressRule> narrowed = rules.stream().distinct().toList();
    Map<String, Provenance> prov = new LinkedHashMap<>();
    policy.provenance().forEach((key, value) -> {
      if (!key.startsWith("egress.allow[")) {
        prov.put(key, value);
      }
    });
    prov.put("egress.allow", at);
    for (int i = 0; i < narrowed.size(); i++) {
      prov.put("egress.allow[" + i + "]", at);
    }
    return policy.withAllow(narrowed, prov);
  }

  /** At most ten rules, then how many more: a large policy must not make a huge message. */
  private static String shown(List<EgressRule> rules) {
    String head = String.join(", ", rules.stream().limit(10).map(EgressRule::toString).toList());
    return rules.size() > 10 ? head + " and " + (rules.size() - 10) + " more" : head;
  }
}
