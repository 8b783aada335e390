package dev.taskbound.core.session;

import java.util.ArrayList;
import java.util.List;

/** Measures how long each lifecycle phase takes, for {@code taskbound run --timings} and the benchmarks. */
public final class PhaseTimer {
  /** One measured phase. */
  public record Phase(String name, double millis) {}

  private final List<Phase> phases = new ArrayList<>();
  private long last = System.nanoTime();

  /** Ends the current phase under {@code name} and starts the next. */
  public synchronized void mark(String name) {
    long now = System.nanoTime();
    phases.add(new Phase(name, (now - last) / 1e6));
    last = now;
  }

  public synchronized List<Phase> phases() {
    return List.copyOf(phases);
  }
}
