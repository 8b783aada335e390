package dev.taskbound.core.egress;

import java.net.InetAddress;
import java.util.Optional;

/**
 * Checks the exact address the {@link Dialer} is about to connect to, after name resolution and
 * before the connection. This is where loopback, private, link-local and metadata addresses are
 * refused (issue "Egress that holds"); the first version permits every address an allow rule led
 * to.
 *
 * <p>Implementations must be thread-safe.
 */
@FunctionalInterface
public interface AddressGuard {
  /** Permits every address. */
  AddressGuard PERMIT_ALL = (decision, address) -> Optional.empty();

  /**
   * @param decision the allow decision that led to this address
   * @param address the resolved address about to be dialled
   * @return empty to permit, or a short reason (for the denial message) to refuse
   */
  Optional<String> refuse(EgressDecision decision, InetAddress address);
}
