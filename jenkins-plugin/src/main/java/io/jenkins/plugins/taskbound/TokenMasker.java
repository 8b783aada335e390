package io.jenkins.plugins.taskbound;

import edu.umd.cs.findbugs.annotations.NonNull;
import java.util.regex.Pattern;

/**
 * Masks, in a line of build log, the credentials a task envelope issues whose values the plugin
 * cannot learn (the core mints them on the agent) but whose shape is fixed: GitHub tokens (the
 * App installation tokens {@code ghs_...}, and the other GitHub token kinds, which have no business
 * in a log either) and Vault tokens ({@code hvs.}, {@code hvb.}, {@code hvr.}). Values of other
 * secrets (Vault KV values, registry passwords) have no shape and need the core to hand them over;
 * see docs/jenkins.md. No Jenkins types; thread-safe.
 */
final class TokenMasker {
  /** What a masked token is replaced with, as credentials-binding does. */
  static final String MASK = "****";

  // The GitHub shapes are those the core's SecretMasker masks in its own output.
  private static final Pattern TOKENS = Pattern.compile(
      "ghs_[A-Za-z0-9._]{36,}|gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,}"
          + "|\\bhv[sbr]\\.[A-Za-z0-9_-]{24,}");

  private TokenMasker() {}

  /** {@code line} with every token-shaped run replaced by {@link #MASK}. */
  @NonNull
  static String mask(@NonNull String line) {
    return TOKENS.matcher(line).replaceAll(MASK);
  }

  /** Whether {@code line} holds something {@link #mask} would replace; a cheap test before decoding. */
  static boolean mightHoldToken(@NonNull String line) {
    return line.contains("gh") || line.contains("hv");
  }

  /**
   * {@code line} with each of {@code values} (the values the controller issued, longest first, so a
   * value containing another is masked whole) and then every token-shaped run replaced by {@link #MASK}.
   */
  @NonNull
  static String mask(@NonNull String line, @NonNull java.util.List<String> values) {
    String masked = line;
    java.util.List<String> longestFirst = new java.util.ArrayList<>(values);
    longestFirst.sort(java.util.Comparator.comparingInt(String::length).reversed());
    for (String value : longestFirst) {
      if (!value.isEmpty() && masked.contains(value)) {
        masked = masked.replace(value, MASK);
      }
    }
    return mightHoldToken(masked) ? mask(masked) : masked;
  }
}
