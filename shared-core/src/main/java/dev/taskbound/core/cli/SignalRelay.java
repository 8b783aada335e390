package dev.taskbound.core.cli;

import java.util.ArrayList;
import java.util.List;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * While a session runs, turns SIGINT, SIGTERM and SIGHUP into a graceful stop of the agent instead
 * of an immediate JVM exit, so that teardown runs and the evidence is sealed. The previous handlers
 * come back on {@link #close}.
 */
final class SignalRelay implements AutoCloseable {
  /** Receives the signal's name and number. */
  @FunctionalInterface
  interface Listener {
    void onSignal(String name, int number);
  }

  private static final String[] SIGNALS = {"INT", "TERM", "HUP"};

  private final List<Signal> signals = new ArrayList<>();
  private final List<SignalHandler> previous = new ArrayList<>();

  private SignalRelay() {}

  static SignalRelay install(Listener listener) {
    SignalRelay relay = new SignalRelay();
    for (String name : SIGNALS) {
      Signal signal = new Signal(name);
      // The handler runs on its own thread; stopping the agent may wait for its grace period.
      SignalHandler old =
          Signal.handle(signal, s -> new Thread(() -> listener.onSignal(s.getName(), s.getNumber()), "taskbound-signal").start());
      relay.signals.add(signal);
      relay.previous.add(old);
    }
    return relay;
  }

  @Override
  public void close() {
    for (int i = 0; i < signals.size(); i++) {
      Signal.handle(signals.get(i), previous.get(i));
    }
  }
}
