package dev.taskbound.core.session;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.taskbound.core.Json;
import dev.taskbound.core.policy.EvidenceSigner;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.HexFormat;
import java.util.Optional;

/**
 * The {@link KeyCertifier} of a recovery ({@code taskbound teardown --session} after the session's
 * process died): the org signer the session's effective policy names ({@code evidence.signer}, as
 * written to its private state at open) certifies the new key, with the task, session, trust domain
 * and policy digest of that policy, the lost kid and the chain head the new key continues.
 */
final class RecoveryCertifier {
  private static final ObjectMapper JSON = Json.MAPPER;

  private RecoveryCertifier() {}

  /**
   * The certifier for the session in {@code layout}: {@link KeyCertifier#NONE} when its policy names
   * no signer (or open failed before the policy was written). Reading the host's Vault configuration
   * is deferred to the certification, so that the other teardown steps run whatever it is; a signer
   * that cannot certify then fails the seal (exit 123), which keeps the state for a retry.
   *
   * @throws UncheckedIOException if the effective policy exists but cannot be read
   */
  static KeyCertifier of(SessionLayout layout, SessionRecord record, CredentialSources sources, Clock clock) {
    if (!Files.isRegularFile(layout.effectivePolicy())) {
      return KeyCertifier.NONE;
    }
    byte[] policyBytes;
    JsonNode policy;
    try {
      policyBytes = Files.readAllBytes(layout.effectivePolicy());
      policy = JSON.readTree(policyBytes);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the session's effective policy " + layout.effectivePolicy(), e);
    }
    JsonNode transit = policy.path("evidence").path("signer").path("vault-transit");
    if (!transit.isObject()) {
      return KeyCertifier.NONE;
    }
    EvidenceSigner signer = new EvidenceSigner(transit.path("mount").asText(), transit.path("key").asText());
    String trustDomain = policy.path("trustDomain").asText();
    String digest = digest(policyBytes); // what the policy's digest() is: SHA-256 of its canonical JSON
    return (key, chainHead, lostKid) -> OrgCertifier.of(Optional.of(signer), sources, clock)
        .map(c -> c.certifyRecovery(key, record.taskId(), record.sessionId(), trustDomain, digest, lostKid, chainHead));
  }

  private static String digest(byte[] bytes) {
    try {
      return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }
}
