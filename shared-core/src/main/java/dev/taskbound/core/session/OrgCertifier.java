package dev.taskbound.core.session;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.taskbound.core.broker.BrokerException;
import dev.taskbound.core.broker.Retry;
import dev.taskbound.core.broker.vault.VaultTransitSigner;
import dev.taskbound.core.evidence.KeyStatement;
import dev.taskbound.core.evidence.SealingKey;
import dev.taskbound.core.policy.EffectivePolicy;
import dev.taskbound.core.policy.EvidenceSigner;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Has the org signer the Ceiling names ({@code evidence.signer}) certify a session's evidence key:
 * the statement ({@link KeyStatement}) binds the key's thumbprint and public JWK to the task,
 * session, trust domain and policy digest until an expiry, and goes into {@code session.opened}
 * (or {@code evidence.rekeyed} for a recovery key) and the bundle.
 */
final class OrgCertifier {
  /** How long after the TTL a seal may still come (teardown, a retried revocation). */
  static final Duration SEAL_GRACE = Duration.ofHours(1);

  private final VaultTransitSigner signer;
  private final Clock clock;

  private OrgCertifier(VaultTransitSigner signer, Clock clock) {
    this.signer = signer;
    this.clock = clock;
  }

  /**
   * The certifier of {@code policy}'s signer, or empty when it names none.
   *
   * @throws BrokerException (exit 122) if the policy names a signer but the host configured no Vault
   *     (TASKBOUND_VAULT_ADDR and its auth)
   */
  static Optional<OrgCertifier> of(Optional<EvidenceSigner> configured, CredentialSources sources, Clock clock) {
    if (configured.isEmpty()) {
      return Optional.empty();
    }
    EvidenceSigner s = configured.get();
    CredentialSources.VaultSource vault = sources.vault().orElseThrow(() -> new BrokerException("vault",
        "certify the evidence key with " + s.name(), -1, "the Ceiling's evidence.signer needs Vault, but the host"
            + " configured none; accepted: TASKBOUND_VAULT_ADDR and TASKBOUND_VAULT_AUTH (token, approle or jwt)"));
    return Optional.of(new OrgCertifier(
        new VaultTransitSigner(vault.connection(), vault.auth(), s.mount(), s.key(), Retry.defaults(), Duration.ofSeconds(10)),
        clock));
  }

  /**
   * The statement certifying {@code key} for the session that opens now.
   *
   * @throws BrokerException (exit 122) if Vault cannot be reached or refuses to sign
   */
  ObjectNode certifyOpening(SealingKey key, String task, String session, EffectivePolicy policy) {
    Instant now = clock.instant();
    Map<String, Object> claims = claims(key, task, session, policy.trustDomain(), policy.digest(), now,
        now.plus(policy.ttl()).plus(SEAL_GRACE));
    return KeyStatement.issue(signer.name(), claims, signer::sign);
  }

  /**
   * The statement certifying a recovery key that continues {@code chainHead} of a session whose
   * key {@code lostKid} was lost.
   */
  ObjectNode certifyRecovery(SealingKey key, String task, String session, String trustDomain, String policyDigest,
      String lostKid, String chainHead) {
    Instant now = clock.instant();
    Map<String, Object> claims = claims(key, task, session, trustDomain, policyDigest, now, now.plus(SEAL_GRACE));
    Map<String, Object> recovery = new LinkedHashMap<>();
    recovery.put("kid", lostKid);
    recovery.put("chain_head", chainHead);
    claims.put("recovery_of", recovery);
    return KeyStatement.issue(signer.name(), claims, signer::sign);
  }

  private static Map<String, Object> claims(SealingKey key, String task, String session, String trustDomain,
      String policyDigest, Instant issued, Instant expires) {
    Map<String, Object> claims = new LinkedHashMap<>();
    claims.put("kid", key.keyId());
    claims.put("jwk", key.publicJwk());
    claims.put("task", task);
    claims.put("session", session);
    claims.put("trust_domain", trustDomain);
    claims.put("policy_digest", policyDigest);
    claims.put("issued_at", issued.toString());
    claims.put("expires_at", expires.toString());
    return claims;
  }
}
