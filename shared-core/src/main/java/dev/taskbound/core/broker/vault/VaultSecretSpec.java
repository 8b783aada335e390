package dev.taskbound.core.broker.vault;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * One secret to read with the child token and how the agent receives it.
 *
 * @param name the policy's name for it (evidence names it by this and its fingerprint)
 * @param kind how to read it
 * @param path the logical path: {@code secret/app/db} (KV: mount then key; for KV v2 the broker
 *     inserts {@code data/} after the mount), {@code database/creds/ROLE} (dynamic)
 * @param mountDepth how many leading segments of {@code path} are the mount (KV v2 only; 1 for
 *     {@code secret/...})
 * @param field the data field to expose; empty exposes the whole data object as JSON
 * @param env the environment variable to expose it as (at most one of env and file)
 * @param file the file name (relative, in the session's credential directory) to write it to;
 *     with neither env nor file the value is only returned in {@link
 *     dev.taskbound.core.broker.IssuedCredential#value()}, for a session that serves it on request
 * @param wrap when set, the agent gets a single-use response-wrapping token with this TTL instead
 *     of the value ({@code X-Vault-Wrap-TTL}); it unwraps with {@code POST /v1/sys/wrapping/unwrap}
 */
public record VaultSecretSpec(
    String name, Kind kind, String path, int mountDepth, Optional<String> field,
    Optional<String> env, Optional<String> file, Optional<Duration> wrap) {

  /** How a secret is read. */
  public enum Kind {
    KV1, KV2, DYNAMIC
  }

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");
  private static final Pattern ENV = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
  private static final int MAX_PATH = 1024;
  private static final Pattern PATH = Pattern.compile("[A-Za-z0-9._-]+(/[A-Za-z0-9._@-]+)+");

  /** @throws dev.taskbound.core.broker.BrokerException naming the field that is invalid */
  public VaultSecretSpec {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(field, "field");
    Objects.requireNonNull(env, "env");
    Objects.requireNonNull(file, "file");
    Objects.requireNonNull(wrap, "wrap");
    if (name == null || !NAME.matcher(name).matches()) {
      throw VaultConnection.invalid("secrets name '" + name + "' must match " + NAME);
    }
    String where = "secrets." + name;
    if (path != null && path.length() > MAX_PATH) {
      // Bounded before the regexes below, whose cost grows with the input.
      throw VaultConnection.invalid(where + ".path is " + path.length() + " characters long; at most " + MAX_PATH);
    }
    path = path == null ? null : path.strip().replaceAll("^/+|/+$", "");
    if (path == null || !PATH.matcher(path).matches() || path.contains("..")) {
      throw VaultConnection.invalid(where + ".path '" + path + "' is not a Vault path like secret/app/db");
    }
    if (kind == Kind.KV2 && (mountDepth < 1 || mountDepth >= path.split("/").length)) {
      throw VaultConnection.invalid(where + ".mount_depth " + mountDepth + " leaves no key in path '" + path + "'");
    }
    if (env.isPresent() && file.isPresent()) {
      throw VaultConnection.invalid(where + " has both env and file; accepted: at most one (neither: the value is"
          + " only returned, for a secret served on request)");
    }
    env.ifPresent(e -> {
      if (!ENV.matcher(e).matches()) {
        throw VaultConnection.invalid(where + ".env '" + e + "' is not an environment variable name");
      }
    });
    file.ifPresent(f -> {
      if (f.startsWith("/") || f.contains("..") || !f.matches("[A-Za-z0-9._/-]+")) {
        throw VaultConnection.invalid(where + ".file '" + f + "' must be a relative name without '..'");
      }
    });
    wrap.ifPresent(w -> {
      if (w.isNegative() || w.isZero()) {
        throw VaultConnection.invalid(where + ".wrap must be a positive duration, got " + w);
      }
    });
  }

  /** A secret exposed as an environment variable, no wrapping, mount depth 1. */
  public static VaultSecretSpec env(String name, Kind kind, String path, Optional<String> field, String env) {
    return new VaultSecretSpec(name, kind, path, 1, field, Optional.of(env), Optional.empty(), Optional.empty());
  }

  /** A secret written to a file, no wrapping, mount depth 1. */
  public static VaultSecretSpec file(String name, Kind kind, String path, Optional<String> field, String file) {
    return new VaultSecretSpec(name, kind, path, 1, field, Optional.empty(), Optional.of(file), Optional.empty());
  }

  /** The HTTP API path under {@code /v1/}: KV v2 gets {@code data/} after the mount. */
  String apiPath() {
    if (kind != Kind.KV2) {
      return path;
    }
    String[] parts = path.split("/", mountDepth + 1);
    return String.join("/", java.util.Arrays.copyOf(parts, mountDepth)) + "/data/" + parts[mountDepth];
  }
}
