package dev.taskbound.core.session;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Where one session keeps its files. The state directory (journal, evidence, keys) lives under the
 * session root and is hidden from the agent; the runtime directory holds only the gateway's socket
 * and sits on a short path because Unix socket paths are limited to about 100 bytes.
 *
 * <pre>
 * &lt;sessionRoot&gt;/&lt;session-id&gt;/          0700, hidden inside the sandbox (the evidence
 *     sealing key is never written: it lives in the session's memory only)
 *     session.json    what teardown needs to know (task, out dir, runtime dir)
 *     journal.jsonl   the teardown journal
 *     events.jsonl    the evidence log
 *     signer-statement.json  the org signer's statement on the evidence key (when configured)
 *     effective-policy.json, identity.json
 * &lt;runtimeRoot&gt;/tb-&lt;session-id&gt;/gateway.sock
 * &lt;runtimeRoot&gt;/tb-&lt;session-id&gt;/credentials/   0700, files 0600; visible to the agent,
 *     scrubbed at teardown
 * &lt;runtimeRoot&gt;/tb-&lt;session-id&gt;/registries/    0700: .npmrc, pip.conf, settings.xml,
 *     .gitconfig (0600) for spec.registries; visible to the agent, removed at teardown
 * </pre>
 */
public record SessionLayout(Path sessionRoot, Path stateDir, Path runtimeDir) {
  public SessionLayout {
    Objects.requireNonNull(sessionRoot, "sessionRoot");
    Objects.requireNonNull(stateDir, "stateDir");
    Objects.requireNonNull(runtimeDir, "runtimeDir");
  }

  /**
   * The session root when none is configured: {@code ~/.taskbound/sessions} of the JVM's home
   * directory, else of {@code $HOME}, else {@code $XDG_STATE_HOME/taskbound/sessions}. A uid without
   * a passwd entry has no home ({@code user.home} is {@code ?}): a relative or unknown home is never
   * used, since the session root would land in the working directory, which the agent can write.
   *
   * @throws SessionException (exit 121) if none of them is an absolute path
   */
  public static Path defaultSessionRoot(java.util.Map<String, String> env, String userHome) {
    for (String home : new String[] {userHome, env.get("HOME")}) {
      if (home != null && !home.isBlank() && !home.equals("?") && Path.of(home).isAbsolute()) {
        return Path.of(home, ".taskbound", "sessions");
      }
    }
    String state = env.get("XDG_STATE_HOME");
    if (state != null && !state.isBlank() && Path.of(state).isAbsolute()) {
      return Path.of(state, "taskbound", "sessions");
    }
    throw new SessionException(
        "cannot choose a session root: this user has no home directory (user.home is '" + userHome
            + "', as for a uid without a passwd entry) and neither HOME nor XDG_STATE_HOME is an absolute path;"
            + " accepted: --session-root DIR, TASKBOUND_SESSION_ROOT or TASKBOUND_HOME",
        dev.taskbound.core.ExitCodes.SANDBOX);
  }

  /** The layout of session {@code sessionId} under the given roots. */
  public static SessionLayout of(Path sessionRoot, Path runtimeRoot, String sessionId) {
    Path root = sessionRoot.toAbsolutePath().normalize();
    return new SessionLayout(
        root, root.resolve(sessionId), runtimeRoot.toAbsolutePath().normalize().resolve("tb-" + sessionId));
  }

  /** The layout recorded in an existing state directory (for {@code taskbound teardown}). */
  public static SessionLayout ofStateDir(Path stateDir, Path runtimeDir) {
    Path state = stateDir.toAbsolutePath().normalize();
    return new SessionLayout(state.getParent(), state, runtimeDir);
  }

  public Path sessionFile() {
    return stateDir.resolve("session.json");
  }

  public Path journal() {
    return stateDir.resolve("journal.jsonl");
  }

  public Path events() {
    return stateDir.resolve("events.jsonl");
  }

  /** The org signer's statement certifying the evidence key, when the Ceiling names a signer. */
  public Path signerStatement() {
    return stateDir.resolve("signer-statement.json");
  }

  public Path effectivePolicy() {
    return stateDir.resolve("effective-policy.json");
  }

  public Path identityClaims() {
    return stateDir.resolve("identity.json");
  }

  public Path jwks() {
    return stateDir.resolve("jwks.json");
  }

  /** The agent's credential files: in the runtime directory, which the sandbox does not hide. */
  public Path credentialsDir() {
    return runtimeDir.resolve("credentials");
  }

  /** The package clients' configuration for {@code spec.registries}: in the runtime directory, visible to the agent. */
  public Path registriesDir() {
    return runtimeDir.resolve("registries");
  }

  /** The named pipe carrying the agent's stdout ({@code 1}) or stderr ({@code 2}) to the masker. */
  public Path outputPipe(int fd) {
    return stateDir.resolve("agent-" + fd + ".pipe");
  }

  public Path gatewaySocket() {
    return runtimeDir.resolve("gateway.sock");
  }
}
