package dev.taskbound.core.session;

import dev.taskbound.core.policy.SandboxBackend;
import dev.taskbound.core.sandbox.SandboxException;
import java.util.List;
import java.util.Map;

/**
 * Refuses the cooperative {@code proxy} backend while Taskbound's own environment holds a long-lived
 * host credential. There the agent is Taskbound's user with no namespace between them, so it can
 * read {@code /proc/<taskbound>/environ} (and the files those variables name): the App key or the
 * Vault login would reach the agent, which must only ever see the session's short-lived tokens.
 */
final class CooperativeExposure {
  /** The host credential variables the brokers read; each is a secret or names a file holding one. */
  static final List<String> HOST_CREDENTIAL_VARIABLES = List.of(
      "TASKBOUND_GITHUB_APP_KEY", "TASKBOUND_GITHUB_APP_KEY_FILE",
      "TASKBOUND_VAULT_TOKEN", "TASKBOUND_VAULT_JWT", "TASKBOUND_VAULT_JWT_FILE", "TASKBOUND_VAULT_SECRET_ID");

  private CooperativeExposure() {}

  /**
   * @throws SandboxException (exit 121) if {@code backend} is {@code proxy} and any of {@link
   *     #HOST_CREDENTIAL_VARIABLES} is set (non-empty) in {@code hostEnvironment}; names the variables,
   *     never a value
   */
  static void check(SandboxBackend backend, Map<String, String> hostEnvironment) {
    if (backend != SandboxBackend.PROXY) {
      return;
    }
    List<String> set = HOST_CREDENTIAL_VARIABLES.stream()
        .filter(name -> !hostEnvironment.getOrDefault(name, "").isEmpty())
        .toList();
    if (!set.isEmpty()) {
      throw new SandboxException("the proxy backend (enforcement: cooperative) runs the agent as Taskbound's own user,"
          + " which can read Taskbound's environment, and " + String.join(", ", set) + (set.size() == 1 ? " is" : " are")
          + " set there; accepted: the netns or container backend, or credentials issued elsewhere"
          + " ('taskbound credentials issue') and passed with --credentials-handoff, with these variables unset");
    }
  }
}
