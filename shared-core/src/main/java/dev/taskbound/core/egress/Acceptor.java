package dev.taskbound.core.egress;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;

/**
 * Accepts on one of the gateway's listening sockets from a relay thread's selector, and serves each
 * connection on that same thread, so that a new connection wakes one thread, as in squid's event
 * loop. A channel closed while registered with a selector keeps its descriptor until that selector
 * next wakes, and a sandbox's listener is closed from elsewhere when its sandbox ends: a tick every
 * {@link #CHECK_EVERY} notices that, so the socket (and the sandbox's network namespace it pins)
 * is gone within that time.
 */
final class Acceptor implements Relay.Handler {
  static final Duration CHECK_EVERY = Duration.ofMillis(500);
  /** Accepts per readiness before the selector's other work gets a turn. */
  private static final int ACCEPTS_PER_TURN = 64;
  /** Accept failures in a row (e.g. out of file descriptors) after which the gateway stops rather than spin. */
  private static final int MAX_FAILURES_IN_A_ROW = 100;

  /** What the gateway does with what is accepted, and when accepting ends. */
  interface Sink {
    /** A new connection, to be served on {@code loop}. */
    void accepted(SocketChannel client, Relay.Loop loop);

    /** The listener was closed (from elsewhere, or by the gateway). */
    void closed(ServerSocketChannel listener);

    /** Accepting failed for good. */
    void failed(ServerSocketChannel listener, IOException cause);
  }

  private final ServerSocketChannel listener;
  private final boolean tcp;
  private final Sink sink;
  private Relay.Loop loop;
  private SelectionKey key;
  private int failuresInARow;
  private boolean over;

  /** @param tcp whether the listener is a TCP socket (its clients get {@code TCP_NODELAY}) */
  Acceptor(ServerSocketChannel listener, boolean tcp, Sink sink) {
    this.listener = listener;
    this.tcp = tcp;
    this.sink = sink;
  }

  /** Starts accepting; on the relay thread of {@code on}. */
  void start(Relay.Loop on) {
    loop = on;
    try {
      key = loop.register(listener, SelectionKey.OP_ACCEPT, this);
    } catch (ClosedChannelException e) {
      stop();
      return;
    } catch (IOException e) {
      over = true;
      sink.failed(listener, e);
      return;
    }
    tick();
  }

  @Override
  public void ready(SelectionKey ready) {
    for (int i = 0; i < ACCEPTS_PER_TURN && !over; i++) {
      SocketChannel client;
      try {
        client = listener.accept();
        failuresInARow = 0;
      } catch (ClosedChannelException e) {
        stop();
        return;
      } catch (IOException e) {
        if (++failuresInARow >= MAX_FAILURES_IN_A_ROW) {
          over = true;
          key.cancel();
          loop.forget(this);
          sink.failed(listener, e);
        }
        return; // e.g. the client vanished between connect and accept
      }
      if (client == null) {
        return;
      }
      if (tcp) {
        noDelay(client);
      }
      sink.accepted(client, loop);
    }
  }

  @Override
  public void abandon() {
    stop();
  }

  private void tick() {
    loop.schedule(CHECK_EVERY, () -> {
      if (over) {
        return;
      }
      if (listener.isOpen()) {
        tick();
      } else {
        stop();
      }
    });
  }

  private void stop() {
    if (over) {
      return;
    }
    over = true;
    if (key != null) {
      key.cancel(); // the selector drops the registration, and with it the descriptor, as it returns
    }
    loop.forget(this);
    sink.closed(listener);
  }

  /** TLS handshakes are many small writes: Nagle plus delayed ACKs would add ~40 ms to each. */
  private static void noDelay(SocketChannel tcpClient) {
    try {
      tcpClient.setOption(java.net.StandardSocketOptions.TCP_NODELAY, true);
    } catch (IOException e) {
      // the client is already gone; serving it fails on its own
    }
  }
}
