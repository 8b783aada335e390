package dev.taskbound.core.policy;

import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * One secret of {@code spec.vault.secrets}: where it is read and how the agent may see it.
 *
 * @param name the policy's name for it (evidence names it by this and its fingerprint)
 * @param kind how it is read
 * @param path the logical Vault path, e.g. {@code secret/app/config} or {@code database/creds/ro}
 * @param field the data field to expose; empty exposes the whole data object as JSON
 * @param env the environment variable, when {@code access} is {@link Access#ENV}
 * @param file the file name in the session's credential directory, when {@code access} is {@link
 *     Access#FILE}
 * @param wrap a response-wrapping TTL: the agent gets a single-use wrapping token instead; a session
 *     uses {@link #wrapTtl}, never longer than itself
 * @param access how the agent may see it; {@link Access#ON_REQUEST} secrets are served one request
 *     at a time and never put into the environment or a file
 */
public record VaultSecretPolicy(
    String name, Kind kind, String path, Optional<String> field, Optional<String> env, Optional<String> file,
    Optional<Duration> wrap, Access access) {

  /** How a secret is read. */
  public enum Kind {
    KV1, KV2, DYNAMIC;

    public String yamlName() {
      return PolicyEnums.yamlName(this);
    }
  }

  /** How the agent may see a secret. */
  public enum Access {
    ENV, FILE, ON_REQUEST;

    /** {@code env}, {@code file}, {@code on-request}. */
    public String yamlName() {
      return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
  }

  public VaultSecretPolicy {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(field, "field");
    Objects.requireNonNull(env, "env");
    Objects.requireNonNull(file, "file");
    Objects.requireNonNull(wrap, "wrap");
    Objects.requireNonNull(access, "access");
  }

  /**
   * The wrapping token's TTL in a session of {@code sessionTtl}: {@code wrap}, cut to the session's
   * TTL. A wrapping token is an orphan (revoking the child token or the login leaves it valid) and
   * Vault does not cap its TTL, so a longer {@code wrap} would let it be unwrapped after the session.
   * Cut rather than refused: {@code wrap} is an upper bound that narrows, and a lower layer may
   * shorten the session after the layer that set {@code wrap}, as {@link VaultPolicy#tokenTtl} cuts
   * the child token's TTL.
   */
  public Optional<Duration> wrapTtl(Duration sessionTtl) {
    Objects.requireNonNull(sessionTtl, "sessionTtl");
    return wrap.map(w -> w.compareTo(sessionTtl) > 0 ? sessionTtl : w);
  }
}
