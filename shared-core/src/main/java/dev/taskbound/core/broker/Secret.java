package dev.taskbound.core.broker;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;

/**
 * A secret value with a redacted {@code toString}. The value leaves only through {@link #reveal},
 * so every place that handles the plain value is greppable. Immutable and thread-safe; equality is
 * by value.
 */
public final class Secret {
  private final String value;
  private final String fingerprint;

  private Secret(String value) {
    this.value = value;
    this.fingerprint = fingerprintOf(value);
  }

  /**
   * @throws NullPointerException if {@code value} is null
   * @throws IllegalArgumentException if {@code value} is empty
   */
  public static Secret of(String value) {
    Objects.requireNonNull(value, "value");
    if (value.isEmpty()) {
      throw new IllegalArgumentException("a secret must not be empty");
    }
    return new Secret(value);
  }

  /** The plain value. Callers must not log, print or persist it. */
  public String reveal() {
    return value;
  }

  /** {@code sha256:} and the first 12 hex digits of the SHA-256 of the UTF-8 value. */
  public String fingerprint() {
    return fingerprint;
  }

  private static String fingerprintOf(String value) {
    try {
      byte[] hash = MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
      return "sha256:" + HexFormat.of().formatHex(hash).substring(0, 12);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every JDK", e);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Secret other
        && MessageDigest.isEqual(
            value.getBytes(StandardCharsets.UTF_8), other.value.getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public int hashCode() {
    return fingerprint.hashCode();
  }

  /** {@code Secret[sha256:…]}; never the value. */
  @Override
  public String toString() {
    return "Secret[" + fingerprint + "]";
  }
}
