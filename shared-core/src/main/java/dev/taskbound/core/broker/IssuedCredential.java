package dev.taskbound.core.broker;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * One credential a broker issued, and how the agent receives it.
 *
 * @param name the policy's name for it (e.g. {@code github}, {@code db-password}); used in evidence
 * @param kind {@code github-token}, {@code vault-token} or {@code vault-secret}
 * @param value the credential itself; its fingerprint names it in evidence and reports
 * @param expiresAt when the issuer says it expires, if it says
 * @param environment variables to give the agent; values MAY be secret (e.g. {@code GH_TOKEN}), so
 *     log the names only
 * @param files relative file name to content, written with mode 0600 by the session (content may
 *     be secret, or a configuration that reads a secret from the environment)
 */
public record IssuedCredential(
    String name,
    String kind,
    Secret value,
    Optional<Instant> expiresAt,
    Map<String, String> environment,
    Map<String, Secret> files) {

  public IssuedCredential {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(value, "value");
    Objects.requireNonNull(expiresAt, "expiresAt");
    environment = Map.copyOf(environment);
    files = Map.copyOf(files);
  }

  /** Names the credential, its fingerprint and the variable and file names; never a value. */
  @Override
  public String toString() {
    return "IssuedCredential[name=" + name + ", kind=" + kind + ", value=" + value
        + ", expiresAt=" + expiresAt.map(Instant::toString).orElse("unknown")
        + ", environment=" + new TreeMap<>(environment).keySet()
        + ", files=" + new TreeMap<>(files).keySet() + "]";
  }
}
