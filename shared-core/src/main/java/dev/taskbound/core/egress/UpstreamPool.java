package dev.taskbound.core.egress;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.SSLSocket;

/**
 * Idle upstream TLS connections of inspected hosts, kept after a complete response so that the next
 * inspected connection to the same host and port skips the TCP connect and the upstream TLS
 * handshake (which cost as much as the agent's own). Only a connection whose last response ended
 * cleanly (definite framing, no {@code Connection: close}) is kept; it is handed out only for a
 * request whose whole body the gateway already holds, so that a connection the upstream closed
 * meanwhile can be replaced and the request sent again. At most {@link #MAX_IDLE_PER_HOST} per
 * host and port, each for at most {@link #MAX_IDLE_MILLIS}. One pool per gateway: a session's
 * connections are never shared with another session. Thread-safe.
 */
final class UpstreamPool implements AutoCloseable {
  static final int MAX_IDLE_PER_HOST = 8;
  static final long MAX_IDLE_MILLIS = 15_000;

  /** One idle connection, with the buffered streams that read and wrote it. */
  record Idle(SSLSocket socket, InputStream in, OutputStream out, long sinceMillis) {}

  private final Map<String, Deque<Idle>> idle = new HashMap<>();
  private boolean closed;

  /** The most recently kept live connection to {@code host:port}, if any. */
  Optional<Idle> take(String host, int port) {
    List<Idle> expired = new ArrayList<>();
    Optional<Idle> found = Optional.empty();
    synchronized (this) {
      Deque<Idle> q = idle.get(key(host, port));
      long now = System.currentTimeMillis();
      while (q != null && !q.isEmpty() && found.isEmpty()) {
        Idle i = q.pollFirst();
        if (now - i.sinceMillis() > MAX_IDLE_MILLIS || i.socket().isClosed()) {
          expired.add(i);
        } else {
          found = Optional.of(i);
        }
      }
    }
    expired.forEach(UpstreamPool::closeQuietly);
    return found;
  }

  /** Keeps {@code connection} for the next request to {@code host:port}, or closes it when the pool is full or closed. */
  void give(String host, int port, Idle connection) {
    List<Idle> out = new ArrayList<>();
    synchronized (this) {
      if (closed) {
        out.add(connection);
      } else {
        Deque<Idle> q = idle.computeIfAbsent(key(host, port), k -> new ArrayDeque<>());
        q.addFirst(connection);
        long now = System.currentTimeMillis();
        for (Iterator<Idle> it = q.descendingIterator(); it.hasNext(); ) {
          Idle i = it.next();
          if (q.size() > MAX_IDLE_PER_HOST || now - i.sinceMillis() > MAX_IDLE_MILLIS) {
            it.remove();
            out.add(i);
          }
        }
      }
    }
    out.forEach(UpstreamPool::closeQuietly);
  }

  /** Closes every idle connection; what is given back later is closed at once. Idempotent. */
  @Override
  public void close() {
    List<Idle> all = new ArrayList<>();
    synchronized (this) {
      closed = true;
      idle.values().forEach(all::addAll);
      idle.clear();
    }
    all.forEach(UpstreamPool::closeQuietly);
  }

  private static String key(String host, int port) {
    return host + ":" + port;
  }

  private static void closeQuietly(Idle i) {
    try {
      i.socket().close();
    } catch (IOException e) {
      // closing anyway
    }
  }
}
