package dev.taskbound.core;

import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * The GitHub Actions runner's fence around output that must not run workflow commands: after
 * {@code ::stop-commands::TOKEN} the runner runs none until {@code ::TOKEN::}. Shared by the CLI on a
 * runner and the Action. Stateless and thread-safe.
 */
public final class StopCommands {
  private static final SecureRandom RANDOM = new SecureRandom();

  private StopCommands() {}

  /**
   * A fresh random token: 128 bits from a {@link SecureRandom}, hex, so output that did not see it
   * cannot end the fence.
   */
  public static String token() {
    byte[] bytes = new byte[16];
    RANDOM.nextBytes(bytes);
    return HexFormat.of().formatHex(bytes);
  }

  /** The line after which the runner runs no workflow command until {@link #resume}. */
  public static String stop(String token) {
    return "::stop-commands::" + requireToken(token);
  }

  /** The line that ends the fence {@link #stop} began. */
  public static String resume(String token) {
    return "::" + requireToken(token) + "::";
  }

  private static String requireToken(String token) {
    if (!token.matches("[0-9a-f]{32,}")) {
      throw new IllegalArgumentException("a stop-commands token is at least 32 hex digits");
    }
    return token;
  }
}
