package dev.taskbound.core.session;

import dev.taskbound.core.egress.DenialHint;
import dev.taskbound.core.egress.EgressDecision;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Counts egress decisions per host and port for the end-of-run summary: rule decisions, and the
 * denials that come after an allow rule (address-guard refusals, refused tunnels and requests).
 * Thread-safe.
 */
public final class EgressTally {
  /**
   * Decisions for one destination.
   *
   * @param ruleToAdd the allow rule that would have allowed the rule denials; null when none was
   *     denied by the rules
   * @param hint what to do about the denials, one line; empty when none was denied
   */
  public record Line(String destination, long allowed, long denied, String ruleToAdd, String hint) {}

  private final Map<String, long[]> counts = new TreeMap<>();
  private final Map<String, String> rulesToAdd = new TreeMap<>();
  private final Map<String, Set<String>> hints = new TreeMap<>();

  /** Counts one rule decision. */
  public synchronized void record(EgressDecision decision) {
    String key = key(decision.host(), decision.port());
    long[] c = counts.computeIfAbsent(key, k -> new long[2]);
    c[decision.allowed() ? 0 : 1]++;
    if (!decision.allowed()) {
      rulesToAdd.put(key, decision.ruleToAdd());
      hint(key, DenialHint.advice(decision));
    }
  }

  /** Counts a denial the rules did not make (the address guard, a refused tunnel), with what to do. */
  public synchronized void recordDenial(String host, int port, String hint) {
    String key = key(host, port);
    counts.computeIfAbsent(key, k -> new long[2])[1]++;
    hint(key, hint);
  }

  private void hint(String key, String hint) {
    hints.computeIfAbsent(key, k -> new LinkedHashSet<>()).add(hint);
  }

  private static String key(String host, int port) {
    return host + ":" + port;
  }

  public synchronized List<Line> lines() {
    return counts.entrySet().stream()
        .map(e -> new Line(e.getKey(), e.getValue()[0], e.getValue()[1], rulesToAdd.get(e.getKey()),
            String.join("; ", hints.getOrDefault(e.getKey(), Set.of()))))
        .toList();
  }

  public synchronized long total(boolean allowed) {
    return counts.values().stream().mapToLong(c -> c[allowed ? 0 : 1]).sum();
  }
}
