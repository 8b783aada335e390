package dev.taskbound.core.evidence;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;

/**
 * Names a secret without revealing it: {@code "sha256:"} followed by the first 12 lowercase hex
 * digits of the SHA-256 of the secret's UTF-8 bytes. Evidence, logs and reports carry only this
 * form. Twelve hex digits (48 bits) tell credentials of one session apart; they are not meant to
 * resist a brute-force search of low-entropy secrets, which tokens are not.
 */
public final class Fingerprint {
  private static final int HEX_DIGITS = 12;

  private Fingerprint() {}

  /**
   * Returns the fingerprint of {@code secret}. Pure function, thread-safe.
   *
   * @throws NullPointerException if {@code secret} is null
   */
  public static String of(String secret) {
    Objects.requireNonNull(secret, "secret");
    return "sha256:" + sha256Hex(secret.getBytes(StandardCharsets.UTF_8)).substring(0, HEX_DIGITS);
  }

  /** Lowercase hex SHA-256 of {@code bytes}. */
  static String sha256Hex(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }
}
