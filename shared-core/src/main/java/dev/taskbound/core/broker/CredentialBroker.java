package dev.taskbound.core.broker;

import java.util.List;

/** Issues the credentials of one kind for one session. */
public interface CredentialBroker {
  /**
   * Issues every credential this broker is configured for. Each creation's undo is registered
   * with {@code undo} before the creation and completed after it.
   *
   * <p>If issuing fails part-way, the broker revokes what it already issued before throwing (its
   * journal entries stay; replaying them is a no-op because every revocation is idempotent).
   *
   * @return the issued credentials, in issue order; never null
   * @throws BrokerException if a credential could not be issued (after bounded retries of
   *     transient faults); the message names broker, operation and HTTP status, never a secret
   */
  List<IssuedCredential> issue(UndoRecorder undo);
}
