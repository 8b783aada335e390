package dev.taskbound.core.policy;

/**
 * How the agent's network is isolated, from strongest to weakest. Spelled in lower case in YAML and
 * on the command line ({@code netns}, {@code container}, {@code proxy}).
 */
public enum SandboxBackend {
  /** A network namespace with only loopback (Linux, {@code unshare --net}). */
  NETNS,
  /** A {@code --network none} forwarder container that the agent's container joins. */
  CONTAINER,
  /** Proxy variables only; cooperative, so only allowed with {@link Enforcement#COOPERATIVE}. */
  PROXY;

  /** The YAML spelling. */
  public String yamlName() {
    return PolicyEnums.yamlName(this);
  }

  /**
   * Parses the YAML / command-line spelling.
   *
   * @throws PolicyException naming the value and the accepted spellings
   */
  public static SandboxBackend parse(String text) {
    return PolicyEnums.parse(SandboxBackend.class, text);
  }
}
