package io.jenkins.plugins.taskbound;

import edu.umd.cs.findbugs.annotations.NonNull;
import java.util.Optional;

/**
 * What {@code taskbound credentials issue --handoff - --allow-none} left on its standard output: the
 * hand-off and nothing else, or nothing when the policy grants no credentials. Anything else is
 * refused without quoting it (it may hold a value). Needs no Jenkins type.
 */
final class HandoffOutput {
  /** How every hand-off begins (the core's {@code CredentialHandoff} format). */
  static final String MARKER = "{\"format\":\"taskbound-credential-handoff/";

  private HandoffOutput() {}

  /**
   * @param stdout the whole standard output, after it exited 0
   * @return the hand-off, or empty when nothing was issued
   * @throws IllegalStateException if it is neither empty nor a hand-off; the message gives its length only
   */
  @NonNull
  static Optional<String> read(@NonNull String stdout) {
    if (stdout.isBlank()) {
      return Optional.empty();
    }
    String text = stdout.strip();
    if (!text.startsWith(MARKER) || !text.endsWith("}")) {
      throw new IllegalStateException("taskbound: the controller's 'credentials issue --handoff -' printed "
          + stdout.length() + " characters that are not a credential hand-off on standard output (not quoted: they may"
          + " hold a value); accepted: the hand-off alone, or nothing; is the bundled core older than the plugin?");
    }
    return Optional.of(text);
  }
}
