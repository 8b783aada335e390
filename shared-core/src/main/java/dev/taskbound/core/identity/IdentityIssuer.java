package dev.taskbound.core.identity;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.taskbound.core.evidence.PrivateJwkFile;
import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Mints JWT-SVIDs for task sessions with one EC P-256 key (ES256). The key's {@code kid} is its RFC
 * 7638 thumbprint; its public half is published by {@link #jwksJson()} with {@code use: jwt-svid},
 * so any SPIFFE library validates the tokens against that JWK Set as the trust domain's bundle.
 *
 * <p>Instances are immutable and thread-safe. The private key never leaves the instance: a session
 * generates its issuer at open, mints its identity and keeps nothing on disk (issue 14), so neither
 * the agent nor a raw-disk read of the state directory finds it; nothing re-mints after open.
 */
public final class IdentityIssuer {
  /** The JWK {@code use} value SPIFFE bundles give JWT authorities. */
  public static final String JWT_SVID_USE = "jwt-svid";

  static final Duration MAX_LIFETIME = Duration.ofHours(24);
  static final int MAX_AUDIENCE = 256;
  private static final Set<String> RESERVED = Set.of("sub", "aud", "exp", "iat", "jti", "iss", "nbf", "task", "session");
  private static final Pattern CLAIM_NAME = Pattern.compile("[a-z][a-z0-9_]{0,63}");

  private final ECKey key;
  private final Clock clock;
  private final SecureRandom random = new SecureRandom();

  private IdentityIssuer(ECKey key, Clock clock) {
    this.key = key;
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /**
   * Generates a fresh per-session key.
   *
   * @throws IdentityException if the platform cannot generate an EC P-256 key
   */
  public static IdentityIssuer generate(Clock clock) {
    try {
      ECKey generated = new ECKeyGenerator(Curve.P_256).generate();
      return new IdentityIssuer(withIdentityUse(generated), clock);
    } catch (JOSEException e) {
      throw new IdentityException("cannot generate an EC P-256 identity key: " + e.getMessage(), e);
    }
  }

  /**
   * Loads an issuer key a platform team provides as a private EC P-256 JWK with a {@code kid} (its
   * {@code use} is set to {@code jwt-svid}). Sessions never write their own key.
   *
   * @throws IdentityException if the file cannot be read or is not such a key; the message names
   *     the file, never the key
   */
  public static IdentityIssuer load(Path privateJwkFile, Clock clock) {
    try {
      ECKey loaded = PrivateJwkFile.read(privateJwkFile);
      return new IdentityIssuer(new ECKey.Builder(loaded).keyUse(new KeyUse(JWT_SVID_USE)).algorithm(JWSAlgorithm.ES256).build(), clock);
    } catch (IOException e) {
      throw new IdentityException("cannot load identity key: " + e.getMessage(), e);
    }
  }

  private static ECKey withIdentityUse(ECKey generated) throws JOSEException {
    return new ECKey.Builder(generated)
        .keyUse(new KeyUse(JWT_SVID_USE))
        .algorithm(JWSAlgorithm.ES256)
        .keyIDFromThumbprint()
        .build();
  }

  /** The {@code kid} of the signing key (its RFC 7638 thumbprint for generated keys). */
  public String keyId() {
    return key.getKeyID();
  }

  /** The public key as a JWK Set: {@code {"keys":[{kty,crv,x,y,use:"jwt-svid",kid,alg}]}}. */
  public String jwksJson() {
    return new JWKSet(key.toPublicJWK()).toString();
  }

  /**
   * Mints a JWT-SVID: header {@code alg ES256, kid, typ JWT}; claims {@code sub} (the task's SPIFFE
   * ID), {@code aud} (one string), {@code exp} (request's expiry, whole seconds rounded down),
   * {@code iat} (now), {@code jti} (128 random bits), {@code task}, {@code session} and the
   * request's claims.
   *
   * @throws IdentityInputException if the trust domain is invalid; the audience is empty, longer
   *     than 256 characters or holds whitespace or control characters; the expiry is not after now
   *     or more than 24 hours ahead; or a claim is reserved, badly named (accepted: {@code
   *     [a-z][a-z0-9_]*}, at most 64) or not a JSON value
   * @throws IdentityException if signing fails
   */
  public TaskIdentity mint(IdentityRequest request) {
    Objects.requireNonNull(request, "request");
    SpiffeId id = SpiffeId.forTask(request.trustDomain(), request.task(), request.session());
    String audience = checkAudience(request.audience());
    Instant now = clock.instant();
    Instant exp = Instant.ofEpochSecond(request.expiresAt().getEpochSecond());
    if (!exp.isAfter(now)) {
      throw new IdentityInputException(
          "identity expiry " + request.expiresAt() + " is not after now (" + now + "); expected a time up to 24h ahead");
    }
    if (exp.isAfter(now.plus(MAX_LIFETIME))) {
      throw new IdentityInputException(
          "identity expiry " + request.expiresAt() + " is more than 24h after now (" + now + "); at most 24h accepted");
    }
    Map<String, Object> claims = new LinkedHashMap<>();
    claims.put("sub", id.toString());
    claims.put("aud", audience);
    claims.put("exp", exp.getEpochSecond());
    claims.put("iat", now.getEpochSecond());
    claims.put("jti", randomJti());
    claims.put("task", request.task().value());
    claims.put("session", request.session().value());
    request.claims().forEach((name, value) -> claims.put(checkClaimName(name), checkClaimValue(name, value)));

    JWTClaimsSet.Builder set = new JWTClaimsSet.Builder()
        .subject(id.toString())
        .audience(audience)
        .expirationTime(Date.from(exp))
        .issueTime(Date.from(Instant.ofEpochSecond(now.getEpochSecond())))
        .jwtID((String) claims.get("jti"));
    claims.forEach((name, value) -> {
      if (!Set.of("sub", "aud", "exp", "iat", "jti").contains(name)) {
        set.claim(name, value);
      }
    });
    JWSHeader header = new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(keyId()).type(JOSEObjectType.JWT).build();
    SignedJWT jwt = new SignedJWT(header, set.build());
    try {
      jwt.sign(new ECDSASigner(key));
    } catch (JOSEException e) {
      throw new IdentityException("cannot sign the identity token with key " + keyId() + ": " + e.getMessage(), e);
    }
    return new TaskIdentity(id, jwt.serialize(), claims, keyId(), exp);
  }

  private String randomJti() {
    byte[] bytes = new byte[16];
    random.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  static String checkAudience(String audience) {
    String accepted = "accepted: 1 to " + MAX_AUDIENCE + " characters without whitespace";
    if (audience == null || audience.isEmpty()) {
      throw new IdentityInputException("audience is empty; " + accepted);
    }
    if (audience.length() > MAX_AUDIENCE) {
      throw new IdentityInputException(
          "audience '" + TaskId.abbreviate(audience) + "' is " + audience.length() + " characters long; " + accepted);
    }
    for (int i = 0; i < audience.length(); i++) {
      char c = audience.charAt(i);
      if (Character.isWhitespace(c) || Character.isISOControl(c) || Character.isSpaceChar(c)) {
        throw new IdentityInputException(
            "audience '"
                + audience
                + "' has whitespace or a control character ("
                + String.format("U+%04X", (int) c)
                + ") at position "
                + (i + 1)
                + "; "
                + accepted);
      }
    }
    return audience;
  }

  private static String checkClaimName(String name) {
    if (name == null || RESERVED.contains(name)) {
      throw new IdentityInputException(
          "claim '" + name + "' is set by the issuer and may not be given; reserved: " + String.join(", ", RESERVED.stream().sorted().toList()));
    }
    if (!CLAIM_NAME.matcher(name).matches()) {
      throw new IdentityInputException(
          "claim name '" + name + "' is not accepted; expected snake_case: [a-z][a-z0-9_]*, at most 64 characters");
    }
    return name;
  }

  private static Object checkClaimValue(String name, Object value) {
    if (value == null || value instanceof String || value instanceof Boolean || value instanceof Number) {
      return value;
    }
    if (value instanceof List<?> list) {
      list.forEach(v -> checkClaimValue(name, v));
      return java.util.Collections.unmodifiableList(new java.util.ArrayList<>(list));
    }
    if (value instanceof Map<?, ?> map) {
      map.forEach((k, v) -> {
        if (!(k instanceof String)) {
          throw new IdentityInputException("claim '" + name + "' has a non-string key; JSON objects need string keys");
        }
        checkClaimValue(name, v);
      });
      return value;
    }
    throw new IdentityInputException(
        "claim '" + name + "' has a value of type " + value.getClass().getSimpleName() + "; accepted: string, number, boolean, list, map");
  }
}
