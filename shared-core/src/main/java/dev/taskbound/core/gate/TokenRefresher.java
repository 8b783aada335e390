package dev.taskbound.core.gate;

/**
 * Mints a fresh GitHub token for the agent; the session backs it with {@code
 * GithubBroker.refresh}, which registers the new token's revocation first and revokes the token
 * it replaces. Calls are serialised by the agent API (one refresh at a time), so an
 * implementation may keep the current token in a field. A {@link
 * dev.taskbound.core.TaskboundException} (such as {@code BrokerException}) is reported to the
 * agent as {@code 502} with its message; any other exception as a bare {@code 500}.
 */
@FunctionalInterface
public interface TokenRefresher {
  /** @return never null */
  RefreshedToken refresh();
}
