package dev.taskbound.core.session;

import dev.taskbound.core.SafeText;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The names a credential hand-off may give the agent's variables and credential files, checked by the issuer
 * before anything is written (so a hand-off the session would refuse is never handed off, and what
 * was issued is revoked at once) and again by the session that reads it.
 */
final class HandoffNames {
  /**
   * One path element, as {@code vault.secrets[].file} accepts, never {@code .} or {@code ..}: the
   * session writes it into its own credentials directory, which teardown scrubs.
   */
  private static final Pattern FILE_NAME = Pattern.compile("(?!\\.{1,2}$)[A-Za-z0-9._-]{1,128}");

  /** As {@code vault.secrets[].env} accepts; which names a credential may set is the policy's ({@link PolicyExposure}). */
  private static final Pattern VARIABLE = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,127}");

  private HandoffNames() {}

  /**
   * Why {@code name} is not a variable name, or empty if it is one.
   *
   * @param at where it stands, e.g. {@code credentials[2]}
   */
  static Optional<String> refusedVariable(String at, String name) {
    if (VARIABLE.matcher(name).matches()) {
      return Optional.empty();
    }
    return Optional.of(at + ".environment has the name " + SafeText.quoted(name)
        + "; accepted: a variable name of [A-Za-z_][A-Za-z0-9_], at most 128");
  }

  /**
   * Why {@code name} is not a credential file name, or empty if it is one.
   *
   * @param at where it stands, e.g. {@code credentials[2]}
   */
  static Optional<String> refusedFile(String at, String name) {
    if (FILE_NAME.matcher(name).matches()) {
      return Optional.empty();
    }
    return Optional.of(at + ".files has the name " + SafeText.quoted(name)
        + "; accepted: one file name of [A-Za-z0-9._-], at most 128, not . or .. (no '/')");
  }
}
