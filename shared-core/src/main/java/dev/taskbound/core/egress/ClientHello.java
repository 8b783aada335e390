package dev.taskbound.core.egress;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads the server name (SNI, RFC 6066) from the first bytes a client sends into a CONNECT tunnel,
 * without decrypting or changing anything. The handshake message may span several TLS records.
 * Stateless.
 */
final class ClientHello {
  /** The most we buffer while waiting for a whole ClientHello. */
  static final int MAX_BYTES = 64 * 1024;
  /**
   * The most TLS records a ClientHello may be split into. Clients send it in one or two; a limit
   * keeps a client that sends it in tiny records from making each parse longer than the last.
   */
  static final int MAX_RECORDS = 64;

  /** The outcome of looking at the bytes received so far. */
  sealed interface Result permits NeedMore, NotTls, Hello {}

  /**
   * Not enough bytes yet to decide; nothing can change before the data holds {@code until} bytes
   * (counted from its position), so a caller reading a little at a time need not parse again
   * sooner.
   */
  record NeedMore(int until) implements Result {}

  /** The bytes are not a TLS ClientHello; {@code why} says what was seen. */
  record NotTls(String why) implements Result {}

  /**
   * A complete ClientHello; {@code serverName} is empty when it carries no SNI, {@code alpn} when it
   * offers no application protocols.
   */
  record Hello(Optional<String> serverName, Optional<List<String>> alpn) implements Result {
    Hello(Optional<String> serverName) {
      this(serverName, Optional.empty());
    }

    /** Whether the client may speak HTTP/1.1: it offers it, or offers no protocol list at all. */
    boolean offersHttp11() {
      return alpn.isEmpty() || alpn.get().contains("http/1.1");
    }
  }

  private ClientHello() {}

  /** Looks at {@code data} (position to limit, not consumed). */
  static Result parse(ByteBuffer data) {
    ByteBuffer in = data.duplicate();
    int start = in.position();
    // The handshake bytes are a subset of the data: no need for the whole limit on every call.
    ByteBuffer handshake = ByteBuffer.allocate(Math.min(MAX_BYTES, in.remaining()));
    // Reassemble handshake bytes from consecutive handshake records.
    for (int records = 0; ; records++) {
      if (in.remaining() < 5) {
        return need(handshake, in.position() - start + 5);
      }
      if (records == MAX_RECORDS) {
        return new NotTls("the ClientHello spans more than " + MAX_RECORDS + " TLS records");
      }
      int type = in.get(in.position()) & 0xff;
      int major = in.get(in.position() + 1) & 0xff;
      int length = ((in.get(in.position() + 3) & 0xff) << 8) | (in.get(in.position() + 4) & 0xff);
      if (type != 22 || major != 3) {
        return new NotTls(type == 22 ? "unknown TLS version" : "not a TLS handshake record");
      }
      if (length == 0 || length > 16384 + 2048) {
        return new NotTls("invalid TLS record length " + length);
      }
      if (in.remaining() < 5 + length) {
        return need(handshake, in.position() - start + 5 + length);
      }
      in.position(in.position() + 5);
      if (handshake.remaining() < length) {
        return new NotTls("ClientHello larger than " + MAX_BYTES + " bytes");
      }
      ByteBuffer record = in.slice();
      record.limit(length);
      handshake.put(record);
      in.position(in.position() + length);
      if (handshakeReady(handshake)) {
        Result r = hello(handshake.duplicate().flip());
        if (!(r instanceof NeedMore)) {
          return r;
        }
      }
    }
  }

  /** Whether the handshake bytes so far can decide: a whole message, or a first one that is no ClientHello. */
  private static boolean handshakeReady(ByteBuffer handshake) {
    if (handshake.position() < 4) {
      return false;
    }
    int length = ((handshake.get(1) & 0xff) << 16) | ((handshake.get(2) & 0xff) << 8) | (handshake.get(3) & 0xff);
    return (handshake.get(0) & 0xff) != 1 || handshake.position() >= 4 + length;
  }

  private static Result need(ByteBuffer handshake, int until) {
    return handshake.position() >= MAX_BYTES ? new NotTls("ClientHello larger than " + MAX_BYTES + " bytes") : new NeedMore(until);
  }

  /** Parses a ClientHello message; {@link #handshakeReady} has checked that it is all there. */
  private static Result hello(ByteBuffer h) {
    if (h.remaining() < 4) {
      return new NeedMore(0);
    }
    if ((h.get() & 0xff) != 1) {
      return new NotTls("the first handshake message is not a ClientHello");
    }
    int length = u24(h);
    if (h.remaining() < length) {
      return new NeedMore(0);
    }
    ByteBuffer b = h.slice();
    b.limit(length);
    try {
      b.position(b.position() + 2 + 32); // version, random
      skip(b, u8(b)); // session id
      skip(b, u16(b)); // cipher suites
      skip(b, u8(b)); // compression methods
      if (!b.hasRemaining()) {
        return new Hello(Optional.empty(), Optional.empty());
      }
      int extEnd = u16(b) + b.position();
      if (extEnd > b.limit()) {
        return new NotTls("malformed ClientHello extensions");
      }
      Optional<String> name = Optional.empty();
      Optional<List<String>> alpn = Optional.empty();
      while (b.position() + 4 <= extEnd) {
        int type = u16(b);
        int len = u16(b);
        if (b.position() + len > extEnd) {
          return new NotTls("malformed ClientHello extension");
        }
        if (type == 0) {
          if (name.isPresent()) {
            return new NotTls("two server_name extensions");
          }
          name = serverName(b.slice().limit(len));
          if (name == null) {
            return new NotTls("malformed server_name extension");
          }
        }
        if (type == 16 && alpn.isEmpty()) { // application_layer_protocol_negotiation (RFC 7301)
          alpn = Optional.of(protocols(b.slice().limit(len)));
        }
        skip(b, len);
      }
      return new Hello(name, alpn);
    } catch (RuntimeException e) {
      return new NotTls("malformed ClientHello");
    }
  }

  /**
   * The protocol names an ALPN extension offers (ISO-8859-1: only compared with http/1.1); none when
   * it is malformed (the TLS library refuses it then; an opaque tunnel's server judges it itself).
   */
  private static List<String> protocols(ByteBuffer b) {
    try {
      int listEnd = u16(b) + b.position();
      List<String> out = new ArrayList<>();
      while (b.position() < listEnd) {
        byte[] name = new byte[u8(b)];
        b.get(name);
        out.add(new String(name, StandardCharsets.ISO_8859_1));
      }
      return listEnd == b.position() ? List.copyOf(out) : List.of();
    } catch (RuntimeException e) {
      return List.of();
    }
  }

  /** The single host_name entry; {@code null} when malformed or there is more than one. */
  private static Optional<String> serverName(ByteBuffer b) {
    int listEnd = u16(b) + b.position();
    String found = null;
    while (b.position() + 3 <= listEnd) {
      int type = u8(b);
      int len = u16(b);
      byte[] name = new byte[len];
      b.get(name);
      if (type == 0) {
        if (found != null) {
          return null;
        }
        for (byte c : name) {
          if (c <= 0x20 || c >= 0x7f) {
            return null;
          }
        }
        found = new String(name, StandardCharsets.US_ASCII);
      }
    }
    return Optional.ofNullable(found);
  }

  private static int u8(ByteBuffer b) {
    return b.get() & 0xff;
  }

  private static int u16(ByteBuffer b) {
    return ((b.get() & 0xff) << 8) | (b.get() & 0xff);
  }

  private static int u24(ByteBuffer b) {
    return (u8(b) << 16) | u16(b);
  }

  private static void skip(ByteBuffer b, int n) {
    b.position(b.position() + n);
  }
}
