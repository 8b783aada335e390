package dev.taskbound.core.evidence;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The EC P-256 key that seals a session's evidence (ES256). Its {@code kid} is its RFC 7638
 * thumbprint; its public half is published with {@code use: sig}. Immutable and thread-safe; the
 * private half leaves the instance only through {@link #writeTo}.
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

  /**
   * Loads a key written by {@link #writeTo}.
   *
   * @throws EvidenceException if the file cannot be read or is not a private EC P-256 JWK with a
   *     kid; the message names the file, never the key
   */
  public static SealingKey load(Path file) {
    try {
      ECKey k = PrivateJwkFile.read(file);
      return new SealingKey(new ECKey.Builder(k).keyUse(KeyUse.SIGNATURE).algorithm(JWSAlgorithm.ES256).build());
    } catch (IOException e) {
      throw new EvidenceException("cannot load sealing key: " + e.getMessage(), e);
    }
  }

  /**
   * Writes the private key as a JWK, mode 0600, created atomically; replaces an existing file.
   *
   * @throws EvidenceException if the file cannot be written or the file system lacks POSIX
   *     permissions
   */
  public void writeTo(Path file) {
    try {
      PrivateJwkFile.write(file, key);
    } catch (IOException e) {
      throw new EvidenceException("cannot write sealing key to " + file + ": " + e.getMessage(), e);
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
