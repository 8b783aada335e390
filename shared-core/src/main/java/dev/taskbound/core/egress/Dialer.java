package dev.taskbound.core.egress;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Resolves an allowed host and connects to it, in one place so that the address that was checked
 * is the address that is dialled: names are resolved once (static pins first, then the
 * {@link NameResolver}), each address is put to the {@link AddressGuard}, and the connection is
 * made to that {@link InetAddress} itself, never to the name again. Thread-safe.
 */
public final class Dialer {
  /** A connected upstream and the address it was dialled at. */
  public record Dialed(SocketChannel channel, InetAddress address) {}

  private final Map<String, InetAddress> pins;
  private final NameResolver resolver;
  private final AddressGuard guard;
  private final Duration connectTimeout;

  public Dialer(Map<String, InetAddress> pins, NameResolver resolver, AddressGuard guard, Duration connectTimeout) {
    this.pins = Map.copyOf(pins);
    this.resolver = Objects.requireNonNull(resolver, "resolver");
    this.guard = Objects.requireNonNull(guard, "guard");
    this.connectTimeout = Objects.requireNonNull(connectTimeout, "connectTimeout");
  }

  /**
   * Connects to the host of an allowed decision. Tries the resolved addresses in order; the first
   * that the guard permits and that accepts a connection wins.
   *
   * @return a connected, blocking channel (the caller closes it) and its address
   * @throws DialException {@code UNRESOLVED} if the name does not resolve, {@code REFUSED} if the
   *     guard refused every address, {@code UNREACHABLE} if no permitted address accepted in time
   */
  public Dialed dial(EgressDecision decision) throws DialException {
    if (!decision.allowed()) {
      throw new IllegalArgumentException("dial of a denied request: " + decision);
    }
    List<InetAddress> addresses = resolve(decision.host());
    String refusal = null;
    IOException last = null;
    for (InetAddress address : addresses) {
      Optional<String> refused = guard.refuse(decision, address);
      if (refused.isPresent()) {
        refusal = refused.get();
        continue;
      }
      try {
        return new Dialed(connect(new InetSocketAddress(address, decision.port())), address);
      } catch (IOException e) {
        last = e;
      }
    }
    if (last == null && refusal != null) {
      throw new DialException(DialException.Kind.REFUSED, refusal, null);
    }
    String why = last == null ? "no address" : last.getMessage() == null ? last.getClass().getSimpleName() : last.getMessage();
    throw new DialException(
        DialException.Kind.UNREACHABLE,
        "could not connect to " + decision.host() + ":" + decision.port() + " at " + addresses + " (" + why + ")",
        last);
  }

  private List<InetAddress> resolve(String host) throws DialException {
    InetAddress pinned = pins.get(host);
    if (pinned != null) {
      return List.of(pinned);
    }
    IpLiteral literal = IpLiteral.tryParse(host);
    if (literal != null) {
      return List.of(literal.address());
    }
    try {
      List<InetAddress> found = resolver.resolve(host);
      if (found.isEmpty()) {
        throw new UnknownHostException(host);
      }
      return found;
    } catch (UnknownHostException e) {
      throw new DialException(DialException.Kind.UNRESOLVED, "the name " + host + " does not resolve", e);
    }
  }

  private SocketChannel connect(InetSocketAddress target) throws IOException {
    SocketChannel channel = SocketChannel.open();
    try {
      channel.configureBlocking(false);
      if (!channel.connect(target)) {
        try (Selector selector = Selector.open()) {
          channel.register(selector, SelectionKey.OP_CONNECT);
          if (selector.select(Math.max(1, connectTimeout.toMillis())) == 0) {
            throw new IOException("timed out after " + connectTimeout.toMillis() + " ms");
          }
          channel.finishConnect();
        }
      }
      channel.configureBlocking(true);
      return channel;
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }
}
