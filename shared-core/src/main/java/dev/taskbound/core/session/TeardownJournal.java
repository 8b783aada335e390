package dev.taskbound.core.session;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.taskbound.core.Json;
import dev.taskbound.core.broker.UndoRecorder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The durable list of what a session created and how to undo it. Every step that creates something
 * first {@link #register registers} its undo here (flushed to disk before the thing exists), may
 * later {@link #updateHandle attach} the handle it learnt (a pid, an accessor), and is {@link
 * #complete completed} once the undo has run. A new process can {@link #read} the file and finish
 * what a killed one left: {@link #pending()} lists the undos still to run, newest first.
 *
 * <p>The file is JSON Lines, mode 0600, holding handles rather than secrets. Writes are serialised;
 * instances are thread-safe.
 */
public final class TeardownJournal implements AutoCloseable {
  /** One registered undo and what is known of it. */
  public record Entry(int id, String step, ObjectNode handle, String outcome) {
    public boolean done() {
      return "ok".equals(outcome);
    }
  }

  private static final ObjectMapper JSON = Json.MAPPER;

  private final Path file;
  /**
   * Written through the stream, never the channel: a channel is closed for good when a thread is
   * interrupted in its I/O, and an agent API worker stopped by the teardown (shutdownNow) may be
   * writing a refresh's entry; every later write of the teardown then failed.
   */
  private final java.io.FileOutputStream out;
  /** Held for the lock only (no I/O on it). */
  private final FileChannel channel;
  private final Map<Integer, Entry> entries;
  private final FileLock lock;

  private TeardownJournal(Path file, java.io.FileOutputStream out, Map<Integer, Entry> entries) throws IOException {
    this.file = file;
    this.out = out;
    this.channel = out.getChannel();
    this.entries = entries;
    // One owner at a time: the live session, or a later `taskbound teardown` once that process is gone.
    this.lock = tryLock(channel);
    if (lock == null) {
      out.close();
      throw SessionException.teardown(
          "the session of journal " + file + " is still running in another taskbound process; stop that process"
              + " (SIGTERM runs its teardown) or wait for it to end");
    }
  }

  /** Creates a new, empty journal; fails if the file exists. */
  public static TeardownJournal create(Path file) {
    try {
      Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      return new TeardownJournal(file, openAppend(file), new LinkedHashMap<>());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create teardown journal " + file, e);
    }
  }

  /**
   * Reads an existing journal to finish it. A torn last line (the writer died mid-write) is
   * ignored: its step was never acted on.
   */
  public static TeardownJournal read(Path file) {
    Map<Integer, Entry> entries = new LinkedHashMap<>();
    try {
      for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
        if (line.isBlank()) {
          continue;
        }
        JsonNode node;
        try {
          node = JSON.readTree(line);
        } catch (IOException torn) {
          continue;
        }
        apply(entries, node);
      }
      return new TeardownJournal(file, openAppend(file), entries);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read teardown journal " + file, e);
    }
  }

  private static FileLock tryLock(FileChannel channel) throws IOException {
    try {
      return channel.tryLock();
    } catch (java.nio.channels.OverlappingFileLockException heldInThisJvm) {
      return null;
    }
  }

  private static java.io.FileOutputStream openAppend(Path file) throws IOException {
    // a regular file, not a link: FileOutputStream follows links and creates what is missing
    if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
      throw new java.nio.file.NoSuchFileException(file.toString(), null, "no regular file (a link is not followed)");
    }
    return new java.io.FileOutputStream(file.toFile(), true);
  }

  private static void apply(Map<Integer, Entry> entries, JsonNode node) {
    int id = node.path("id").asInt();
    String op = node.path("op").asText();
    Entry old = entries.get(id);
    switch (op) {
      case "register":
        entries.put(id, new Entry(id, node.path("step").asText(), handleOf(node), null));
        break;
      case "handle":
        if (old != null) {
          ObjectNode merged = old.handle().deepCopy();
          merged.setAll(handleOf(node));
          entries.put(id, new Entry(id, old.step(), merged, old.outcome()));
        }
        break;
      case "result":
        if (old != null) {
          entries.put(id, new Entry(id, old.step(), old.handle(), node.path("outcome").asText()));
        }
        break;
      default:
        // Unknown operations come from a newer version; they carry nothing this one can undo.
        break;
    }
  }

  private static ObjectNode handleOf(JsonNode node) {
    JsonNode h = node.get("handle");
    return h instanceof ObjectNode ? (ObjectNode) h.deepCopy() : JSON.createObjectNode();
  }

  /**
   * Records that {@code step} is about to create something, with what is known of its handle so
   * far. Returns the entry id. The record is on disk when this returns.
   */
  public synchronized int register(String step, Map<String, ?> handle) {
    Objects.requireNonNull(step, "step");
    int id = entries.size() + 1;
    ObjectNode line = JSON.createObjectNode().put("op", "register").put("id", id).put("step", step);
    line.set("handle", JSON.valueToTree(handle));
    write(line);
    return id;
  }

  /** The id the next {@link #register} returns (for a seal bound to it; hold this journal's lock across both). */
  synchronized int nextId() {
    return entries.size() + 1;
  }

  /** Adds fields to an entry's handle (for instance the pid once a process exists). */
  public synchronized void updateHandle(int id, Map<String, ?> handle) {
    ObjectNode line = JSON.createObjectNode().put("op", "handle").put("id", id);
    line.set("handle", JSON.valueToTree(handle));
    write(line);
  }

  /**
   * This journal as a broker's undo recorder: each creation registered before it happens, its handle
   * completed as it becomes known, and an undo the broker ran itself marked done.
   */
  public UndoRecorder asUndoRecorder() {
    return new UndoRecorder() {
      @Override
      public int register(String step, Map<String, ?> handle) {
        return TeardownJournal.this.register(step, handle);
      }

      @Override
      public void updateHandle(int id, Map<String, ?> handle) {
        TeardownJournal.this.updateHandle(id, handle);
      }

      @Override
      public void completed(int id) {
        complete(id, "ok", 1, null);
      }
    };
  }

  /** Records the outcome of running an entry's undo ({@code ok} or {@code failed}). */
  public synchronized void complete(int id, String outcome, int attempts, String error) {
    ObjectNode line =
        JSON.createObjectNode().put("op", "result").put("id", id).put("outcome", outcome).put("attempts", attempts);
    if (error != null) {
      line.put("error", error);
    }
    write(line);
  }

  /** The undos not yet completed successfully, newest first: the order teardown runs them in. */
  public synchronized List<Entry> pending() {
    List<Entry> result = new ArrayList<>();
    for (Entry e : entries.values()) {
      if (!e.done()) {
        result.add(0, e);
      }
    }
    return result;
  }

  /** Every entry, oldest first. */
  public synchronized List<Entry> entries() {
    return List.copyOf(entries.values());
  }

  public Path file() {
    return file;
  }

  private void write(ObjectNode line) {
    try {
      out.write((JSON.writeValueAsString(line) + "\n").getBytes(StandardCharsets.UTF_8));
      // The undo must be durable before the thing it undoes exists.
      out.getFD().sync();
      apply(entries, line);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write teardown journal " + file, e);
    }
  }

  @Override
  public synchronized void close() {
    try {
      if (lock.isValid()) {
        lock.release();
      }
      out.close();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot close teardown journal " + file, e);
    }
  }
}
