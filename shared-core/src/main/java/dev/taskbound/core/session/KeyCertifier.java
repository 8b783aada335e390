package dev.taskbound.core.session;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.taskbound.core.evidence.SealingKey;
import java.util.Optional;

/**
 * Has the org signer certify a recovery key: the statement that goes into {@code
 * evidence.rekeyed}, or empty when the policy names no signer.
 */
@FunctionalInterface
interface KeyCertifier {
  KeyCertifier NONE = (key, chainHead, lostKid) -> Optional.empty();

  /**
   * @throws dev.taskbound.core.TaskboundException if a configured signer cannot be reached; the
   *     recovery then fails, and can be retried
   */
  Optional<ObjectNode> certify(SealingKey key, String chainHead, String lostKid);
}
