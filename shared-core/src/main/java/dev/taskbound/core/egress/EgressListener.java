package dev.taskbound.core.egress;

import java.net.InetAddress;
import java.util.Optional;

/**
 * Receives every egress decision the {@link Gateway} makes, once per proxied request, before any
 * byte is relayed. Called on one of the gateway's selector threads, which serve many connections
 * (possibly from several threads at once): implementations must be thread-safe and must not block
 * for long.
 *
 * <p>If the listener throws, the decision could not be recorded: the gateway does not relay the
 * request, and it fails ({@link Gateway#onFailure}), closing every connection. Nothing the gateway
 * does goes unrecorded.
 */
@FunctionalInterface
public interface EgressListener {
  /** A listener that records nothing. */
  EgressListener NONE = (decision, method, dialled) -> {};

  /**
   * @param decision the rule decision for the canonical host and port
   * @param method the request method ({@code CONNECT}, {@code GET}, ...)
   * @param dialled the address the gateway connected to; empty when the request was denied or
   *     no address could be reached (then {@code decision.allowed()} may still be true)
   */
  void onDecision(EgressDecision decision, String method, Optional<InetAddress> dialled);

  /**
   * An allowed request that was not dialled because the address checks refused the addresses its
   * name resolved to (the agent gets {@code 403}). It is a denial: by default it is passed to
   * {@link #onDecision} as a denied decision with the refusal's reason; the session records it as
   * its own event type with the address's class.
   *
   * @param decision the allow decision of the rules
   * @param method the request method
   * @param refusal the refused address, its class and the reason
   */
  default void onAddressRefused(EgressDecision decision, String method, AddressRefusal refusal) {
    onDecision(new EgressDecision(decision.host(), decision.port(), false, Optional.empty(), refusal.reason()),
        method, Optional.empty());
  }
}
