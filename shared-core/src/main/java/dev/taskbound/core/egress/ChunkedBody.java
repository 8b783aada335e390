package dev.taskbound.core.egress;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Locale;
import java.util.Set;

/**
 * Checks a chunked request body (RFC 9112 section 7.1) while it streams through the gateway, a
 * read at a time, without holding any of it: a small state machine that looks at each byte of the
 * chunk-size lines, extensions and trailers once and skips chunk data by its length. Whatever way
 * the body is cut into reads, the outcome is the same, in time linear in its length.
 *
 * <p>Accepted, and nothing else: {@code 1*16HEXDIG} sizes (no sign, no {@code 0x}, no whitespace
 * before the size), extensions {@code ;name[=token|"quoted"]} with optional spaces or tabs around
 * {@code ;} and {@code =}, a size line of at most {@link #MAX_LINE_BYTES} bytes, CRLF after every
 * line and every chunk's data, a last chunk of zeros, trailer fields {@code Name: value} (no
 * control characters but tab, no folding, none that frames or routes the message), at most
 * {@link #MAX_TRAILER_BYTES} bytes of trailers, the final CRLF, and not a byte after it.
 *
 * <p>The gateway checks the bytes that came with the request head before it dials ({@link #check}),
 * and the rest in the relay ({@link #admit}), before each read is written upstream.
 *
 * <p>Not thread-safe: one instance per request, fed in order on one thread. Once it refuses, it
 * refuses every later call with the same reason.
 */
final class ChunkedBody implements Relay.Guard {
  /** Digits of a chunk size, leading zeros included: 16 hex digits are 2^64, more than any body. */
  static final int MAX_SIZE_DIGITS = 16;
  /** A chunk-size line, extensions and CRLF included. */
  static final int MAX_LINE_BYTES = 4096;
  /** All trailer lines together, the final CRLF included. */
  static final int MAX_TRAILER_BYTES = 16 * 1024;
  /** Trailer fields a recipient might take for framing or routing (RFC 9110 section 6.5.1). */
  private static final Set<String> FORBIDDEN_TRAILERS = Set.of(
      "content-length", "transfer-encoding", "host", "connection", "trailer", "te", "upgrade", "keep-alive",
      "proxy-connection", "proxy-authorization", "authorization", "content-type", "content-encoding", "content-range",
      "expect");

  private enum State {
    /** The first hex digit of a size. */
    SIZE_START,
    /** Further hex digits, or what follows them. */
    SIZE,
    /** After a size or an extension: ';', spaces before one, or CR. */
    AFTER_EXTENSION,
    /** Spaces seen after a size or an extension: only more of them or ';' may follow. */
    SPACE_BEFORE_SEMICOLON,
    /** After ';': spaces, then an extension name. */
    NAME_START,
    NAME,
    /** Spaces after a name: '=' or ';' must follow. */
    SPACE_AFTER_NAME,
    /** After '=': spaces, then a token or a quoted string. */
    VALUE_START,
    TOKEN_VALUE,
    QUOTED_VALUE,
    /** After a backslash in a quoted value. */
    QUOTED_PAIR,
    /** After the CR that ends a size line. */
    LINE_LF,
    DATA,
    DATA_CR,
    DATA_LF,
    /** The start of a trailer line, or the CR of the final CRLF. */
    TRAILER_START,
    TRAILER_NAME,
    TRAILER_VALUE,
    TRAILER_LF,
    /** After the CR of the final CRLF. */
    END_LF,
    COMPLETE
  }

  private State state = State.SIZE_START;
  /** Bytes checked so far, for messages. */
  private long offset;
  private long size;
  private int digits;
  /** Bytes of the current size line, or of the trailers so far. */
  private int lineBytes;
  private long dataLeft;
  private final StringBuilder trailerName = new StringBuilder();
  private String failure;

  /**
   * Checks {@code bytes} (position to limit; the buffer is not changed), which follow every byte
   * checked before.
   *
   * @throws ProxyRequestException 400 if they break the framing, or if any of them follow the end
   *     of the body; every later call throws it again
   */
  void check(ByteBuffer bytes) throws ProxyRequestException {
    if (failure != null) {
      throw refusal();
    }
    int i = bytes.position();
    int end = bytes.limit();
    while (i < end) {
      if (state == State.DATA) {
        int n = (int) Math.min(dataLeft, end - i);
        i += n;
        offset += n;
        dataLeft -= n;
        if (dataLeft == 0) {
          state = State.DATA_CR;
        }
        continue;
      }
      String wrong = step(bytes.get(i) & 0xff);
      if (wrong != null) {
        failure = "malformed chunked body at byte " + offset + ": " + wrong;
        throw refusal();
      }
      i++;
      offset++;
    }
  }

  /** As {@link #check}, for the relay: a refusal is an {@link IOException}, and {@link #failure()} says why. */
  @Override
  public boolean admit(ByteBuffer bytes) throws IOException {
    try {
      check(bytes);
    } catch (ProxyRequestException e) {
      throw new IOException(e.getMessage(), e);
    }
    return !complete();
  }

  /** The client ended its side before the body was complete: a body cut short is refused too. */
  @Override
  public void ended() throws IOException {
    if (complete()) {
      return;
    }
    if (failure == null) {
      failure = "the client ended the chunked body at byte " + offset + ", before its last chunk and final CRLF";
    }
    throw new IOException(failure);
  }

  /** Whether the whole body, trailers and final CRLF included, has been checked. */
  boolean complete() {
    return state == State.COMPLETE;
  }

  /** What was wrong, or {@code null} while nothing is. */
  String failure() {
    return failure;
  }

  private ProxyRequestException refusal() {
    return new ProxyRequestException(400, failure, GatewayEvents.SMUGGLING);
  }

  /** Takes one byte; returns what is wrong with it, or {@code null}. */
  private String step(int c) {
    if (isSizeLine(state) && ++lineBytes > MAX_LINE_BYTES) {
      return "the chunk-size line is longer than " + MAX_LINE_BYTES + " bytes; accepted: short extensions or none";
    }
    if (isTrailer(state) && ++lineBytes > MAX_TRAILER_BYTES) {
      return "the trailers are longer than " + MAX_TRAILER_BYTES + " bytes";
    }
    switch (state) {
      case SIZE_START:
        if (hex(c) < 0) {
          return got(c) + " where a chunk size begins; accepted: hex digits (no sign, prefix or space)";
        }
        size = hex(c);
        digits = 1;
        state = State.SIZE;
        return null;
      case SIZE:
        if (hex(c) >= 0) {
          if (++digits > MAX_SIZE_DIGITS) {
            return "a chunk size of more than " + MAX_SIZE_DIGITS + " hex digits";
          }
          if (size > (Long.MAX_VALUE >> 4)) {
            return "a chunk size larger than " + Long.MAX_VALUE + " bytes";
          }
          size = (size << 4) | hex(c);
          return null;
        }
        state = State.AFTER_EXTENSION;
        return afterSize(c);
      default:
        return afterSize(c);
    }
  }

  /** Takes one byte of an extension, a line end, a trailer or the end. */
  private String afterSize(int c) {
    switch (state) {
      case AFTER_EXTENSION:
        if (c == ';') {
          state = State.NAME_START;
        } else if (c == ' ' || c == '\t') {
          state = State.SPACE_BEFORE_SEMICOLON;
        } else if (c == '\r') {
          state = State.LINE_LF;
        } else {
          return got(c) + " after a chunk size or extension; accepted: ';' and an extension, or CRLF";
        }
        return null;
      case SPACE_BEFORE_SEMICOLON:
        if (c == ';') {
          state = State.NAME_START;
        } else if (c != ' ' && c != '\t') {
          return got(c) + " after spaces in a chunk-size line; accepted: ';' and an extension";
        }
        return null;
      case NAME_START:
        if (isToken(c)) {
          state = State.NAME;
        } else if (c != ' ' && c != '\t') {
          return got(c) + " where a chunk extension name begins; accepted: a token";
        }
        return null;
      case NAME:
        return afterToken(c, State.SPACE_AFTER_NAME, true);
      case SPACE_AFTER_NAME:
        if (c == '=') {
          state = State.VALUE_START;
        } else if (c == ';') {
          state = State.NAME_START;
        } else if (c != ' ' && c != '\t') {
          return got(c) + " after a chunk extension name; accepted: '=' or ';'";
        }
        return null;
      case VALUE_START:
        if (isToken(c)) {
          state = State.TOKEN_VALUE;
        } else if (c == '"') {
          state = State.QUOTED_VALUE;
        } else if (c != ' ' && c != '\t') {
          return got(c) + " where a chunk extension value begins; accepted: a token or a quoted string";
        }
        return null;
      case TOKEN_VALUE:
        return afterToken(c, State.SPACE_BEFORE_SEMICOLON, false);
      case QUOTED_VALUE:
        if (c == '"') {
          state = State.AFTER_EXTENSION;
        } else if (c == '\\') {
          state = State.QUOTED_PAIR;
        } else if (isControl(c)) {
          return got(c) + " in a quoted chunk extension value";
        }
        return null;
      case QUOTED_PAIR:
        if (isControl(c)) {
          return got(c) + " escaped in a quoted chunk extension value";
        }
        state = State.QUOTED_VALUE;
        return null;
      case LINE_LF:
        if (c != '\n') {
          return got(c) + " after CR in a chunk-size line; accepted: CRLF";
        }
        lineBytes = 0;
        if (size == 0) {
          state = State.TRAILER_START;
        } else {
          dataLeft = size;
          state = State.DATA;
        }
        return null;
      case DATA_CR:
        if (c != '\r') {
          return got(c) + " after " + size + " bytes of chunk data; accepted: CRLF (the chunk size says how long the data is)";
        }
        state = State.DATA_LF;
        return null;
      case DATA_LF:
        if (c != '\n') {
          return got(c) + " after CR at the end of chunk data; accepted: CRLF";
        }
        state = State.SIZE_START;
        return null;
      case TRAILER_START:
        if (c == '\r') {
          state = State.END_LF;
        } else if (isToken(c)) {
          trailerName.setLength(0);
          trailerName.append((char) c);
          state = State.TRAILER_NAME;
        } else {
          return got(c) + " where a trailer field or the final CRLF begins; accepted: 'Name: value' lines"
              + " (no folding), then CRLF";
        }
        return null;
      case TRAILER_NAME:
        if (isToken(c)) {
          trailerName.append((char) c);
        } else if (c == ':') {
          String name = trailerName.toString().toLowerCase(Locale.ROOT);
          if (FORBIDDEN_TRAILERS.contains(name)) {
            return "the trailer field '" + trailerName + "' frames, routes or describes the message; it is not accepted in trailers";
          }
          state = State.TRAILER_VALUE;
        } else {
          return got(c) + " in a trailer field name; accepted: a token, then ':'";
        }
        return null;
      case TRAILER_VALUE:
        if (c == '\r') {
          state = State.TRAILER_LF;
        } else if (isControl(c)) {
          return got(c) + " in a trailer field value";
        }
        return null;
      case TRAILER_LF:
        if (c != '\n') {
          return got(c) + " after CR in a trailer line; accepted: CRLF";
        }
        state = State.TRAILER_START;
        return null;
      case END_LF:
        if (c != '\n') {
          return got(c) + " after the final CR; accepted: CRLF";
        }
        state = State.COMPLETE;
        return null;
      case COMPLETE:
        return "bytes after the end of the chunked body; the gateway relays one request per connection";
      default:
        throw new IllegalStateException(state.toString());
    }
  }

  /** After a token character of an extension name or value. */
  private String afterToken(int c, State afterSpace, boolean name) {
    if (isToken(c)) {
      return null;
    }
    if (c == ';') {
      state = State.NAME_START;
    } else if (c == ' ' || c == '\t') {
      state = afterSpace;
    } else if (c == '\r') {
      state = State.LINE_LF;
    } else if (name && c == '=') {
      state = State.VALUE_START;
    } else {
      return got(c) + (name ? " in a chunk extension name" : " in a chunk extension value") + "; accepted: token characters";
    }
    return null;
  }

  private static boolean isSizeLine(State s) {
    return s.ordinal() <= State.LINE_LF.ordinal();
  }

  private static boolean isTrailer(State s) {
    return s.ordinal() >= State.TRAILER_START.ordinal() && s != State.COMPLETE;
  }

  private static int hex(int c) {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
      return c - 'A' + 10;
    }
    return -1;
  }

  /** tchar (RFC 9110 section 5.6.2). */
  static boolean isToken(int c) {
    return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
  }

  /** A control character other than tab: never allowed in a value (RFC 9110 section 5.5). */
  static boolean isControl(int c) {
    return c < 0x20 && c != '\t' || c == 0x7f;
  }

  private static String got(int c) {
    return c > 0x20 && c < 0x7f ? "'" + (char) c + "'" : String.format(Locale.ROOT, "byte 0x%02x", c);
  }
}
