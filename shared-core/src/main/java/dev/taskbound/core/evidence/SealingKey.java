package dev.taskbound.core.evidence;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;

/**
 * The EC P-256 key that seals a session's evidence (ES256). Its {@code kid} is its RFC 7638
 * thumbprint; its public half is published with {@code use: sig}. Immutable and thread-safe; the
 * private half never leaves the instance (nor the process: there is no way to write or load it).
 */
public final class SealingKey {
  private final ECKey key;

  private SealingKey(ECKey key) {
    this.key = key;
  }

  /**
   * Generates a fresh key.
   *
   * @throws EvidenceException if the platform cannot generate an EC P-256 key
   */
  public static SealingKey generate() {
    try {
      ECKey k = new ECKeyGenerator(Curve.P_256).generate();
      return new SealingKey(
          new ECKey.Builder(k).keyUse(KeyUse.SIGNATURE).algorithm(JWSAlgorithm.ES256).keyIDFromThumbprint().build());
    } catch (JOSEException e) {
      throw new EvidenceException("cannot generate an EC P-256 sealing key: " + e.getMessage(), e);
    }
  }

  /** The key id, as in the seal's JWS header and the JWK Set. */
  public String keyId() {
    return key.getKeyID();
  }

  /** The public key as a JWK Set with one key ({@code use: sig}, {@code alg: ES256}). */
  public String publicJwkSetJson() {
    return new JWKSet(key.toPublicJWK()).toString();
  }

  /** The public key as one JWK's members ({@code kty}, {@code crv}, {@code x}, {@code y}, {@code kid}, ...). */
  public java.util.Map<String, Object> publicJwk() {
    return key.toPublicJWK().toJSONObject();
  }

  ECKey privateKey() {
    return key;
  }

  @Override
  public String toString() {
    return "SealingKey{kid=" + keyId() + "}";
  }
}
