package dev.taskbound.core.gate;

import dev.taskbound.core.policy.EffectivePolicy;
import dev.taskbound.core.policy.GateDecision;
import dev.taskbound.core.policy.GateRule;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The runtime gate's rules as the effective policy states them ({@code gate.rules}): for an action,
 * the strictest matching rule decides ({@code allow < approve < deny}); when no rule matches, the
 * default {@link #DEFAULT} applies. Immutable and thread-safe.
 */
public final class GateRules {
  /** What the gate does with an action no rule names. */
  public static final GateDecision DEFAULT = GateDecision.ALLOW;

  /** A rule with where it was written ({@code task.yml:12}, {@code built-in default}). */
  private record Sourced(GateRule rule, String source) {}

  /**
   * What the gate decided about one action, and why.
   *
   * @param action the concrete action, e.g. {@code secret.read}
   * @param decision what applies
   * @param rule the rule that decided; empty when none matched and {@link #DEFAULT} applied
   * @param source where that rule was written; empty with the default
   */
  public record Verdict(String action, GateDecision decision, Optional<GateRule> rule, Optional<String> source) {
    public Verdict {
      Objects.requireNonNull(action, "action");
      Objects.requireNonNull(decision, "decision");
      Objects.requireNonNull(rule, "rule");
      Objects.requireNonNull(source, "source");
    }

    /** The deciding rule as the evidence names it ({@code secret.read: deny}), or {@code default}. */
    public String ruleName() {
      return rule.map(GateRule::toString).orElse("default");
    }

    /** {@code gate rule 'secret.read: deny' (task.yml:12)}, or {@code the gate's default (no rule matches secret.read)}. */
    public String describe() {
      return rule.isEmpty()
          ? "the gate's default (no gate rule matches " + action + ")"
          : "gate rule '" + rule.get() + "'" + source.map(s -> " (" + s + ")").orElse("");
    }
  }

  private final List<Sourced> rules;

  private GateRules(List<Sourced> rules) {
    this.rules = List.copyOf(rules);
  }

  /** The effective policy's rules, each with its provenance. */
  public static GateRules of(EffectivePolicy policy) {
    List<Sourced> rules = new ArrayList<>();
    List<GateRule> list = policy.gateRules();
    for (int i = 0; i < list.size(); i++) {
      String source = policy.provenanceOf("gate.rules[" + i + "]").map(Object::toString).orElse("gate.rules[" + i + "]");
      rules.add(new Sourced(list.get(i), source));
    }
    return new GateRules(rules);
  }

  /** No rules: every action gets {@link #DEFAULT}. */
  public static GateRules none() {
    return new GateRules(List.of());
  }

  /**
   * Decides a concrete action: the strictest matching rule (the first written among equally
   * strict ones), else the default.
   *
   * @param action a concrete action name such as {@code secret.read}
   */
  public Verdict decide(String action) {
    return decide(action, "");
  }

  /**
   * Decides an action on a named target: rules for the action itself and rules for
   * {@code action.target} ({@code secret.read.db}, or {@code secret.read.*}) both apply, the
   * strictest deciding, so a rule written for one secret is never silently ignored.
   *
   * @param action a concrete action name such as {@code secret.read}
   * @param target the target's name ({@code db}); rules name it in lower case, its dots kept
   *     ({@code secret.read.npm_token} decides {@code NPM_TOKEN}, {@code secret.read.db.prod}
   *     {@code db.prod}: a rule that looks as if it named a secret must not silently miss it; folding
   *     can only add rules, and the strictest decides). A name no rule can spell ({@code 1password},
   *     {@code db.2024}) still meets the wildcards above it ({@code secret.read.*}, {@code secret.read.db.*})
   */
  public Verdict decide(String action, String target) {
    Objects.requireNonNull(action, "action");
    Objects.requireNonNull(target, "target");
    // Named or not (a label cannot start with a digit: 1password), a target is one of every target:
    // action.* covers it by prefix, as secret.read.db.* covers db.2024.
    String named = action + "." + target.toLowerCase(java.util.Locale.ROOT);
    Sourced decider = null;
    for (Sourced r : rules) {
      boolean matches = r.rule().matches(action) || !target.isEmpty() && r.rule().matches(named);
      if (matches && (decider == null || r.rule().decision().compareTo(decider.rule().decision()) > 0)) {
        decider = r;
      }
    }
    return decider == null
        ? new Verdict(action, DEFAULT, Optional.empty(), Optional.empty())
        : new Verdict(action, decider.rule().decision(), Optional.of(decider.rule()), Optional.of(decider.source()));
  }
}
