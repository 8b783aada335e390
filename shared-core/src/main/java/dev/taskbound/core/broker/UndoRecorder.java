package dev.taskbound.core.broker;

import java.util.Map;

/**
 * What the session's teardown journal offers a broker. A broker registers the undo of a step
 * <em>before</em> it creates anything, and attaches the handle (accessor, lease id, token) once it
 * exists. Handles hold only what {@link Revocations#revoke} needs; values are strings.
 *
 * <p>Implementations persist each call durably before returning, so a process that dies between
 * {@code register} and the creation leaves an entry whose handle lacks the identifier; {@link
 * Revocations#revoke} treats such an entry as nothing to do.
 */
public interface UndoRecorder {
  /**
   * Records an undo step and returns its id.
   *
   * @param step one of the step names {@link Revocations#handles} accepts
   * @param handle what is known before creation (address, namespace, api_url); never null
   */
  int register(String step, Map<String, ?> handle);

  /** Replaces the handle of the entry {@code id} (adds the accessor, lease id or token). */
  void updateHandle(int id, Map<String, ?> handle);

  /**
   * Records that the undo of entry {@code id} has already run (a caller that revokes what it
   * created before returning, as the org ceiling's read token, or a broker's rollback of a failed
   * issue), so a later replay of the journal does not run it again.
   */
  default void completed(int id) {
    // Nothing by default: a recorder without a journal has nothing to replay.
  }
}
