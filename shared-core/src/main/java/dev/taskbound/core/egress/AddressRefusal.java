package dev.taskbound.core.egress;

import java.net.InetAddress;
import java.util.Objects;
import java.util.Optional;

/**
 * Why an allowed request was not dialled: the address checks refused the (last) address its name
 * resolved to.
 *
 * @param address the refused address
 * @param kind what the address is, when the built-in check refused it; empty when an extra
 *     {@link AddressGuard} did
 * @param reason the refusal, starting {@code address A is KIND} for the built-in check
 */
public record AddressRefusal(InetAddress address, Optional<SpecialAddresses.Kind> kind, String reason) {
  public AddressRefusal {
    Objects.requireNonNull(address, "address");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(reason, "reason");
  }
}
