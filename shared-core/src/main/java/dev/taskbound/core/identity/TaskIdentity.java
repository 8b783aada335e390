package dev.taskbound.core.identity;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.taskbound.core.Json;
import dev.taskbound.core.evidence.Fingerprint;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A minted task identity: the JWT-SVID and what it says. The token is a bearer secret: hand it only
 * to the agent's environment or a broker; log {@link #fingerprint()} instead. {@link #toString()}
 * never contains the token. Immutable and thread-safe.
 */
public final class TaskIdentity {
  private final SpiffeId spiffeId;
  private final String token;
  private final Map<String, Object> claims;
  private final String keyId;
  private final Instant expiresAt;

  TaskIdentity(SpiffeId spiffeId, String token, Map<String, Object> claims, String keyId, Instant expiresAt) {
    this.spiffeId = Objects.requireNonNull(spiffeId);
    this.token = Objects.requireNonNull(token);
    this.claims = Collections.unmodifiableMap(new LinkedHashMap<>(claims));
    this.keyId = Objects.requireNonNull(keyId);
    this.expiresAt = Objects.requireNonNull(expiresAt);
  }

  /** The SPIFFE ID in the {@code sub} claim. */
  public SpiffeId spiffeId() {
    return spiffeId;
  }

  /** The compact JWT. A bearer secret: never log or persist it outside the agent's environment. */
  public String token() {
    return token;
  }

  /**
   * Every claim of the token, in issue order: {@code sub}, {@code aud} (a string), {@code exp} and
   * {@code iat} (epoch seconds), {@code jti}, {@code task}, {@code session}, then the request's
   * claims. Not secret: this is what {@code identity.json} in the evidence bundle holds.
   */
  public Map<String, Object> claims() {
    return claims;
  }

  /** {@link #claims()} as a JSON object (pretty-printed, stable order). */
  public String claimsJson() {
    try {
      return Json.PRETTY.writeValueAsString(claims);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("claims were validated as JSON values", e);
    }
  }

  /** The {@code kid} of the signing key, as in the token header and the JWK Set. */
  public String keyId() {
    return keyId;
  }

  /** The {@code exp} claim (whole seconds). */
  public Instant expiresAt() {
    return expiresAt;
  }

  /** {@link Fingerprint#of} the token: how evidence and logs name it. */
  public String fingerprint() {
    return Fingerprint.of(token);
  }

  @Override
  public String toString() {
    return "TaskIdentity{" + spiffeId + ", kid=" + keyId + ", exp=" + expiresAt + ", token=" + fingerprint() + "}";
  }
}
