package dev.taskbound.core.egress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The relay with real TCP connections on loopback: each test connects an "outside" channel to the
 * relay's {@code a} side and another to its {@code b} side, and talks through it.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RelayTest {
  private static final Duration WAIT = Duration.ofSeconds(20);

  private ServerSocketChannel listener;
  private Relay relay;
  private final List<SocketChannel> opened = new ArrayList<>();

  /** What the test holds: the outside ends, and how the relay said the pair ended. */
  private record Ends(SocketChannel a, SocketChannel b, CompletableFuture<Relay.End> end) {}

  @BeforeEach
  void start() throws IOException {
    listener = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    relay = Relay.start("relay-test", 1);
  }

  @AfterEach
  void stop() throws IOException {
    relay.close();
    listener.close();
    opened.forEach(Relay::closeQuietly);
  }

  @Test
  void copiesLargeStreamsBothWaysAtOnceIntact() throws Exception {
    Ends p = pair(Relay.Options.TUNNEL);
    byte[] up = random(6 << 20, 1);
    byte[] down = random(5 << 20, 2);

    CompletableFuture<byte[]> atB = CompletableFuture.supplyAsync(() -> readAll(p.b()));
    CompletableFuture<byte[]> atA = CompletableFuture.supplyAsync(() -> readAll(p.a()));
    CompletableFuture<Void> sendUp = CompletableFuture.runAsync(() -> writeAndHalfClose(p.a(), up));
    writeAndHalfClose(p.b(), down);
    sendUp.get(WAIT.toSeconds(), TimeUnit.SECONDS);

    assertThat(sha(atB.get(WAIT.toSeconds(), TimeUnit.SECONDS))).isEqualTo(sha(up));
    assertThat(sha(atA.get(WAIT.toSeconds(), TimeUnit.SECONDS))).isEqualTo(sha(down));
    assertThat(p.end().get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(Relay.End.FINISHED);
    assertThat(relay.active()).isZero();
  }

  @Test
  void passesAHalfCloseOnAndKeepsTheOtherDirectionOpen() throws Exception {
    Ends p = pair(Relay.Options.TUNNEL);

    writeAndHalfClose(p.a(), "request".getBytes(StandardCharsets.US_ASCII));
    assertThat(new String(readAll(p.b()), StandardCharsets.US_ASCII)).isEqualTo("request");
    assertThat(p.end()).isNotDone();

    write(p.b(), "response after the client's end".getBytes(StandardCharsets.US_ASCII));
    p.b().shutdownOutput();
    assertThat(new String(readAll(p.a()), StandardCharsets.US_ASCII)).isEqualTo("response after the client's end");
    assertThat(p.end().get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(Relay.End.FINISHED);
  }

  @Test
  void sendsTheFirstBytesFirstAndStopsReadingAtTheLimit() throws Exception {
    ByteBuffer first = ByteBuffer.wrap("HEAD|".getBytes(StandardCharsets.US_ASCII));
    Ends p = pair(new Relay.Options(first, 9, false, Duration.ZERO));

    write(p.a(), "body-and-more-than-the-limit".getBytes(StandardCharsets.US_ASCII));
    byte[] got = readExactly(p.b(), 9);
    assertThat(new String(got, StandardCharsets.US_ASCII)).isEqualTo("HEAD|body");

    // Request/response: the pair is over when b ends, without waiting for a.
    write(p.b(), "reply".getBytes(StandardCharsets.US_ASCII));
    p.b().shutdownOutput();
    assertThat(new String(readAll(p.a()), StandardCharsets.US_ASCII)).isEqualTo("reply");
    assertThat(p.end().get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(Relay.End.FINISHED);
    assertThat(readAll(p.b())).as("nothing past the limit reached b").isEmpty();
  }

  /** Issue 16: a request held for approval upstream is withdrawn when its client gives up. */
  @Test
  void aClientThatGoesAwayAfterItsRequestEndsTheRequestResponsePairSoTheUpstreamSeesTheClose() throws Exception {
    ByteBuffer first = ByteBuffer.wrap("HEAD|".getBytes(StandardCharsets.US_ASCII));
    Ends p = pair(new Relay.Options(first, 9, false, Duration.ZERO));
    write(p.a(), "body".getBytes(StandardCharsets.US_ASCII));
    byte[] got = readExactly(p.b(), 9);

    p.a().close(); // the client gave up while the upstream had not answered yet

    assertThat(p.end().get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(Relay.End.FINISHED);
    assertThat(new String(got, StandardCharsets.US_ASCII)).isEqualTo("HEAD|body");
    assertThat(readAll(p.b())).as("the upstream sees the close, nothing more").isEmpty();
  }

  @Test
  void stopsReadingASourceWhoseDestinationIsFull() throws Exception {
    Ends p = pair(Relay.Options.TUNNEL);
    p.a().configureBlocking(false);
    ByteBuffer chunk = ByteBuffer.allocate(64 * 1024);
    long sent = 0;
    // b reads nothing: once the socket buffers and the relay's one pending buffer are full, the
    // relay stops reading a, and a stays unwritable. A relay that kept reading would let a write on
    // (up to the 512 MiB bound). "Stays" = not writable for a whole second.
    try (java.nio.channels.Selector writable = java.nio.channels.Selector.open()) {
      p.a().register(writable, java.nio.channels.SelectionKey.OP_WRITE);
      while (sent < (512L << 20)) {
        int n = p.a().write(chunk.clear());
        sent += n;
        if (n == 0 && writable.select(1000) == 0) {
          break;
        }
        writable.selectedKeys().clear();
      }
    }
    assertThat(sent).as("bytes a could write while b read nothing").isLessThan(64L << 20);

    p.a().configureBlocking(true);
    p.a().shutdownOutput();
    assertThat((long) readAll(p.b()).length).isEqualTo(sent);
  }

  @Test
  void closesAnIdlePairAndSaysSo() throws Exception {
    Ends p = pair(new Relay.Options(ByteBuffer.allocate(0), Long.MAX_VALUE, true, Duration.ofMillis(200)));

    assertThat(p.end().get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(Relay.End.IDLE);
    assertThat(readAll(p.a())).isEmpty();
    assertThat(readAll(p.b())).isEmpty();
  }

  @Test
  void aResetOnOneSideEndsThePairAsFailedAndClosesTheOther() throws Exception {
    Ends p = pair(Relay.Options.TUNNEL);
    p.b().setOption(StandardSocketOptions.SO_LINGER, 0);
    p.b().close(); // RST

    write(p.a(), "anyone?".getBytes(StandardCharsets.US_ASCII));
    Relay.End end = p.end().get(WAIT.toSeconds(), TimeUnit.SECONDS);

    assertThat(end).isIn(Relay.End.FAILED, Relay.End.FINISHED);
    assertThatEndsOrResets(p.a());
  }

  @Test
  void holdsManyIdlePairsOnOneThread() throws Exception {
    List<Ends> pairs = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      pairs.add(pair(Relay.Options.TUNNEL));
    }
    long relayThreads = Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("relay-test")).count();
    assertThat(relayThreads).isEqualTo(1);

    for (int i = 0; i < pairs.size(); i++) {
      Ends p = pairs.get(i);
      byte[] msg = ("pair " + i).getBytes(StandardCharsets.US_ASCII);
      write(p.a(), msg);
      assertThat(readExactly(p.b(), msg.length)).isEqualTo(msg);
    }
    assertThat(relay.active()).isEqualTo(300);
  }

  @Test
  void closingTheRelayEndsEveryPairAndRefusesNewOnes() throws Exception {
    Ends p = pair(Relay.Options.TUNNEL);
    write(p.a(), "x".getBytes(StandardCharsets.US_ASCII));
    assertThat(readExactly(p.b(), 1)).containsExactly('x');

    relay.close();

    assertThat(p.end().get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(Relay.End.CLOSED);
    assertThat(readAll(p.a())).isEmpty();
    Ends late = pair(Relay.Options.TUNNEL);
    assertThat(late.end()).isCompletedWithValue(Relay.End.CLOSED);
    assertThat(relay.active()).isZero();
  }

  @Test
  void rejectsBadArguments() {
    assertThatThrownBy(() -> Relay.start("x", 0)).isInstanceOf(IllegalArgumentException.class).hasMessage("threads must be 1-64: 0");
    assertThatThrownBy(() -> new Relay.Options(ByteBuffer.allocate(0), -1, true, Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("limitToB and idleTimeout must not be negative");
  }

  // --- helpers ---------------------------------------------------------------------------------

  /** Two loopback connections; the relay gets their inner ends. */
  private Ends pair(Relay.Options options) throws IOException {
    SocketChannel[] one = connection();
    SocketChannel[] two = connection();
    CompletableFuture<Relay.End> end = new CompletableFuture<>();
    relay.relay(one[1], two[1], options, end::complete);
    return new Ends(one[0], two[0], end);
  }

  private SocketChannel[] connection() throws IOException {
    SocketChannel outside = SocketChannel.open(listener.getLocalAddress());
    SocketChannel inside = listener.accept();
    opened.add(outside);
    opened.add(inside);
    return new SocketChannel[] {outside, inside};
  }

  private static void write(SocketChannel ch, byte[] bytes) {
    try {
      ByteBuffer b = ByteBuffer.wrap(bytes);
      while (b.hasRemaining()) {
        ch.write(b);
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void writeAndHalfClose(SocketChannel ch, byte[] bytes) {
    write(ch, bytes);
    try {
      ch.shutdownOutput();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static byte[] readAll(SocketChannel ch) {
    try {
      java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
      ByteBuffer b = ByteBuffer.allocate(64 * 1024);
      while (ch.read(b.clear()) >= 0) {
        out.write(b.array(), 0, b.position());
      }
      return out.toByteArray();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void runsTasksAndTheirTimersOnARelayThreadInOrder() throws Exception {
    List<String> ran = new java.util.concurrent.CopyOnWriteArrayList<>();
    CompletableFuture<Void> last = new CompletableFuture<>();

    relay.execute(new Relay.Task() {
      @Override
      public void run(Relay.Loop loop) {
        ran.add("task on " + Thread.currentThread().getName());
        loop.schedule(Duration.ofMillis(200), () -> {
          ran.add("later");
          last.complete(null);
        });
        loop.schedule(Duration.ZERO, () -> ran.add("sooner"));
        loop.execute(() -> ran.add("executed"));
      }

      @Override
      public void rejected() {
        ran.add("rejected");
      }
    });
    last.get(WAIT.toSeconds(), TimeUnit.SECONDS);

    assertThat(ran).containsExactly("task on relay-test-1", "executed", "sooner", "later");
  }

  @Test
  void abandonsWhatATaskRegisteredAndRejectsTasksOnceClosed() throws Exception {
    CompletableFuture<Void> registered = new CompletableFuture<>();
    CompletableFuture<Void> abandoned = new CompletableFuture<>();
    SocketChannel a = connection()[1];
    relay.execute(new Relay.Task() {
      @Override
      public void run(Relay.Loop loop) {
        try {
          loop.register(a, java.nio.channels.SelectionKey.OP_READ, new Relay.Handler() {
            @Override
            public void ready(java.nio.channels.SelectionKey key) {}

            @Override
            public void abandon() {
              abandoned.complete(null);
            }
          });
          registered.complete(null);
        } catch (IOException e) {
          registered.completeExceptionally(e);
        }
      }

      @Override
      public void rejected() {
        registered.completeExceptionally(new AssertionError("rejected while open"));
      }
    });
    registered.get(WAIT.toSeconds(), TimeUnit.SECONDS);

    relay.close();
    CompletableFuture<String> late = new CompletableFuture<>();
    relay.execute(new Relay.Task() {
      @Override
      public void run(Relay.Loop loop) {
        late.complete("ran");
      }

      @Override
      public void rejected() {
        late.complete("rejected");
      }
    });

    abandoned.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertThat(late.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo("rejected");
  }

  private static byte[] readExactly(SocketChannel ch, int n) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(n);
    while (b.hasRemaining()) {
      if (ch.read(b) < 0) {
        break;
      }
    }
    return java.util.Arrays.copyOf(b.array(), b.position());
  }

  private static void assertThatEndsOrResets(SocketChannel ch) {
    try {
      assertThat(ch.read(ByteBuffer.allocate(16))).isEqualTo(-1);
    } catch (IOException reset) {
      assertThat(reset).hasMessageContaining("reset");
    }
  }

  private static byte[] random(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  private static byte[] sha(byte[] b) throws Exception {
    return MessageDigest.getInstance("SHA-256").digest(b);
  }
}
