package dev.taskbound.core.evidence;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The append-only, hash-chained evidence log of one session (JSON Lines; format in
 * docs/evidence.md). Thread-safe: appends are serialised, and each writes its whole line, newline
 * included, with one positional write at the end of the file. Appends are not fsynced one by one
 * (the data is in the kernel once {@code append} returns, so a crash of this process loses
 * nothing); {@link #sync()} and {@link #close()} force it to the device. A host crash can leave a
 * torn last line, which {@link #resume} drops.
 *
 * <p>The file is created with mode 0600. Callers must never pass secret values in {@code data}:
 * name a credential by {@link Fingerprint#of}.
 */
public final class EvidenceLog implements AutoCloseable {
  private final Path file;
  private final String session;
  private final Clock clock;
  /**
   * Not a channel: a channel is closed for good when a thread is interrupted in its I/O (an agent API
   * worker stopped by the teardown while it records an event), and every later append, the seal's
   * included, then failed.
   */
  private final RandomAccessFile channel;
  private long count;
  private String lastHash;
  private long size;
  private boolean closed;

  private EvidenceLog(Path file, String session, Clock clock, RandomAccessFile channel, long count, String lastHash, long size) {
    this.file = file;
    this.session = session;
    this.clock = clock;
    this.channel = channel;
    this.count = count;
    this.lastHash = lastHash;
    this.size = size;
  }

  /**
   * Creates a new, empty log, mode 0600.
   *
   * @throws EvidenceException if the file already exists (use {@link #resume}) or cannot be created
   * @throws IllegalArgumentException if {@code sessionId} is blank
   */
  public static EvidenceLog create(Path file, String sessionId, Clock clock) {
    checkArgs(file, sessionId, clock);
    try {
      Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      return new EvidenceLog(file, sessionId, clock, new RandomAccessFile(file.toFile(), "rw"), 0, EvidenceEvent.GENESIS, 0);
    } catch (FileAlreadyExistsException e) {
      throw new EvidenceException("evidence log " + file + " already exists; resume it instead of creating it", e);
    } catch (IOException | UnsupportedOperationException e) {
      throw new EvidenceException("cannot create evidence log " + file + ": " + e.getMessage(), e);
    }
  }

  /**
   * Opens an existing log to continue it, e.g. after the process that wrote it died. A last line
   * without its newline (a torn write) is cut off the file; every other line must form a valid chain
   * for {@code sessionId}, and appends continue its {@code seq} and {@code prev}.
   *
   * @throws EvidenceException if the file does not exist or cannot be read or written, or the chain
   *     is broken or belongs to another session; the message names the first bad line
   */
  public static EvidenceLog resume(Path file, String sessionId, Clock clock) {
    checkArgs(file, sessionId, clock);
    RandomAccessFile ch = null;
    try {
      // a regular file, not a link: RandomAccessFile follows links and creates what is missing
      if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
        throw new NoSuchFileException(file.toString(), null, "no regular file (a link is not followed)");
      }
      ch = new RandomAccessFile(file.toFile(), "rw");
      byte[] bytes = Files.readAllBytes(file);
      int end = lastNewline(bytes) + 1;
      Chain.Result result = Chain.check(splitLines(bytes, end));
      if (!result.ok()) {
        throw new EvidenceException("evidence log " + file + ": " + result.problem() + "; refusing to continue a broken chain");
      }
      if (!result.events().isEmpty() && !result.events().get(0).session().equals(sessionId)) {
        throw new EvidenceException(
            "evidence log " + file + " belongs to session " + result.events().get(0).session() + ", not " + sessionId);
      }
      if (end < bytes.length) {
        ch.setLength(end); // drop the torn tail: it never had a hash anyone relied on
        ch.getFD().sync();
      }
      EvidenceLog log = new EvidenceLog(file, sessionId, clock, ch, result.events().size(), result.lastHash(), end);
      ch = null;
      return log;
    } catch (NoSuchFileException e) {
      throw new EvidenceException("evidence log " + file + " does not exist; nothing to resume", e);
    } catch (IOException e) {
      throw new EvidenceException("cannot resume evidence log " + file + ": " + e.getMessage(), e);
    } finally {
      closeQuietly(ch);
    }
  }

  /**
   * Reads every line of a log file as events, checking the chain.
   *
   * @throws EvidenceException if the file cannot be read or a line is bad (named in the message)
   */
  public static List<EvidenceEvent> read(Path file) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new EvidenceException("cannot read evidence log " + file + ": " + e.getMessage(), e);
    }
    return parse(bytes, file.toString());
  }

  static List<EvidenceEvent> parse(byte[] bytes, String where) {
    int end = lastNewline(bytes) + 1;
    if (end < bytes.length) {
      throw new EvidenceException(where + ": line " + (countNewlines(bytes) + 1) + ": incomplete line (no trailing newline; torn write?)");
    }
    Chain.Result result = Chain.check(splitLines(bytes, end));
    if (!result.ok()) {
      throw new EvidenceException(where + ": " + result.problem());
    }
    return result.events();
  }

  /**
   * Appends one event stamped with the clock's time and returns it.
   *
   * @param type the event's type; never null
   * @param data JSON-serialisable values (strings, numbers, booleans, lists, maps, records); null
   *     means an empty object. Never secrets.
   * @throws IllegalArgumentException if {@code data} does not serialise to a JSON object
   * @throws IllegalStateException if the log is closed
   * @throws EvidenceException if the write fails
   */
  public EvidenceEvent append(EventType type, Map<String, ?> data) {
    return appendChecked(Objects.requireNonNull(type, "type").wireName(), data);
  }

  /**
   * Appends one event of the type with this wire name, as {@link #append(EventType, Map)}.
   *
   * @throws IllegalArgumentException if {@code type} is not an {@link EventType}'s wire name (a
   *     programming error: every type is defined there and documented in docs/evidence.md)
   */
  public EvidenceEvent append(String type, Map<String, ?> data) {
    Objects.requireNonNull(type, "type");
    if (EventType.fromWireName(type).isEmpty()) {
      throw new IllegalArgumentException("event type '" + type + "' is not defined in " + EventType.class.getName()
          + "; every type the evidence holds is defined there and listed in docs/evidence.md");
    }
    return appendChecked(type, data);
  }

  /**
   * Appends an event of a type this version does not define: only for tests of readers, which must
   * accept the types of newer versions. Production code appends {@link EventType}s only.
   */
  EvidenceEvent appendOfUndefinedTypeForTests(String type, Map<String, ?> data) {
    return appendChecked(type, data);
  }

  /**
   * Computes what an append does (the data's tree, the timestamp, the hash, the line) for a sample
   * and discards it: run on a spare thread while a session opens, so the open's first events do
   * not pay Jackson's and the formatter's first use on the opening thread. Touches no file.
   *
   * @return the sample's line, as an append would write it
   */
  public static String warmUp() {
    JsonNode data = CanonicalJson.MAPPER.valueToTree(
        Map.of("warm", List.of(1, "up"), "at", java.time.Instant.EPOCH, "nested", Map.of("ok", true)));
    String ts = EvidenceEvent.TS.format(java.time.Instant.EPOCH);
    String hash = EvidenceEvent.hashOf(EvidenceEvent.withoutHash(1, ts, "session.opened", "warm", data, EvidenceEvent.GENESIS));
    return new EvidenceEvent(1, EvidenceEvent.TS.parse(ts, java.time.Instant::from), "session.opened", "warm", data,
        EvidenceEvent.GENESIS, hash).toJsonLine();
  }

  private EvidenceEvent appendChecked(String type, Map<String, ?> data) {
    JsonNode node = CanonicalJson.MAPPER.valueToTree(data == null ? Map.of() : data);
    if (!node.isObject()) {
      throw new IllegalArgumentException("event data must serialise to a JSON object");
    }
    synchronized (this) {
      if (closed) {
        throw new IllegalStateException("evidence log " + file + " is closed");
      }
      long seq = count + 1;
      String ts = EvidenceEvent.TS.format(clock.instant());
      String hash = EvidenceEvent.hashOf(EvidenceEvent.withoutHash(seq, ts, type, session, node, lastHash));
      EvidenceEvent event = new EvidenceEvent(seq, EvidenceEvent.TS.parse(ts, java.time.Instant::from), type, session, node, lastHash, hash);
      byte[] line = (event.toJsonLine() + "\n").getBytes(StandardCharsets.UTF_8);
      try {
        channel.seek(size);
        channel.write(line);
      } catch (IOException e) {
        throw new EvidenceException("cannot append to evidence log " + file + ": " + e.getMessage(), e);
      }
      size += line.length;
      count = seq;
      lastHash = hash;
      return event;
    }
  }

  /** Forces appended lines to the storage device. @throws EvidenceException if that fails */
  public synchronized void sync() {
    try {
      channel.getFD().sync();
    } catch (IOException e) {
      throw new EvidenceException("cannot sync evidence log " + file + ": " + e.getMessage(), e);
    }
  }

  /** The number of events in the log. */
  public synchronized long count() {
    return count;
  }

  /** The hash of the last event, or {@link EvidenceEvent#GENESIS} when the log is empty. */
  public synchronized String lastHash() {
    return lastHash;
  }

  /** The count and last hash, read together. */
  record Head(long count, String lastHash) {}

  /** The count and last hash read together, for sealing. */
  synchronized Head head() {
    return new Head(count, lastHash);
  }

  /** The session id every line carries. */
  public String sessionId() {
    return session;
  }

  public Path file() {
    return file;
  }

  /** Syncs and closes the file. Idempotent. @throws EvidenceException if the sync or close fails */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try (RandomAccessFile ch = channel) {
      ch.getFD().sync();
    } catch (IOException e) {
      throw new EvidenceException("cannot close evidence log " + file + ": " + e.getMessage(), e);
    }
  }

  private static void checkArgs(Path file, String sessionId, Clock clock) {
    Objects.requireNonNull(file, "file");
    Objects.requireNonNull(sessionId, "sessionId");
    Objects.requireNonNull(clock, "clock");
    if (sessionId.isBlank()) {
      throw new IllegalArgumentException("sessionId is blank");
    }
  }

  static int lastNewline(byte[] bytes) {
    for (int i = bytes.length - 1; i >= 0; i--) {
      if (bytes[i] == '\n') {
        return i;
      }
    }
    return -1;
  }

  static int countNewlines(byte[] bytes) {
    int n = 0;
    for (byte b : bytes) {
      if (b == '\n') {
        n++;
      }
    }
    return n;
  }

  /**
   * The lines of {@code bytes[0, end)}, which ends with a newline (or is empty), decoded as UTF-8. A
   * line that is not valid UTF-8 ends the list as {@code null}, which {@link Chain#check} names:
   * decoded with replacement characters, a lone 0xFF read as the U+FFFD an edit took out, and the
   * line's hash still matched.
   */
  static List<String> splitLines(byte[] bytes, int end) {
    List<String> lines = new ArrayList<>();
    CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
    int start = 0;
    for (int i = 0; i < end; i++) {
      if (bytes[i] == '\n') {
        try {
          lines.add(utf8.decode(ByteBuffer.wrap(bytes, start, i - start)).toString());
        } catch (CharacterCodingException e) {
          lines.add(null);
          return lines;
        }
        if (i - start < MIN_LINE_BYTES) {
          return lines; // no event is this short: the chain stops at it, and millions of them would fill the heap
        }
        start = i + 1;
      }
    }
    return lines;
  }

  /** Shorter than any event line, whose {@code prev} and {@code hash} alone take 142 bytes. */
  private static final int MIN_LINE_BYTES = 100;

  private static void closeQuietly(RandomAccessFile ch) {
    if (ch != null) {
      try {
        ch.close();
      } catch (IOException ignored) {
        // already failing with a better message
      }
    }
  }
}
