package dev.taskbound.core.broker;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Replaces secret values in text with {@code ***}: every known secret, each line of a multi-line
 * secret (a host may print a PEM key line by line), and any GitHub token, known or not: the classic
 * {@code ghp_/gho_/ghu_/ghs_/ghr_} form, the stateless JWT-form {@code ghs_} token, and fine-grained
 * {@code github_pat_} tokens. Immutable and thread-safe.
 */
public final class SecretMasker {
  /** Lines shorter than this are not masked on their own: they are separators, not secrets. */
  private static final int MIN_LINE = 6;

  private static final Pattern GITHUB_TOKENS =
      Pattern.compile("ghs_[A-Za-z0-9._]{36,}|gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,}");

  private static final String MASK = "***";

  private final List<String> needles;

  /** @param secrets the secrets to mask; null elements are not allowed */
  public SecretMasker(Collection<Secret> secrets) {
    Set<String> values = new LinkedHashSet<>();
    for (Secret secret : secrets) {
      String value = secret.reveal();
      values.add(value);
      if (value.indexOf('\n') >= 0 || value.indexOf('\r') >= 0) {
        for (String line : value.split("\\R")) {
          if (line.strip().length() >= MIN_LINE) {
            values.add(line.strip());
          }
        }
      }
    }
    List<String> sorted = new ArrayList<>(values);
    // Longest first, so a secret containing another is masked whole.
    sorted.sort(Comparator.comparingInt(String::length).reversed());
    this.needles = List.copyOf(sorted);
  }

  /**
   * The strings this masker hides (each secret, and each line of a multi-line one), longest first:
   * for a host that must also mask on its own side, such as the GitHub runner's {@code ::add-mask::}.
   * Secret values: never log them.
   */
  public List<String> values() {
    return needles;
  }

  /** The text with every secret replaced by {@code ***}; null gives null. */
  public String mask(String text) {
    if (text == null) {
      return null;
    }
    String masked = text;
    for (String needle : needles) {
      masked = masked.replace(needle, MASK);
    }
    return GITHUB_TOKENS.matcher(masked).replaceAll(Matcher.quoteReplacement(MASK));
  }
}
