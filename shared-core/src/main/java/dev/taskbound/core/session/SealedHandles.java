package dev.taskbound.core.session;

import dev.taskbound.core.broker.UndoRecorder;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The secret fields of a journal entry's handle, sealed with a {@link JournalKey} on their way to
 * disk and opened on their way to a revocation. A sealed field {@code F} is stored as {@code
 * F_sealed}, bound to the entry's step and {@code F}; every other field stays as it is (Vault
 * accessors and lease ids revoke nothing without a Vault login).
 */
final class SealedHandles {
  /** The handle fields that are secrets: a GitHub installation token, revoked only with itself. */
  private static final Set<String> SECRET_FIELDS = Set.of("token");
  private static final String SUFFIX = "_sealed";

  private SealedHandles() {}

  /** {@code journal}, with every secret field of every handle sealed with {@code key} before it is written. */
  static UndoRecorder sealing(UndoRecorder journal, JournalKey key) {
    // The seal binds each value to its step; updateHandle names only the entry, so remember each entry's step.
    Map<Integer, String> steps = new java.util.concurrent.ConcurrentHashMap<>();
    return new UndoRecorder() {
      @Override
      public int register(String step, Map<String, ?> handle) {
        int id = journal.register(step, seal(step, handle, key));
        steps.put(id, step);
        return id;
      }

      @Override
      public void updateHandle(int id, Map<String, ?> handle) {
        String step = steps.get(id);
        if (step == null) {
          throw new IllegalArgumentException("no journal entry " + id + " was registered through this recorder");
        }
        journal.updateHandle(id, seal(step, handle, key));
      }

      @Override
      public void completed(int id) {
        journal.completed(id);
      }
    };
  }

  static Map<String, Object> seal(String step, Map<String, ?> handle, JournalKey key) {
    Map<String, Object> sealed = new LinkedHashMap<>();
    handle.forEach((field, value) -> {
      if (SECRET_FIELDS.contains(field) && value != null) {
        sealed.put(field + SUFFIX, key.seal(value.toString(), context(step, field)));
      } else {
        sealed.put(field, value);
      }
    });
    return sealed;
  }

  /**
   * {@code handle} with its sealed fields opened.
   *
   * @param where the entry, for messages ({@code journal entry 2 (revoke-github-token)})
   * @throws SessionException (exit 123) if a field is sealed and no key is given, or the key does not
   *     open it; the entry stays pending for a retry with the right key
   */
  static Map<String, Object> open(String step, Map<String, Object> handle, Optional<JournalKey> key, String where) {
    Map<String, Object> opened = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : handle.entrySet()) {
      String field = e.getKey();
      if (!field.endsWith(SUFFIX) || e.getValue() == null) {
        opened.put(field, e.getValue());
        continue;
      }
      String plain = field.substring(0, field.length() - SUFFIX.length());
      String whereField = where + "'s " + plain;
      if (key.isEmpty()) {
        throw SessionException.teardown(whereField + " is sealed and no journal key was given; accepted: the "
            + JournalKey.VARIABLE + " that 'credentials issue' ran with, in the environment");
      }
      opened.put(plain, key.get().open(e.getValue().toString(), context(step, plain), whereField));
    }
    return opened;
  }

  private static String context(String step, String field) {
    return "taskbound journal/" + step + "/" + field;
  }
}
