package dev.taskbound.core.session;

import dev.taskbound.core.egress.Gateway;
import dev.taskbound.core.evidence.EvidenceLog;
import dev.taskbound.core.evidence.SealingKey;
import dev.taskbound.core.sandbox.SandboxProcess;
import java.util.OptionalInt;

/**
 * What a running session holds in memory. When teardown runs in a new process (after the session's
 * own process died) every field is empty and each undo works from the journal's handles alone.
 */
final class LiveResources {
  volatile Gateway gateway;
  volatile dev.taskbound.core.gate.AgentApi agentApi;
  volatile SandboxProcess agent;
  volatile EvidenceLog evidence;
  /** The session's evidence key: in memory only, dropped once the evidence is sealed. */
  volatile SealingKey sealingKey;
  /** Certifies a recovery key with the org signer, when the policy names one. */
  volatile KeyCertifier recoveryCertifier = KeyCertifier.NONE;
  /** Set once {@code session.closed} is in the log: nothing more may be appended before the seal. */
  volatile boolean closedRecorded;
  volatile OptionalInt exitCode = OptionalInt.empty();
  /**
   * How broker steps are revoked in this process; null until a session issues credentials, and then
   * {@link #revocation()} makes the default (no Vault token source) only when a revocation runs: it
   * holds an HTTP client whose selector thread a run without credentials should not pay for.
   */
  volatile dev.taskbound.core.broker.RevocationContext revocation;

  dev.taskbound.core.broker.RevocationContext revocation() {
    if (revocation == null) {
      revocation = dev.taskbound.core.broker.RevocationContext.builder().build();
    }
    return revocation;
  }
  volatile String endReason = "finished by taskbound teardown after the session's process died";
}
