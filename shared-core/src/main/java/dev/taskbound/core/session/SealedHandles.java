package dev.taskbound.core.session;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.taskbound.core.Json;
import dev.taskbound.core.broker.UndoRecorder;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The handles of a keyed journal, sealed whole with a {@link JournalKey} on their way to disk and
 * opened on their way to a revocation. A handle is stored as the one field {@value #FIELD}: every
 * field of it (the GitHub token, and the {@code api_url} the token is sent to) is encrypted and
 * authenticated together, bound to the journal's own random id, the entry id and the step, so
 * neither a field edited or added beside it nor an entry moved from another journal or another
 * entry opens (review finding MEDIUM-3: a plain {@code api_url} beside a sealed token sent the token
 * wherever it pointed).
 */
final class SealedHandles {
  /** The one field of a sealed handle. */
  static final String FIELD = "sealed";
  /** What an earlier version stored: the token alone, its neighbours unauthenticated. */
  private static final String OLD_SUFFIX = "_sealed";
  private static final ObjectMapper JSON = Json.MAPPER;

  private SealedHandles() {}

  /**
   * {@code journal}'s recorder, with every handle sealed with {@code key} before it is written,
   * bound to {@code journalId} (the id {@link JournalId} keeps beside the journal).
   */
  static UndoRecorder sealing(TeardownJournal journal, JournalKey key, String journalId) {
    // updateHandle adds fields: seal what the entry holds in all, remembered here with its step.
    Map<Integer, String> steps = new ConcurrentHashMap<>();
    Map<Integer, Map<String, Object>> handles = new ConcurrentHashMap<>();
    return new UndoRecorder() {
      @Override
      public int register(String step, Map<String, ?> handle) {
        synchronized (journal) { // the entry id is part of the seal: no other register in between
          int id = journal.nextId();
          Map<String, Object> all = new LinkedHashMap<>(handle);
          int written = journal.register(step, seal(journalId, id, step, all, key));
          if (written != id) {
            throw new IllegalStateException("journal entry " + written + " was registered as " + id);
          }
          steps.put(id, step);
          handles.put(id, all);
          return id;
        }
      }

      @Override
      public void updateHandle(int id, Map<String, ?> handle) {
        String step = steps.get(id);
        if (step == null) {
          throw new IllegalArgumentException("no journal entry " + id + " was registered through this recorder");
        }
        Map<String, Object> all = handles.get(id);
        synchronized (all) {
          all.putAll(handle);
          journal.updateHandle(id, seal(journalId, id, step, all, key));
        }
      }

      @Override
      public void completed(int id) {
        handles.remove(id);
        journal.asUndoRecorder().completed(id);
      }
    };
  }

  static Map<String, Object> seal(String journalId, int entry, String step, Map<String, ?> handle, JournalKey key) {
    try {
      return Map.of(FIELD, key.seal(JSON.writeValueAsString(handle), context(journalId, entry, step)));
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("a journal handle is JSON", e);
    }
  }

  /**
   * {@code handle} opened, or as it is if it was written without a key.
   *
   * @param journalId the journal's id, empty if it has none (written without a key)
   * @param where the entry, for messages ({@code journal entry 2 (revoke-github-token)})
   * @throws SessionException (exit 123) if the handle is sealed and no key is given, the key does not
   *     open it for this journal, entry and step, a field stands beside the seal, or it holds a token
   *     sealed the old way; the entry stays pending for a retry
   */
  static Map<String, Object> open(Optional<String> journalId, int entry, String step, Map<String, Object> handle,
      Optional<JournalKey> key, String where) {
    for (String field : handle.keySet()) {
      if (field.endsWith(OLD_SUFFIX)) {
        throw SessionException.teardown(where + "'s " + field + " was sealed by an earlier version, which left the"
            + " fields beside it unauthenticated: not sent anywhere (a GitHub token expires within the hour); accepted: a"
            + " journal 'credentials issue' wrote with this version");
      }
    }
    if (!handle.containsKey(FIELD)) {
      if (journalId.isPresent()) {
        throw SessionException.teardown(where + " is not sealed in a journal whose entries all are (the entry was"
            + " altered or added); accepted: the entries 'credentials issue' wrote");
      }
      return handle;
    }
    if (handle.size() != 1) {
      throw SessionException.teardown(where + " has fields beside its seal (the entry was altered); accepted: the"
          + " one field '" + FIELD + "' as 'credentials issue' writes it");
    }
    if (key.isEmpty()) {
      throw SessionException.teardown(where + " is sealed and no journal key was given; accepted: the "
          + JournalKey.VARIABLE + " that 'credentials issue' ran with, in the environment");
    }
    if (journalId.isEmpty()) {
      throw SessionException.teardown(where + " is sealed but the journal has no " + JournalId.FILE + " (removed?);"
          + " accepted: the journal directory as 'credentials issue' wrote it");
    }
    String plain = key.get().open(String.valueOf(handle.get(FIELD)), context(journalId.get(), entry, step), where);
    try {
      return JSON.readValue(plain, new TypeReference<LinkedHashMap<String, Object>>() {});
    } catch (JsonProcessingException e) {
      throw SessionException.teardown(where + " opens to something that is not a handle; accepted: a journal"
          + " 'credentials issue' wrote");
    }
  }

  /** What a seal is bound to: the journal, the entry and its step (NUL-separated: none of them holds one). */
  private static String context(String journalId, int entry, String step) {
    return "taskbound journal v2\0" + journalId + "\0" + entry + "\0" + step;
  }
}
