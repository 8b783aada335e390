package dev.taskbound.core.egress;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;

/** Resolves a canonical host name to addresses. Implementations must be thread-safe. */
@FunctionalInterface
public interface NameResolver {
  /** The system resolver ({@link InetAddress#getAllByName}). */
  NameResolver SYSTEM = host -> List.of(InetAddress.getAllByName(host));

  /**
   * @return the addresses, in the order to try them; never empty
   * @throws UnknownHostException if the name does not resolve
   */
  List<InetAddress> resolve(String canonicalHost) throws UnknownHostException;
}
