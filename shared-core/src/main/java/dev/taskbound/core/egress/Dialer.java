package dev.taskbound.core.egress;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Where an allowed host may be dialled, in one place so that the address that was checked is the
 * address that is dialled: names are resolved once (static pins first, then the
 * {@link NameResolver}), each address is put to the {@link AddressGuard} as its turn comes
 * ({@link Attempts}), and the gateway connects to that {@link InetAddress} itself, never to the
 * name again. Thread-safe.
 */
public final class Dialer {
  private final Map<String, InetAddress> pins;
  private final NameResolver resolver;
  private final AddressGuard guard;
  private final Duration connectTimeout;
  private final boolean allowPrivate;

  /** A dialer with the built-in address checks and no {@code allowPrivate} opt-in. */
  public Dialer(Map<String, InetAddress> pins, NameResolver resolver, AddressGuard guard, Duration connectTimeout) {
    this(pins, resolver, guard, connectTimeout, false);
  }

  /**
   * @param pins canonical host name to the address the policy pins it to; pinned names opt in to
   *     special addresses (except metadata)
   * @param resolver resolves names that are not pinned
   * @param guard an extra check after the built-in one ({@link AddressGuard#PERMIT_ALL} for none)
   * @param connectTimeout the time one connection attempt may take
   * @param allowPrivate the policy's {@code egress.allowPrivate}: every allowed name may reach
   *     loopback, private, link-local and unique-local addresses (never metadata)
   */
  public Dialer(
      Map<String, InetAddress> pins, NameResolver resolver, AddressGuard guard, Duration connectTimeout, boolean allowPrivate) {
    this.pins = Map.copyOf(pins);
    this.resolver = Objects.requireNonNull(resolver, "resolver");
    this.guard = Objects.requireNonNull(guard, "guard");
    this.connectTimeout = Objects.requireNonNull(connectTimeout, "connectTimeout");
    this.allowPrivate = allowPrivate;
  }

  /**
   * The built-in address check, before any {@link AddressGuard}: metadata addresses are always
   * refused; loopback, private, CGNAT, link-local, unique-local, unspecified, multicast and
   * broadcast addresses are refused unless the request opted in: the name is pinned by the
   * policy's {@code hosts}, the allow rule that matched is an IP or CIDR rule (the address was
   * written out), or the policy sets {@code allowPrivate}.
   *
   * @return empty to permit, or the refusal, starting {@code address A is KIND}
   */
  public static Optional<String> builtInRefusal(
      EgressDecision decision, InetAddress address, boolean pinned, boolean allowPrivate) {
    Optional<SpecialAddresses.Kind> kind = SpecialAddresses.classify(address);
    if (kind.isEmpty()) {
      return Optional.empty();
    }
    String a = IpLiteral.of(address).toString();
    if (kind.get() == SpecialAddresses.Kind.METADATA) {
      return Optional.of("address " + a + " is " + kind.get().text() + "; always refused, even when pinned or opted in");
    }
    boolean literalRule =
        decision.rule().map(r -> r.host().kind() == HostPattern.Kind.IP || r.host().kind() == HostPattern.Kind.CIDR)
            .orElse(false);
    if (pinned || literalRule || allowPrivate) {
      return Optional.empty();
    }
    return Optional.of(
        "address " + a + " is " + kind.get().text() + "; a name that resolves to such an address is refused unless"
            + " the policy pins it in spec.egress.hosts, allows the address with an IP or CIDR rule, or sets"
            + " spec.egress.allowPrivate: true");
  }

  /**
   * The addresses of {@code host} that need no lookup: a policy pin or an IP literal. Empty when
   * the name has to be looked up ({@link #lookUp}, which may block).
   */
  Optional<List<InetAddress>> knownAddresses(String host) {
    InetAddress pinned = pins.get(host);
    if (pinned != null) {
      return Optional.of(List.of(pinned));
    }
    IpLiteral literal = IpLiteral.tryParse(host);
    return literal == null ? Optional.empty() : Optional.of(List.of(literal.address()));
  }

  /** Looks a name up with the resolver; blocks for as long as the resolver does. */
  List<InetAddress> lookUp(String host) throws DialException {
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

  /** How long one connection attempt may take. */
  Duration connectTimeout() {
    return connectTimeout;
  }

  /** The addresses of an allowed decision to try in turn, each put to the guards as it comes up. */
  Attempts attempts(EgressDecision decision, List<InetAddress> addresses) {
    if (!decision.allowed()) {
      throw new IllegalArgumentException("dial of a denied request: " + decision);
    }
    return new Attempts(decision, addresses, pins.containsKey(decision.host()));
  }

  /**
   * One dial's way through its addresses: {@link #next()} gives the next one the guards permit,
   * {@link #failed} records a connection that did not succeed, {@link #failure()} says why none
   * did. Not thread-safe.
   */
  final class Attempts {
    private final EgressDecision decision;
    private final List<InetAddress> addresses;
    private final boolean pinned;
    private int next;
    private AddressRefusal refusal;
    private IOException last;

    private Attempts(EgressDecision decision, List<InetAddress> addresses, boolean pinned) {
      this.decision = decision;
      this.addresses = addresses;
      this.pinned = pinned;
    }

    Optional<InetSocketAddress> next() {
      while (next < addresses.size()) {
        InetAddress address = addresses.get(next++);
        Optional<String> refused =
            builtInRefusal(decision, address, pinned, allowPrivate).or(() -> guard.refuse(decision, address));
        if (refused.isPresent()) {
          refusal = new AddressRefusal(address, SpecialAddresses.classify(address), refused.get());
          continue;
        }
        return Optional.of(new InetSocketAddress(address, decision.port()));
      }
      return Optional.empty();
    }

    void failed(IOException e) {
      last = e;
    }

    /** The last address the checks refused, if any. */
    Optional<AddressRefusal> refusal() {
      return Optional.ofNullable(refusal);
    }

    /**
     * @return {@code REFUSED} if the guards refused every address, else {@code UNREACHABLE}
     */
    DialException failure() {
      if (last == null && refusal != null) {
        return new DialException(DialException.Kind.REFUSED, refusal.reason(), null);
      }
      String why = last == null ? "no address" : last.getMessage() == null ? last.getClass().getSimpleName() : last.getMessage();
      return new DialException(
          DialException.Kind.UNREACHABLE,
          "could not connect to " + decision.host() + ":" + decision.port() + " at " + addresses + " (" + why + ")",
          last);
    }
  }
}
