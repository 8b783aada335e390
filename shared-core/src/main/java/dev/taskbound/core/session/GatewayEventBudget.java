package dev.taskbound.core.session;

import dev.taskbound.core.evidence.EvidenceException;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;

/**
 * Caps how many events the gateway records for one session: its egress decisions and refusals and
 * the inspected requests, each driven by the agent. Past the cap the append fails, and the gateway
 * fails closed as for any event it cannot record: every connection closes and the agent is stopped
 * (exit 121). An agent that connects without end would otherwise grow the bundle past what {@code
 * verify} reads (a review's agent made a 210 MB log in 36 s, and a summary and report larger still).
 * Thread-safe.
 */
final class GatewayEventBudget implements BiConsumer<String, Map<String, ?>> {
  /** About 100 MB of log at the longest host names: far above a CI job's connections, well below verify's 256 MiB. */
  static final long DEFAULT_EVENTS = 100_000;

  private final BiConsumer<String, Map<String, ?>> events;
  private final long cap;
  private final AtomicLong recorded = new AtomicLong();

  private static final String FAILED = dev.taskbound.core.evidence.EventType.EGRESS_GATEWAY_FAILED.wireName();

  /** The host setting that changes the cap: a whole number of events, at least 1. */
  static final String SETTING = "TASKBOUND_MAX_GATEWAY_EVENTS";

  /**
   * The cap the host sets ({@link #SETTING}), else {@link #DEFAULT_EVENTS}.
   *
   * @throws SessionException (exit 125) if the setting is not a whole number from 1
   */
  static long cap(Map<String, String> host) {
    String value = host.get(SETTING);
    if (value == null || value.isBlank()) {
      return DEFAULT_EVENTS;
    }
    try {
      long cap = Long.parseLong(value.strip());
      if (cap >= 1) {
        return cap;
      }
    } catch (NumberFormatException e) {
      // refused below
    }
    throw new SessionException(SETTING + "='" + dev.taskbound.core.SafeText.value(value) + "' is not accepted; accepted: a whole"
        + " number of events from 1 (default " + DEFAULT_EVENTS + ")", dev.taskbound.core.ExitCodes.USAGE);
  }

  GatewayEventBudget(BiConsumer<String, Map<String, ?>> events, long cap) {
    this.events = events;
    this.cap = cap;
  }

  /** @throws EvidenceException once {@code cap} events were recorded: this one is not */
  @Override
  public void accept(String type, Map<String, ?> data) {
    if (type.equals(FAILED)) { // once per gateway, and the record of why it stopped: never held back
      events.accept(type, data);
      return;
    }
    // stops counting one past the cap: later calls never wrap the count round to "within"
    if (recorded.getAndUpdate(n -> Math.min(n + 1, cap + 1)) >= cap) {
      throw new EvidenceException("this session's cap of " + cap + " gateway events (egress decisions, refusals and"
          + " inspected requests) was reached: an agent connecting without end? Nothing more is recorded, so the"
          + " gateway stops, and the agent with it");
    }
    events.accept(type, data);
  }
}
