package dev.taskbound.core.egress;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLException;

/**
 * The server side of TLS on the agent's connection, for the inspecting gateway: the JDK's
 * {@link SSLEngine} over a channel that stays non-blocking (it may be a Unix socket, which has no
 * {@code Socket} for an {@code SSLSocket}); one worker thread waits on a selector of its own. Bytes
 * the gateway already read (the ClientHello it checked) are fed to the engine first. Not
 * thread-safe: one worker thread reads and writes.
 */
final class EngineStream implements AutoCloseable {
  private final SocketChannel channel;
  private final SSLEngine engine;
  private final Selector selector;
  private final SelectionKey key;
  private final Duration idle;
  /** Network bytes received, not yet unwrapped (write mode). */
  private ByteBuffer netIn;
  /** Network bytes to send (read mode after wrap). */
  private ByteBuffer netOut;
  /** Application bytes unwrapped, not yet consumed (read mode). */
  private ByteBuffer appIn;
  private boolean inputClosed;
  /** Records per network read or write at most. */
  private static final int RECORDS = 4;
  private final boolean direct;
  private final int packet;
  /** A direct copy of what {@link #write} is given, for an engine that reads direct buffers in place. */
  private final ByteBuffer appOut;

  EngineStream(SocketChannel channel, SSLEngine engine, ByteBuffer early, Duration idle) throws IOException {
    this(channel, engine, early, idle, false);
  }

  /**
   * @param direct direct buffers (BoringSSL's engine reads and writes them in place; the JDK's
   *     AES-GCM is faster on heap arrays)
   */
  EngineStream(SocketChannel channel, SSLEngine engine, ByteBuffer early, Duration idle, boolean direct)
      throws IOException {
    this.channel = channel;
    this.engine = engine;
    this.idle = idle;
    this.direct = direct;
    this.packet = engine.getSession().getPacketBufferSize();
    // Room for several records: one read or write system call carries up to RECORDS of them.
    this.netIn = allocate(Math.max(packet * RECORDS, early.remaining()));
    this.netIn.put(early);
    this.netOut = allocate(packet * RECORDS);
    this.appIn = allocate(engine.getSession().getApplicationBufferSize());
    this.appIn.flip();
    this.appOut = direct ? allocate(engine.getSession().getApplicationBufferSize()) : null;
    channel.configureBlocking(false);
    this.selector = Selector.open();
    this.key = channel.register(selector, 0);
  }

  /** TLS alert description 120 (RFC 7301 3.2): the client offers no protocol the server speaks. */
  static final byte NO_APPLICATION_PROTOCOL = 120;

  /**
   * Ends a handshake before it starts with a fatal alert in a plaintext record, as the JDK's engine
   * does when ALPN finds no common protocol (BoringSSL's, through Netty, cannot be told to).
   */
  static void refuseHandshake(SocketChannel channel, byte description) {
    try {
      channel.write(ByteBuffer.wrap(new byte[] {21, 3, 3, 0, 2, 2, description})); // alert, TLS 1.2, fatal
    } catch (IOException e) {
      // the client is gone
    }
  }

  /** Runs the handshake to its end. */
  void handshake() throws IOException {
    engine.beginHandshake();
    while (true) {
      SSLEngineResult.HandshakeStatus hs = engine.getHandshakeStatus();
      switch (hs) {
        case NEED_WRAP -> wrap(ByteBuffer.allocate(0));
        case NEED_UNWRAP, NEED_UNWRAP_AGAIN -> {
          if (!unwrapOnce()) {
            throw new EOFException("the client closed during the TLS handshake");
          }
        }
        case NEED_TASK -> {
          Runnable task;
          while ((task = engine.getDelegatedTask()) != null) {
            task.run();
          }
        }
        default -> {
          return;
        }
      }
    }
  }

  /** The protocol ALPN settled on, or {@code ""}. */
  String applicationProtocol() {
    String p = engine.getApplicationProtocol();
    return p == null ? "" : p;
  }

  /**
   * Decrypted bytes into {@code dst}; blocks until at least one is there.
   *
   * @return the count, or -1 at the end of the client's stream
   */
  int read(ByteBuffer dst) throws IOException {
    while (!appIn.hasRemaining()) {
      if (inputClosed || !unwrapOnce()) {
        inputClosed = true;
        return -1;
      }
    }
    int n = Math.min(dst.remaining(), appIn.remaining());
    ByteBuffer slice = appIn.slice();
    slice.limit(n);
    dst.put(slice);
    appIn.position(appIn.position() + n);
    return n;
  }

  /** Encrypts and sends all of {@code src}, up to {@link #RECORDS} records per system call. */
  void write(ByteBuffer src) throws IOException {
    if (appOut == null || src.isDirect()) {
      while (src.hasRemaining()) {
        wrap(src);
      }
      return;
    }
    while (src.hasRemaining()) {
      appOut.clear();
      int n = Math.min(appOut.remaining(), src.remaining());
      ByteBuffer slice = src.slice();
      slice.limit(n);
      appOut.put(slice).flip();
      src.position(src.position() + n);
      while (appOut.hasRemaining()) {
        wrap(appOut);
      }
    }
  }

  void write(byte[] bytes) throws IOException {
    write(ByteBuffer.wrap(bytes));
  }

  InputStream input() {
    return new InputStream() {
      @Override
      public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        return len == 0 ? 0 : EngineStream.this.read(ByteBuffer.wrap(b, off, len));
      }
    };
  }

  OutputStream output() {
    return new OutputStream() {
      @Override
      public void write(int b) throws IOException {
        EngineStream.this.write(new byte[] {(byte) b});
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        EngineStream.this.write(ByteBuffer.wrap(b, off, len));
      }
    };
  }

  /** Wraps records of {@code src} while a whole one still fits, then sends them in one go. */
  private void wrap(ByteBuffer src) throws IOException {
    netOut.clear();
    while (true) {
      SSLEngineResult r = engine.wrap(src, netOut);
      boolean more = r.getStatus() == SSLEngineResult.Status.OK && src.hasRemaining()
          && r.getHandshakeStatus() == SSLEngineResult.HandshakeStatus.NOT_HANDSHAKING
          && netOut.remaining() >= packet;
      if (r.getStatus() == SSLEngineResult.Status.BUFFER_OVERFLOW) {
        if (netOut.position() > 0) {
          break; // send what is wrapped, then wrap the rest into the emptied buffer
        }
        netOut = allocate(netOut.capacity() * 2);
        continue;
      }
      if (r.getStatus() != SSLEngineResult.Status.OK && r.getStatus() != SSLEngineResult.Status.CLOSED) {
        throw new SSLException("unexpected wrap status " + r.getStatus());
      }
      if (!more) {
        break;
      }
    }
    netOut.flip();
    send(netOut);
  }

  private ByteBuffer allocate(int size) {
    return direct ? ByteBuffer.allocateDirect(size) : ByteBuffer.allocate(size);
  }

  /**
   * Unwraps what the network has sent, reading from it when a whole record is not in yet.
   *
   * @return false at the end of the client's stream or its close_notify
   */
  private boolean unwrapOnce() throws IOException {
    while (true) {
      netIn.flip();
      appIn.compact();
      SSLEngineResult r;
      try {
        r = engine.unwrap(netIn, appIn);
      } finally {
        netIn.compact();
        appIn.flip();
      }
      switch (r.getStatus()) {
        case OK -> {
          if (r.bytesConsumed() > 0 || r.bytesProduced() > 0) {
            return true;
          }
        }
        case CLOSED -> {
          return false;
        }
        case BUFFER_OVERFLOW -> {
          ByteBuffer bigger = allocate(appIn.capacity() * 2);
          bigger.put(appIn).flip();
          appIn = bigger;
          continue;
        }
        case BUFFER_UNDERFLOW -> {
          if (!netIn.hasRemaining()) {
            ByteBuffer bigger = allocate(netIn.capacity() * 2);
            netIn.flip();
            bigger.put(netIn);
            netIn = bigger;
          }
        }
        default -> throw new SSLException("unexpected unwrap status " + r.getStatus());
      }
      if (fill() < 0) {
        return false;
      }
    }
  }

  private int fill() throws IOException {
    int n;
    while ((n = channel.read(netIn)) == 0) {
      await(SelectionKey.OP_READ);
    }
    return n;
  }

  private void send(ByteBuffer out) throws IOException {
    while (out.hasRemaining()) {
      if (channel.write(out) == 0) {
        await(SelectionKey.OP_WRITE);
      }
    }
  }

  private void await(int op) throws IOException {
    key.interestOps(op);
    int ready = selector.select(idle.toMillis());
    selector.selectedKeys().clear();
    key.interestOps(0);
    if (ready == 0) {
      throw new SocketTimeoutException("no data for " + idle.toMillis() + " ms");
    }
  }

  /**
   * Whether the client has closed or reset its connection, without blocking: what has arrived is
   * read into the network buffer and kept for the next {@link #read} (a pipelined request, a
   * close_notify), so only the end of the stream or an error counts as gone. For a request held
   * while nothing more is expected from the client; on the worker thread.
   */
  boolean clientGone() {
    if (inputClosed) {
      return true;
    }
    try {
      return netIn.hasRemaining() && channel.read(netIn) < 0;
    } catch (IOException e) {
      return true; // reset
    }
  }

  /**
   * Ends the agent's side after an answer the gateway wrote itself: close_notify, the write side
   * shut, and up to 1 MiB or 1 s of what the agent still sends read and dropped.
   */
  void closeAfterAnswer() {
    try {
      engine.closeOutbound();
      wrap(ByteBuffer.allocate(0));
      channel.shutdownOutput();
      ByteBuffer sink = ByteBuffer.allocate(16 * 1024);
      long until = System.nanoTime() + 1_000_000_000L;
      long dropped = 0;
      while (dropped < 1024 * 1024 && System.nanoTime() < until) {
        sink.clear();
        int n = channel.read(sink);
        if (n < 0) {
          break;
        }
        if (n == 0) {
          key.interestOps(SelectionKey.OP_READ);
          selector.select(Math.max(1, (until - System.nanoTime()) / 1_000_000));
          selector.selectedKeys().clear();
          key.interestOps(0);
        }
        dropped += n;
      }
    } catch (IOException | RuntimeException e) {
      // the agent is gone
    }
  }

  @Override
  public void close() {
    try {
      if (!engine.isOutboundDone()) {
        engine.closeOutbound();
        wrap(ByteBuffer.allocate(0));
      }
    } catch (IOException | RuntimeException e) {
      // the client is gone
    }
    try {
      selector.close();
    } catch (IOException e) {
      // closing anyway
    }
    Relay.closeQuietly(channel);
    AgentTls.release(engine);
  }
}
