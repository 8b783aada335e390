package dev.taskbound.core.policy;

/**
 * How the evidence records the prompts an agent's hooks report ({@code gate.prompts}), ordered by
 * how much is kept: {@code off < hash < full}. A lower layer may record more, never less.
 */
public enum PromptRecording {
  /** Only that a prompt was submitted, and its length. */
  OFF,
  /** The prompt's SHA-256 and length (the default): provable later against the text, not readable. */
  HASH,
  /** The prompt's text, masked like every other value the evidence holds. */
  FULL;

  /** The YAML spelling. */
  public String yamlName() {
    return PolicyEnums.yamlName(this);
  }
}
