package dev.taskbound.core.session;

import dev.taskbound.core.egress.AddressRefusal;
import dev.taskbound.core.egress.EgressDecision;
import dev.taskbound.core.egress.EgressListener;
import dev.taskbound.core.egress.GatewayEvents;
import dev.taskbound.core.egress.SpecialAddresses;
import dev.taskbound.core.evidence.EventType;
import java.net.InetAddress;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * Writes what the session's gateway decides and does to the evidence, and counts it for the
 * end-of-run summary: rule decisions, address-guard refusals, refused tunnels and requests, limits.
 * A failed append is not caught here: it reaches the gateway, which then fails closed. Counted only
 * once recorded. Thread-safe.
 */
final class EgressEvidence implements EgressListener, GatewayEvents {
  private final EgressTally tally;
  private final BiConsumer<String, Map<String, ?>> events;
  private final Consumer<EgressDecision> ruleDenials;

  /**
   * @param ruleDenials told of each decision the rules denied, once recorded (the live notices)
   */
  EgressEvidence(
      EgressTally tally, BiConsumer<String, Map<String, ?>> events, Consumer<EgressDecision> ruleDenials) {
    this.tally = tally;
    this.events = events;
    this.ruleDenials = ruleDenials;
  }

  @Override
  public void onDecision(EgressDecision decision, String method, Optional<InetAddress> dialled) {
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("host", decision.host());
    data.put("port", decision.port());
    data.put("method", method);
    data.put("rule", decision.rule().map(Object::toString).orElse(null));
    data.put("reason", decision.reason());
    if (decision.allowed()) {
      dialled.ifPresent(a -> data.put("address", a.getHostAddress()));
    } else {
      data.put("rule_to_add", decision.ruleToAdd());
    }
    events.accept((decision.allowed() ? EventType.EGRESS_ALLOWED : EventType.EGRESS_DENIED).wireName(), data);
    tally.record(decision);
    if (!decision.allowed()) {
      ruleDenials.accept(decision);
    }
  }

  /** Recorded with the class of the address, not the address: the reason names it already. */
  @Override
  public void onAddressRefused(EgressDecision decision, String method, AddressRefusal refusal) {
    String hint = addressHint(refusal.kind());
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("host", decision.host());
    data.put("port", decision.port());
    data.put("method", method);
    data.put("rule", decision.rule().map(Object::toString).orElse(null));
    data.put("address_class", addressClass(refusal.kind()));
    data.put("reason", refusal.reason());
    data.put("hint", hint);
    events.accept(EventType.EGRESS_DENIED_ADDRESS.wireName(), data);
    tally.recordDenial(decision.host(), decision.port(), hint);
  }

  @Override
  public void onEvent(Kind kind, String host, int port, String detail) {
    Map<String, Object> data = new LinkedHashMap<>();
    if (!host.isEmpty()) {
      data.put("host", host);
      data.put("port", port);
    }
    data.put("detail", detail);
    events.accept(typeOf(kind).wireName(), data);
    if (isDenial(kind) && !host.isEmpty()) {
      tally.recordDenial(host, port, REQUEST_REFUSED_HINT);
    }
  }

  /** The summary's hint for a request refused for its own content rather than its destination. */
  static final String REQUEST_REFUSED_HINT =
      "the request itself was refused (see the event's detail); no egress rule changes that";

  /** The evidence type of each gateway event. */
  static EventType typeOf(Kind kind) {
    switch (kind) {
      case SNI_MISMATCH: return EventType.EGRESS_DENIED_SNI_MISMATCH;
      case HOST_MISMATCH: return EventType.EGRESS_DENIED_HOST_MISMATCH;
      case SMUGGLING: return EventType.EGRESS_DENIED_SMUGGLING;
      case MALFORMED: return EventType.EGRESS_DENIED_MALFORMED;
      case HEADER_TOO_LARGE: return EventType.EGRESS_LIMIT_HEADER_SIZE;
      case HEADER_TIMEOUT: return EventType.EGRESS_LIMIT_HEADER_TIMEOUT;
      case TOO_MANY_CONNECTIONS: return EventType.EGRESS_LIMIT_CONNECTIONS;
      case IDLE_TIMEOUT: return EventType.EGRESS_LIMIT_IDLE;
      case GATEWAY_FAILED: return EventType.EGRESS_GATEWAY_FAILED;
      case CREDENTIAL_MISUSE: return EventType.EGRESS_DENIED_CREDENTIAL_MISUSE;
      case UPSTREAM_TLS: return EventType.EGRESS_UPSTREAM_TLS;
      default: throw new AssertionError(kind);
    }
  }

  /** Whether the gateway refused the request (counted as a denial), rather than hit a limit. */
  static boolean isDenial(Kind kind) {
    return kind == Kind.SNI_MISMATCH || kind == Kind.HOST_MISMATCH || kind == Kind.SMUGGLING
        || kind == Kind.MALFORMED || kind == Kind.CREDENTIAL_MISUSE;
  }

  /** {@code loopback}, {@code private}, {@code metadata}, ...; {@code guard} for an extra guard's refusal. */
  static String addressClass(Optional<SpecialAddresses.Kind> kind) {
    return kind.map(k -> k.name().toLowerCase(Locale.ROOT)).orElse("guard");
  }

  /** What the user can do about an address refusal. */
  static String addressHint(Optional<SpecialAddresses.Kind> kind) {
    if (kind.isEmpty()) {
      return "the gateway's address guard refused the address; no egress rule changes that";
    }
    if (kind.get() == SpecialAddresses.Kind.METADATA) {
      return "a cloud metadata address is always refused; no policy change allows it";
    }
    return "the name resolved to a " + kind.get().text() + " address: to allow it, pin the name in spec.egress.hosts,"
        + " allow the address with an IP or CIDR rule, or set spec.egress.allowPrivate: true";
  }
}
