package dev.taskbound.core.gate;

/**
 * Decides each authenticated request before the agent API serves it: the hook where the runtime
 * gate's rules and approvals plug in. Called on the API's worker threads, possibly concurrently;
 * implementations must be thread-safe. An exception thrown here refuses the request ({@code
 * 500}) and nothing is served.
 */
@FunctionalInterface
public interface AccessPolicy {
  /** Allows everything that passed authentication: the default until the gate has rules. */
  AccessPolicy ALLOW_ALL = request -> Decision.ALLOW;

  /** @return never null */
  Decision decide(AccessRequest request);
}
