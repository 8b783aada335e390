package dev.taskbound.core.egress;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channel;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.PriorityQueue;
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
 *
 * <p>Within the package, a relay thread also runs other non-blocking work on its selector
 * ({@link #execute}, {@link Loop}): the gateway serves a connection's request head, dial and
 * ClientHello there and then relays the pair on the same thread, so a new tunnel crosses no thread
 * after it is accepted.
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
   *     finishes as soon as {@code b} ends, or as soon as {@code a} ends once its request went whole
   *     (the client has gone, as squid's {@code half_closed_clients off}: the upstream sees the close,
   *     so a request held for a person's approval is withdrawn); bytes {@code a} sends after its
   *     request are read and dropped, never forwarded
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

  /**
   * Looks at what a pair reads from {@code a} before it goes to {@code b}: the gateway checks a
   * chunked request body this way as it streams. Runs on the relay thread once per read, so it
   * must be quick. Pairs without one (every tunnel) pay nothing for this.
   */
  interface Guard {
    /**
     * @param bytes what was just read (position to limit); must be left unchanged
     * @return whether more may follow: {@code false} once these bytes end what {@code a} may send,
     *     after which {@code a} is no longer read
     * @throws IOException to refuse them: none of them go to {@code b}, and the pair ends ({@link End#FAILED})
     */
    boolean admit(ByteBuffer bytes) throws IOException;

    /**
     * {@code a} ended before {@link #admit} returned {@code false}.
     *
     * @throws IOException to end the pair ({@link End#FAILED}) rather than wait for {@code b}
     */
    void ended() throws IOException;
  }

  /** What a relay thread's selector reports to: a pair being relayed, or work run on a {@link Loop}. */
  interface Handler {
    /** One of the handler's keys is ready. Runs on the relay thread; must not block. */
    void ready(SelectionKey key);

    /** The relay closed or its thread failed: let go of everything, without blocking. */
    void abandon();
  }

  /**
   * A relay thread, for non-blocking work that runs on it ({@link #execute}). Only
   * {@link #execute(Runnable)} may be called from other threads.
   */
  interface Loop {
    /**
     * Registers {@code channel} (switched to non-blocking) with this thread's selector for
     * {@code handler}, which is abandoned if the relay closes before {@link #forget} is called.
     */
    SelectionKey register(SelectableChannel channel, int ops, Handler handler) throws IOException;

    /** The handler is done: it owns nothing on this thread any more. */
    void forget(Handler handler);

    /** Runs {@code action} on this thread once {@code delay} has passed; a stale action must check its own state. */
    void schedule(Duration delay, Runnable action);

    /** Relays a pair on this thread, as {@link Relay#relay} does; the channels may already be registered here. */
    default void relay(SocketChannel a, SocketChannel b, Options options, Consumer<End> onEnd) {
      relay(a, b, options, null, onEnd);
    }

    /** As {@link #relay(SocketChannel, SocketChannel, Options, Consumer)}, with what {@code a} sends after {@code firstToB} checked by {@code guard} ({@code null} for none). */
    void relay(SocketChannel a, SocketChannel b, Options options, Guard guard, Consumer<End> onEnd);

    /** Runs {@code task} on this thread soon; from any thread. Dropped if the relay has closed. */
    void execute(Runnable task);
  }

  /** Work handed to a relay thread from outside: run there, or told that it never will be. */
  interface Task {
    void run(Loop loop);

    /** The relay closed first; called on any thread. */
    void rejected();
  }

  /** Bytes per read: large enough that a bulk download costs few system calls. */
  static final int BUFFER_BYTES = 64 * 1024;
  /** Buffers a thread may lend out at once before falling back to heap buffers (16 MiB direct). */
  private static final int MAX_DIRECT_BUFFERS = 256;
  /** Idle buffers a thread keeps for reuse. */
  private static final int MAX_FREE_BUFFERS = 16;
  /** The resolution of {@link Loop#schedule}: at most this many timer wake-ups per second, 20. */
  private static final long TIMER_GRID_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
  /** Reads per readiness event before moving on, so one fast pair cannot starve the rest. */
  private static final int READS_PER_TURN = 16;

  private final List<Worker> workers = new ArrayList<>();
  private final AtomicInteger next = new AtomicInteger();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final AtomicInteger active = new AtomicInteger();
  private final java.util.concurrent.CompletableFuture<Throwable> threadFailure = new java.util.concurrent.CompletableFuture<>();

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
    Pair pair = new Pair(a, b, options, null, onEnd);
    if (closed.get()) {
      pair.end(End.CLOSED);
      return;
    }
    active.incrementAndGet();
    pair.counted = true;
    nextWorker().submit(new Task() {
      @Override
      public void run(Loop loop) {
        ((Worker) loop).adopt(pair);
      }

      @Override
      public void rejected() {
        pair.end(End.CLOSED);
      }
    });
  }

  /**
   * Runs {@code task} on one of the relay's threads (in turn); if the relay is closed, or closes
   * before the task runs, {@link Task#rejected()} is called instead.
   */
  void execute(Task task) {
    Objects.requireNonNull(task, "task");
    if (closed.get()) {
      task.rejected();
      return;
    }
    nextWorker().submit(task);
  }

  /**
   * Registers a callback run once if a relay thread stops for any reason other than
   * {@link #close()} (a selector failure): its pairs and handlers have then been abandoned.
   */
  void onThreadFailure(Consumer<Throwable> callback) {
    threadFailure.thenAccept(callback);
  }

  private Worker nextWorker() {
    return workers.get(Math.floorMod(next.getAndIncrement(), workers.size()));
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

  /** A {@link Loop#schedule} action, ordered by when it is due. */
  private record Timer(long due, long seq, Runnable action) implements Comparable<Timer> {
    @Override
    public int compareTo(Timer o) {
      int c = Long.compare(due - o.due, 0);
      return c != 0 ? c : Long.compare(seq, o.seq);
    }
  }

  /** One selector thread and the pairs and handlers it serves. */
  private final class Worker implements Runnable, Loop {
    final Selector selector;
    final Thread thread;
    final ConcurrentLinkedQueue<Task> incoming = new ConcurrentLinkedQueue<>();
    final Set<Pair> pairs = new HashSet<>();
    final Set<Handler> handlers = new HashSet<>();
    final PriorityQueue<Timer> timers = new PriorityQueue<>();
    long timerSeq;
    /** Set as the thread exits: what is submitted after that is rejected, never queued for nobody. */
    volatile boolean exited;
    final ArrayDeque<ByteBuffer> free = new ArrayDeque<>();
    int directLent;
    long idleCheckNanos = Long.MAX_VALUE;
    long nextIdleCheck = Long.MAX_VALUE;

    Worker(String name) throws IOException {
      selector = Selector.open();
      thread = new Thread(this, name);
      thread.setDaemon(true);
    }

    void submit(Task task) {
      incoming.add(task);
      selector.wakeup();
      if ((closed.get() || exited) && incoming.remove(task)) {
        task.rejected(); // raced with close() or the thread's end: it may already have drained the queue
      }
    }

    @Override
    public void execute(Runnable task) {
      submit(new Task() {
        @Override
        public void run(Loop loop) {
          task.run();
        }

        @Override
        public void rejected() {
          // the relay closed: whatever the task was for has been abandoned already
        }
      });
    }

    @Override
    public SelectionKey register(SelectableChannel channel, int ops, Handler handler) throws IOException {
      channel.configureBlocking(false);
      SelectionKey key = channel.register(selector, ops, handler);
      handlers.add(handler);
      return key;
    }

    @Override
    public void forget(Handler handler) {
      handlers.remove(handler);
    }

    @Override
    public void schedule(Duration delay, Runnable action) {
      // Due times are rounded up to a coarse grid: most timers are stale by then (the connection
      // moved on) and cost nothing, but each distinct due time would wake the thread.
      long due = Math.floorDiv(System.nanoTime() + delay.toNanos() + TIMER_GRID_NANOS - 1, TIMER_GRID_NANOS) * TIMER_GRID_NANOS;
      timers.add(new Timer(due, timerSeq++, action));
    }

    @Override
    public void relay(SocketChannel a, SocketChannel b, Options options, Guard guard, Consumer<End> onEnd) {
      Pair pair = new Pair(a, b, options, guard, onEnd);
      active.incrementAndGet();
      pair.counted = true;
      adopt(pair);
    }

    @Override
    public void run() {
      Throwable failure = null;
      try {
        while (!closed.get()) {
          selector.select(this::ready, selectTimeoutMillis());
          runTasks();
          runDueTimers();
          if (nextIdleCheck != Long.MAX_VALUE && System.nanoTime() - nextIdleCheck >= 0) {
            closeIdle();
          }
        }
      } catch (IOException | RuntimeException | Error e) {
        // A selector failure, or the JVM out of memory: nothing relays any more, so everything
        // ends (fail closed) and the owner hears of it.
        failure = e;
      } finally {
        exited = true;
        for (Pair p : new ArrayList<>(pairs)) {
          p.end(End.CLOSED);
        }
        for (Handler h : new ArrayList<>(handlers)) {
          abandonQuietly(h);
        }
        handlers.clear();
        Task t;
        while ((t = incoming.poll()) != null) {
          t.rejected();
        }
        try {
          selector.close();
        } catch (IOException e) {
          // exiting anyway
        }
        if (failure != null && !closed.get()) {
          threadFailure.complete(failure);
        }
      }
    }

    /** Until the next timer or idle check is due; 0 (no limit) when neither is pending. */
    private long selectTimeoutMillis() {
      long due = nextIdleCheck;
      Timer first = timers.peek();
      if (first != null && (due == Long.MAX_VALUE || first.due() - due < 0)) {
        due = first.due();
      }
      return due == Long.MAX_VALUE ? 0 : Math.max(1, TimeUnit.NANOSECONDS.toMillis(due - System.nanoTime()));
    }

    private void runTasks() {
      Task t;
      while ((t = incoming.poll()) != null) {
        try {
          t.run(this);
        } catch (RuntimeException e) {
          // a task's own failure is its business; the thread and its other work go on
        }
      }
    }

    private void runDueTimers() {
      long now = System.nanoTime();
      Timer t;
      while ((t = timers.peek()) != null && now - t.due() >= 0) {
        timers.poll();
        try {
          t.action().run();
        } catch (RuntimeException e) {
          // as for tasks
        }
      }
    }

    void adopt(Pair p) {
      try {
        p.register(this);
      } catch (IOException | RuntimeException e) {
        p.end(End.FAILED);
        return;
      }
      pairs.add(p);
      if (p.idleNanos > 0 && p.idleNanos / 4 < idleCheckNanos) {
        idleCheckNanos = Math.max(TimeUnit.MILLISECONDS.toNanos(10), p.idleNanos / 4);
        nextIdleCheck = System.nanoTime() + idleCheckNanos;
      }
      guarded(p, p::pump);
    }

    /** Runs one handler's step; whatever goes wrong ends that handler only, never the thread and its other work. */
    private void guarded(Handler h, Runnable step) {
      try {
        step.run();
      } catch (RuntimeException e) { // e.g. a cancelled key: a channel was closed from elsewhere
        abandonQuietly(h);
      }
    }

    private void abandonQuietly(Handler h) {
      try {
        h.abandon();
      } catch (RuntimeException e) {
        // letting go anyway
      }
    }

    private void ready(SelectionKey key) {
      Handler h = (Handler) key.attachment();
      guarded(h, () -> h.ready(key));
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
    /** Checks each read before it is written; {@code null} for none. */
    final Guard guard;
    /** Bytes read and not yet written (flipped), or {@code null} when nothing is waiting. */
    ByteBuffer pending;
    long left;
    boolean ended;

    Flow(SocketChannel src, SocketChannel dst, ByteBuffer first, long limit, Guard guard) {
      this.src = src;
      this.dst = dst;
      this.guard = guard;
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
  private final class Pair implements Handler {
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

    Pair(SocketChannel a, SocketChannel b, Options o, Guard guard, Consumer<End> onEnd) {
      this.a = Objects.requireNonNull(a, "a");
      this.b = Objects.requireNonNull(b, "b");
      this.toB = new Flow(a, b, o.firstToB(), o.limitToB(), guard);
      this.toA = new Flow(b, a, ByteBuffer.allocate(0), Long.MAX_VALUE, null);
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

    @Override
    public void abandon() {
      end(End.FAILED);
    }

    @Override
    public void ready(SelectionKey key) {
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
        if (watchesClient() && clientGone()) {
          end(End.FINISHED);
          return;
        }
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
      if (watchesClient() && (keyA.interestOps() & SelectionKey.OP_READ) == 0) {
        keyA.interestOps(keyA.interestOps() | SelectionKey.OP_READ);
      }
    }

    /** A request/response pair whose request went whole and whose response has not ended: watch the client's end. */
    private boolean watchesClient() {
      return !halfClose && toB.ended && toB.pending == null && !toA.ended;
    }

    /** Reads (and drops) what the client sends after its request; true once it has ended. */
    private boolean clientGone() throws IOException {
      ByteBuffer drop = worker.borrow();
      try {
        for (int i = 0; i < READS_PER_TURN; i++) {
          drop.clear();
          int n = a.read(drop);
          if (n < 0) {
            return true;
          }
          if (n == 0) {
            return false;
          }
        }
        return false;
      } finally {
        worker.giveBack(drop);
      }
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
        // A refusal (IOException) ends the pair before any of these bytes are written.
        if (f.guard != null && !f.guard.admit(f.pending)) {
          f.left = 0; // the guarded stream is whole: its source is no longer read
        }
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
      if (f.guard != null) {
        f.guard.ended();
      }
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
