package dev.taskbound.core.cli;

import dev.taskbound.core.session.Session;

/**
 * Hands a signal to the session, whenever it arrives: before the session exists the signal is
 * remembered and delivered on {@link #attach}, so that the agent never starts and teardown still runs.
 */
final class StopSwitch implements SignalRelay.Listener {
  private Session session;
  private String signalName;
  private int signalNumber;

  @Override
  public void onSignal(String name, int number) {
    Session target;
    synchronized (this) {
      if (signalName == null) {
        signalName = name;
        signalNumber = number;
      }
      target = session;
    }
    if (target != null) {
      target.stop(name, number);
    }
  }

  void attach(Session s) {
    String name;
    int number;
    synchronized (this) {
      session = s;
      name = signalName;
      number = signalNumber;
    }
    if (name != null) {
      s.stop(name, number);
    }
  }
}
