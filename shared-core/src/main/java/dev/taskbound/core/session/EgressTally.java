package dev.taskbound.core.session;

import dev.taskbound.core.egress.DenialHint;
import dev.taskbound.core.egress.EgressDecision;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Counts egress decisions per host and port for the end-of-run summary. Thread-safe. */
public final class EgressTally {
  /**
   * Decisions for one destination.
   *
   * @param ruleToAdd the rule that would allow the last denied request (null if none was denied)
   * @param advice what to change in the policy, or why no policy can allow it ({@link DenialHint});
   *     null if none was denied
   */
  public record Line(String destination, long allowed, long denied, String ruleToAdd, String advice) {}

  private final Map<String, long[]> counts = new TreeMap<>();
  private final Map<String, String> rulesToAdd = new TreeMap<>();
  private final Map<String, String> advice = new TreeMap<>();

  public synchronized void record(EgressDecision decision) {
    String key = decision.host() + ":" + decision.port();
    long[] c = counts.computeIfAbsent(key, k -> new long[2]);
    c[decision.allowed() ? 0 : 1]++;
    if (!decision.allowed()) {
      rulesToAdd.put(key, decision.ruleToAdd());
      advice.computeIfAbsent(key, k -> DenialHint.advice(decision));
    }
  }

  public synchronized List<Line> lines() {
    return counts.entrySet().stream()
        .map(e -> new Line(e.getKey(), e.getValue()[0], e.getValue()[1], rulesToAdd.get(e.getKey()),
            advice.get(e.getKey())))
        .toList();
  }

  public synchronized long total(boolean allowed) {
    return counts.values().stream().mapToLong(c -> c[allowed ? 0 : 1]).sum();
  }
}
