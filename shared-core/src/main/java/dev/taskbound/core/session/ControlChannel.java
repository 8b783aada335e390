package dev.taskbound.core.session;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.taskbound.core.Json;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.Map;

/**
 * One connection to a session's supervisor, in frames: a type byte, a 4-byte length, the bytes.
 * {@code J} carries one JSON object (requests, replies), {@code 1} and {@code 2} a piece of a
 * command's standard output and error. One thread may read while others write: reads and writes go
 * to the channel directly (the JDK's channel streams would serialise them on one lock).
 */
final class ControlChannel implements AutoCloseable {
  static final byte JSON = 'J';
  static final byte STDOUT = '1';
  static final byte STDERR = '2';
  /** No frame is larger: a request with a huge environment is refused, not buffered. */
  static final int MAX_FRAME = 1 << 20;
  private static final ObjectMapper MAPPER = Json.MAPPER;

  /** One frame read. */
  record Frame(byte type, byte[] data) {
    JsonNode json() throws IOException {
      if (type != JSON) {
        throw new IOException("expected a JSON frame, got type " + (char) type);
      }
      return MAPPER.readTree(data);
    }
  }

  private final SocketChannel channel;
  private final Object writeLock = new Object();

  ControlChannel(SocketChannel channel) {
    this.channel = channel;
  }

  SocketChannel channel() {
    return channel;
  }

  void send(Map<String, ?> message) throws IOException {
    send(JSON, MAPPER.writeValueAsBytes(message));
  }

  void send(byte type, byte[] data) throws IOException {
    send(type, data, 0, data.length);
  }

  void send(byte type, byte[] data, int off, int len) throws IOException {
    ByteBuffer head = ByteBuffer.allocate(5).put(type).putInt(len).flip();
    ByteBuffer body = ByteBuffer.wrap(data, off, len);
    synchronized (writeLock) {
      while (head.hasRemaining() || body.hasRemaining()) {
        channel.write(new ByteBuffer[] {head, body});
      }
    }
  }

  /** The next frame, or null at end of stream. */
  Frame read() throws IOException {
    ByteBuffer head = ByteBuffer.allocate(5);
    if (!fill(head, true)) {
      return null;
    }
    head.flip();
    byte type = head.get();
    int len = head.getInt();
    if (len < 0 || len > MAX_FRAME) {
      throw new IOException("a control frame of " + len + " bytes (at most " + MAX_FRAME + ")");
    }
    ByteBuffer body = ByteBuffer.allocate(len);
    fill(body, false);
    return new Frame(type, body.array());
  }

  /** Reads until {@code b} is full; false at end of stream before the first byte when allowed. */
  private boolean fill(ByteBuffer b, boolean eofAllowed) throws IOException {
    boolean first = true;
    while (b.hasRemaining()) {
      int n = channel.read(b);
      if (n < 0) {
        if (first && eofAllowed) {
          return false;
        }
        throw new EOFException("the control connection ended inside a frame");
      }
      first = false;
    }
    return true;
  }

  /** A stream whose writes become frames of {@code type}; closing it does nothing. */
  OutputStream stream(byte type) {
    return new OutputStream() {
      @Override
      public void write(int b) throws IOException {
        send(type, new byte[] {(byte) b});
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        if (len > 0) {
          send(type, b, off, len);
        }
      }
    };
  }

  static Map<String, Object> toMap(JsonNode node) {
    return MAPPER.convertValue(node, new com.fasterxml.jackson.core.type.TypeReference<Map<String, Object>>() {});
  }

  @Override
  public void close() {
    try {
      channel.close();
    } catch (IOException e) {
      // closing anyway
    }
  }
}
