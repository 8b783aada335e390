package dev.taskbound.core.policy;

/**
 * A GitHub App permission level, ordered {@code read < write < admin}. Spelled in lower case, as in
 * GitHub's {@code permissions} object.
 */
public enum Permission {
  READ,
  WRITE,
  ADMIN;

  /** The YAML and GitHub API spelling. */
  public String yamlName() {
    return PolicyEnums.yamlName(this);
  }
}
