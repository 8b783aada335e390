package dev.taskbound.core.policy;

/** {@code sandbox.confinement}: the whole floor ({@code full}, narrower), or what the Ceiling lets go. */
public enum ConfinementLevel {
  /** Every protection applies; one that cannot be applied stops the run (exit 121). The default. */
  FULL,
  /** The protections the Ceiling lists in {@code sandbox.allowReduced} may be off where the host cannot give them. */
  REDUCED;

  /** The YAML spelling. */
  public String yamlName() {
    return PolicyEnums.yamlName(this);
  }
}
