package dev.taskbound.core.egress;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channel;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.WritableByteChannel;

/**
 * Blocking byte copy between channels, shared by the gateway and the sandbox's forwarder. No busy
 * loops: every read blocks until data or end of stream. Stateless and thread-safe.
 */
public final class Pipe {
  private static final int BUFFER = 16 * 1024;

  private Pipe() {}

  /**
   * Writes {@code initial}, then copies from {@code src} to {@code dst} until {@code src} ends or
   * {@code limit} bytes in total have been written.
   *
   * @return whether {@code src} reached its end (rather than the limit)
   * @throws IOException if reading or writing fails (including when another thread closes a channel)
   */
  public static boolean copy(ByteBuffer initial, ReadableByteChannel src, WritableByteChannel dst, long limit) throws IOException {
    long left = limit;
    ByteBuffer first = initial.duplicate();
    if (first.remaining() > left) {
      first.limit(first.position() + (int) left);
    }
    left -= writeFully(first, dst);
    ByteBuffer buf = ByteBuffer.allocateDirect(BUFFER);
    while (left > 0) {
      buf.clear();
      if (left < BUFFER) {
        buf.limit((int) left);
      }
      if (src.read(buf) < 0) {
        return true;
      }
      buf.flip();
      left -= writeFully(buf, dst);
    }
    return false;
  }

  /**
   * Copies {@code initial} and then {@code from} to {@code to} until {@code from} ends, then
   * half-closes {@code to} so its peer sees the end too. On an I/O error closes both channels, so
   * that the opposite direction ends as well. Never throws.
   */
  public static void relayHalfClosing(ByteBuffer initial, SocketChannel from, SocketChannel to) {
    try {
      copy(initial, from, to, Long.MAX_VALUE);
      to.shutdownOutput();
    } catch (IOException e) {
      closeQuietly(from);
      closeQuietly(to);
    }
  }

  /** Closes a channel, ignoring errors: used where the channel is being abandoned anyway. */
  public static void closeQuietly(Channel ch) {
    try {
      ch.close();
    } catch (IOException e) {
      // abandoning it anyway
    }
  }

  private static int writeFully(ByteBuffer buf, WritableByteChannel dst) throws IOException {
    int n = buf.remaining();
    while (buf.hasRemaining()) {
      dst.write(buf);
    }
    return n;
  }
}
