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

  /**
   * As {@link #decide(AccessRequest)}, for a caller that can tell when the client went away: a policy
   * that waits (an approval) may stop waiting once {@code callerGone} answers true. By default the
   * client is not asked about.
   *
   * @param callerGone whether the client closed its connection; cheap, may be asked repeatedly
   * @return never null
   */
  default Decision decide(AccessRequest request, java.util.function.BooleanSupplier callerGone) {
    return decide(request);
  }
}
