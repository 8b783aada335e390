package dev.taskbound.core.policy;

/** Whether egress isolation must be kernel-enforced ({@code strict}, narrower) or may rely on cooperation. */
public enum Enforcement {
  /** The agent must be in a namespace or container with no route out but the gateway. */
  STRICT,
  /** Proxy variables are enough; a tool that ignores them escapes. Wider than {@link #STRICT}. */
  COOPERATIVE;

  /** The YAML spelling. */
  public String yamlName() {
    return PolicyEnums.yamlName(this);
  }
}
