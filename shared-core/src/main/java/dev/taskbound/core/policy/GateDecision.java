package dev.taskbound.core.policy;

/** What the runtime gate does with an action, ordered by strictness {@code allow < approve < deny}. */
public enum GateDecision {
  ALLOW,
  /** The action waits for a human approval. */
  APPROVE,
  DENY;

  /** The YAML spelling. */
  public String yamlName() {
    return PolicyEnums.yamlName(this);
  }

  /** The stricter of two decisions. */
  public GateDecision strictest(GateDecision other) {
    return compareTo(other) >= 0 ? this : other;
  }
}
