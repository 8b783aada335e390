package dev.taskbound.core.egress;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Copies bytes both ways between pairs of socket channels on a few selector threads, shared by
 * the gateway and the sandbox's forwarder. A pair costs no thread and, while no bytes are waiting
 * for a slow reader, no buffer: each selector thread lends a pooled direct buffer for one read and
 * write, and a direction keeps it only while its destination cannot take everything. That is what
 * lets one process hold thousands of idle tunnels in a few MiB.
 *
 * <p>Back-pressure is the kernel's: a direction whose destination is full stops reading its source
 * until the destination drains. Thread-safe; {@link #close()} may be called from any thread.
 */
public final class Relay implements AutoCloseable {
  /** How a pair ended, as told to its callback. */
  public enum End {
    /** Both sides ended (or, for a request/response pair, the response ended). */
    FINISHED,
    /** No byte either way for the pair's idle timeout. */
    IDLE,
    /** A read or write failed (reset, broken pipe, or a channel closed from elsewhere). */
    FAILED,
    /** The relay was closed. */
    CLOSED
  }

  /**
   * How to relay one pair.
   *
   * @param firstToB bytes already read from {@code a}, sent to {@code b} before anything else
   * @param limitToB how many bytes in total (counting {@code firstToB}) go from {@code a} to
   *     {@code b}; after that {@code a} is no longer read. {@code Long.MAX_VALUE} for no limit
   * @param halfClose {@code true} for a tunnel: each side's end is passed on as a half-close and the
   *     pair finishes when both have ended. {@code false} for one request and its response: the pair
   *     finishes as soon as {@code b} ends
   * @param idleTimeout a pair with no byte either way for this long is closed; {@link Duration#ZERO}
   *     for never
   */
  public record Options(ByteBuffer firstToB, long limitToB, boolean halfClose, Duration idleTimeout) {
    /** A plain tunnel: nothing sent first, no limit, half-closes passed on, never idle-closed. */
    public static final Options TUNNEL = new Options(ByteBuffer.allocate(0), Long.MAX_VALUE, true, Duration.ZERO);

    /** @throws IllegalArgumentException if the limit or the timeout is negative */
    public Options {
      Objects.requireNonNull(firstToB, "firstToB");
      Objects.requireNonNull(idleTimeout, "idleTimeout");
      if (limitToB < 0 || idleTimeout.isNegative()) {
        throw new IllegalArgumentException("limitToB and idleTimeout must not be negative");
      }
      firstToB = firstToB.asReadOnlyBuffer();
    }
  }

  /** Bytes per read: large enough that a bulk download costs few system calls. */
  static final int BUFFER_BYTES = 64 * 1024;
  /** Buffers a thread may lend out at once before falling back to heap buffers (16 MiB direct). */
  private static final int MAX_DIRECT_BUFFERS = 256;
  /** Idle buffers a thread keeps for reuse. */
  private static final int MAX_FREE_BUFFERS = 16;
  /** Reads per readiness event before moving on, so one fast pair cannot starve the rest. */
  private static final int READS_PER_TURN = 16;

  private final List<Worker> workers = new ArrayList<>();
  private final AtomicInteger next = new AtomicInteger();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final AtomicInteger active = new AtomicInteger();

  private Relay() {}

  /**
   * Starts {@code threads} daemon selector threads named {@code name-N}.
   *
   * @throws IOException if a selector cannot be opened
   * @throws IllegalArgumentException if {@code threads} is not 1 to 64
   */
  public static Relay start(String name, int threads) throws IOException {
    if (threads < 1 || threads > 64) {
      throw new IllegalArgumentException("threads must be 1-64: " + threads);
    }
    Relay relay = new Relay();
    try {
      for (int i = 1; i <= threads; i++) {
        relay.workers.add(relay.new Worker(name + "-" + i));
      }
    } catch (IOException e) {
      relay.close();
      throw e;
    }
    relay.workers.forEach(w -> w.thread.start());
    return relay;
  }

  /** The number of threads a process should relay on: one, or two from four cores up. */
  public static int defaultThreads() {
    return Runtime.getRuntime().availableProcessors() >= 4 ? 2 : 1;
  }

  /**
   * Hands a connected pair to the relay, which owns both channels from now on: it switches them to
   * non-blocking mode and, when the pair ends, calls {@code onEnd} once on a relay thread (so it
   * must be quick and must not block) and then closes both. If the relay is already closed, both channels
   * are closed and {@code onEnd} gets {@link End#CLOSED} on the caller's thread.
   */
  public void relay(SocketChannel a, SocketChannel b, Options options, Consumer<End> onEnd) {
    Objects.requireNonNull(onEnd, "onEnd");
    Pair pair = new Pair(a, b, options, onEnd);
    if (closed.get()) {
      pair.end(End.CLOSED);
      return;
    }
    active.incrementAndGet();
    pair.counted = true;
    workers.get(Math.floorMod(next.getAndIncrement(), workers.size())).add(pair);
  }

  /** Pairs handed over and not yet ended. */
  public int active() {
    return active.get();
  }

  /** Closes a channel, ignoring errors: for channels being abandoned anyway. */
  public static void closeQuietly(Channel ch) {
    try {
      ch.close();
    } catch (IOException e) {
      // abandoning it anyway
    }
  }

  /** Ends every pair ({@link End#CLOSED}), then stops the threads (waiting up to a second). Idempotent. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    workers.forEach(w -> w.selector.wakeup());
    for (Worker w : workers) {
      if (w.thread == Thread.currentThread()) {
        continue; // closed from a callback: this thread ends its pairs as it returns
      }
      try {
        w.thread.join(1000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /** One selector thread and the pairs it serves. */
  private final class Worker implements Runnable {
    final Selector selector;
    final Thread thread;
    final ConcurrentLinkedQueue<Pair> incoming = new ConcurrentLinkedQueue<>();
    final Set<Pair> pairs = new HashSet<>();
    final ArrayDeque<ByteBuffer> free = new ArrayDeque<>();
    int directLent;
    long idleCheckNanos = Long.MAX_VALUE;
    long nextIdleCheck = Long.MAX_VALUE;

    Worker(String name) throws IOException {
      selector = Selector.open();
      thread = new Thread(this, name);
      thread.setDaemon(true);
    }

    void add(Pair pair) {
      incoming.add(pair);
      selector.wakeup();
      if (closed.get() && incoming.remove(pair)) {
        pair.end(End.CLOSED); // raced with close(): the thread may already have drained the queue
      }
    }

    @Override
    public void run() {
      try {
        while (!closed.get()) {
          long timeout = nextIdleCheck == Long.MAX_VALUE ? 0 : Math.max(1, TimeUnit.NANOSECONDS.toMillis(nextIdleCheck - System.nanoTime()));
          selector.select(this::ready, timeout);
          admit();
          if (nextIdleCheck != Long.MAX_VALUE && System.nanoTime() - nextIdleCheck >= 0) {
            closeIdle();
          }
        }
      } catch (IOException | RuntimeException e) {
        // A selector failure: nothing relays any more, so every pair ends (fail closed).
      } finally {
        for (Pair p : new ArrayList<>(pairs)) {
          p.end(End.CLOSED);
        }
        Pair p;
        while ((p = incoming.poll()) != null) {
          p.end(End.CLOSED);
        }
        try {
          selector.close();
        } catch (IOException e) {
          // exiting anyway
        }
      }
    }

    private void admit() {
      Pair p;
      while ((p = incoming.poll()) != null) {
        try {
          p.register(this);
        } catch (IOException | RuntimeException e) {
          p.end(End.FAILED);
          continue;
        }
        pairs.add(p);
        if (p.idleNanos > 0 && p.idleNanos / 4 < idleCheckNanos) {
          idleCheckNanos = Math.max(TimeUnit.MILLISECONDS.toNanos(10), p.idleNanos / 4);
          nextIdleCheck = System.nanoTime() + idleCheckNanos;
        }
        Pair admitted = p;
        guarded(admitted, admitted::pump);
      }
    }

    /** Runs one pair's step; whatever goes wrong ends that pair only, never the thread and its other pairs. */
    private void guarded(Pair p, Runnable step) {
      try {
        step.run();
      } catch (RuntimeException e) { // e.g. a cancelled key: a channel was closed from elsewhere
        p.end(End.FAILED);
      }
    }

    private void ready(SelectionKey key) {
      Pair p = (Pair) key.attachment();
      guarded(p, () -> p.ready(key));
    }

    private void closeIdle() {
      long now = System.nanoTime();
      for (Pair p : new ArrayList<>(pairs)) {
        if (p.idleNanos > 0 && now - p.lastActive >= p.idleNanos) {
          p.end(End.IDLE);
        }
      }
      nextIdleCheck = now + idleCheckNanos;
    }

    ByteBuffer borrow() {
      ByteBuffer b = free.poll();
      if (b != null) {
        directLent++;
        return b;
      }
      if (directLent < MAX_DIRECT_BUFFERS) {
        directLent++;
        return ByteBuffer.allocateDirect(BUFFER_BYTES);
      }
      return ByteBuffer.allocate(BUFFER_BYTES);
    }

    void giveBack(ByteBuffer b) {
      if (!b.isDirect() || b.capacity() != BUFFER_BYTES) {
        return; // a heap overflow buffer or a pair's first bytes: left to the GC
      }
      directLent--;
      if (free.size() < MAX_FREE_BUFFERS) {
        free.push(b.clear());
      }
    }
  }

  /** One direction of a pair: from {@code src} to {@code dst}. */
  private static final class Flow {
    final SocketChannel src;
    final SocketChannel dst;
    /** Bytes read and not yet written (flipped), or {@code null} when nothing is waiting. */
    ByteBuffer pending;
    long left;
    boolean ended;

    Flow(SocketChannel src, SocketChannel dst, ByteBuffer first, long limit) {
      this.src = src;
      this.dst = dst;
      this.left = limit;
      if (first.hasRemaining() && limit > 0) {
        ByteBuffer f = first.duplicate();
        if (f.remaining() > limit) {
          f.limit(f.position() + (int) limit);
        }
        pending = f;
        left -= f.remaining();
      }
    }

    boolean wantsRead() {
      return !ended && pending == null && left > 0;
    }
  }

  /** Two channels and the two flows between them. */
  private final class Pair {
    final SocketChannel a;
    final SocketChannel b;
    final Flow toB;
    final Flow toA;
    final boolean halfClose;
    final long idleNanos;
    final Consumer<End> onEnd;
    Worker worker;
    SelectionKey keyA;
    SelectionKey keyB;
    long lastActive = System.nanoTime();
    boolean counted;
    boolean over;

    Pair(SocketChannel a, SocketChannel b, Options o, Consumer<End> onEnd) {
      this.a = Objects.requireNonNull(a, "a");
      this.b = Objects.requireNonNull(b, "b");
      this.toB = new Flow(a, b, o.firstToB(), o.limitToB());
      this.toA = new Flow(b, a, ByteBuffer.allocate(0), Long.MAX_VALUE);
      this.halfClose = o.halfClose();
      this.idleNanos = o.idleTimeout().toNanos();
      this.onEnd = onEnd;
      if (toB.left == 0) {
        toB.ended = toB.pending == null; // a zero limit: nothing ever goes from a to b
      }
    }

    void register(Worker w) throws IOException {
      worker = w;
      a.configureBlocking(false);
      b.configureBlocking(false);
      keyA = a.register(w.selector, 0, this);
      keyB = b.register(w.selector, 0, this);
    }

    void ready(SelectionKey key) {
      if (over) {
        return;
      }
      if (!key.isValid()) {
        end(End.FAILED);
        return;
      }
      pump();
    }

    /** Moves what can move now in both directions, then waits for what cannot. */
    void pump() {
      try {
        move(toB);
        move(toA);
      } catch (IOException e) {
        end(End.FAILED);
        return;
      }
      if (toA.ended && (toB.ended || !halfClose)) {
        end(End.FINISHED);
        return;
      }
      interest(keyA, toB, toA);
      interest(keyB, toA, toB);
    }

    private void interest(SelectionKey key, Flow from, Flow into) {
      int ops = (from.wantsRead() ? SelectionKey.OP_READ : 0) | (into.pending != null ? SelectionKey.OP_WRITE : 0);
      if (key.interestOps() != ops) {
        key.interestOps(ops);
      }
    }

    private void move(Flow f) throws IOException {
      if (f.pending != null && !flush(f)) {
        return;
      }
      for (int i = 0; i < READS_PER_TURN && f.wantsRead(); i++) {
        ByteBuffer buf = worker.borrow();
        if (f.left < buf.capacity()) {
          buf.limit((int) f.left);
        }
        int n;
        try {
          n = f.src.read(buf);
        } catch (IOException e) {
          worker.giveBack(buf);
          throw e;
        }
        if (n <= 0) {
          worker.giveBack(buf);
          if (n < 0) {
            srcEnded(f);
          }
          return;
        }
        lastActive = System.nanoTime();
        f.left -= n;
        f.pending = buf.flip();
        if (!flush(f)) {
          return;
        }
      }
      if (f.left == 0 && f.pending == null) {
        f.ended = true; // the limit is reached: the source is simply no longer read
      }
    }

    /** Writes what is pending; returns whether all of it went. */
    private boolean flush(Flow f) throws IOException {
      f.dst.write(f.pending);
      lastActive = System.nanoTime();
      if (f.pending.hasRemaining()) {
        return false;
      }
      worker.giveBack(f.pending);
      f.pending = null;
      return true;
    }

    private void srcEnded(Flow f) throws IOException {
      f.ended = true;
      if (halfClose) {
        f.dst.shutdownOutput();
      }
    }

    /** Reports how the pair ended, then closes both channels; once. */
    void end(End how) {
      if (over) {
        return;
      }
      over = true;
      if (worker != null) {
        worker.pairs.remove(this);
        release(toB);
        release(toA);
      }
      if (counted) {
        active.decrementAndGet();
      }
      try {
        onEnd.accept(how); // first, so that what the callback records precedes what the peers see
      } catch (RuntimeException e) {
        // a callback's failure must not stop the relay thread
      } finally {
        closeQuietly(a);
        closeQuietly(b);
      }
    }

    private void release(Flow f) {
      if (f.pending != null) {
        worker.giveBack(f.pending);
        f.pending = null;
      }
    }
  }
}
