package dev.taskbound.core.egress;

import java.net.InetAddress;
import java.util.Optional;

/**
 * Receives every egress decision the {@link Gateway} makes, once per proxied request, before any
 * byte is relayed. Called on one of the gateway's selector threads, which serve many connections
 * (possibly from several threads at once): implementations must be thread-safe and must not block
 * for long.
 *
 * <p>If the listener throws, the gateway does not relay the request (the decision could not be
 * recorded, so the request fails closed with {@code 500}).
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
}
