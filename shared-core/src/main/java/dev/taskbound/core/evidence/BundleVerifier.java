package dev.taskbound.core.evidence;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.text.ParseException;
import java.util.List;
import java.util.Map;

/**
 * Verifies an evidence bundle (zip or directory): every line of {@code events.jsonl} parses, its
 * hash matches its canonical content, its {@code prev} matches the line before, {@code seq} runs
 * 1..n, all lines name one session; then the seal's ES256 signature (key by {@code kid} from the
 * bundle's {@code jwks.json}, or from a trusted JWK Set when given) and that the seal's session,
 * count and final hash match the events. Stops at the first problem and names it.
 *
 * <p>With the bundle's own {@code jwks.json} a valid result proves integrity (nothing was edited,
 * removed, reordered or appended after sealing, unless the whole bundle was re-made with a new key);
 * only a trusted JWK Set proves who sealed it. Stateless and thread-safe.
 */
public final class BundleVerifier {
  private BundleVerifier() {}

  /**
   * Verifies with the key from the bundle's own {@code jwks.json}.
   *
   * @throws EvidenceException if the bundle cannot be read at all (missing, not a zip or
   *     directory); tampering gives an invalid result instead
   */
  public static VerificationResult verify(Path bundleZipOrDirectory) {
    return verify(bundleZipOrDirectory, null);
  }

  /**
   * Verifies, taking the sealing key from {@code trustedJwksJson} when it is not null.
   *
   * @throws EvidenceException if the bundle cannot be read at all, or {@code trustedJwksJson} is not
   *     a JWK Set
   */
  public static VerificationResult verify(Path bundleZipOrDirectory, String trustedJwksJson) {
    JWKSet trusted = null;
    if (trustedJwksJson != null) {
      try {
        trusted = JWKSet.parse(trustedJwksJson);
      } catch (ParseException e) {
        throw new EvidenceException("trusted JWKS is not a JWK Set (expected {\"keys\":[...]}): " + e.getMessage(), e);
      }
    }
    return verify(Bundle.read(bundleZipOrDirectory), trusted);
  }

  private static VerificationResult verify(Map<String, byte[]> files, JWKSet trusted) {
    byte[] events = files.get(Bundle.EVENTS);
    if (events == null) {
      return VerificationResult.bad(0, 0, Bundle.EVENTS + ": missing from the bundle");
    }
    int end = EvidenceLog.lastNewline(events) + 1;
    List<String> lines = EvidenceLog.splitLines(events, end);
    boolean torn = end < events.length;
    long n = lines.size() + (torn ? 1 : 0);
    Chain.Result chain = Chain.check(lines);
    if (!chain.ok()) {
      return VerificationResult.bad(n, chain.badLine(), chain.problem());
    }
    if (torn) {
      return VerificationResult.bad(n, n, "line " + n + ": incomplete line (no trailing newline; torn or truncated?)");
    }

    byte[] sealBytes = files.get(Bundle.SEAL);
    if (sealBytes == null) {
      return VerificationResult.bad(n, 0, "seal: " + Bundle.SEAL + " is missing from the bundle (never sealed, or removed?)");
    }
    JWSObject jws;
    try {
      JsonNode seal = CanonicalJson.MAPPER.readTree(sealBytes);
      JsonNode compact = seal == null ? null : seal.get("jws");
      if (compact == null || !compact.isTextual()) {
        return VerificationResult.bad(n, 0, "seal: " + Bundle.SEAL + " has no jws member");
      }
      jws = JWSObject.parse(compact.asText());
    } catch (IOException | ParseException e) {
      return VerificationResult.bad(n, 0, "seal: " + Bundle.SEAL + " does not parse");
    }
    if (!JWSAlgorithm.ES256.equals(jws.getHeader().getAlgorithm())) {
      return VerificationResult.bad(n, 0, "seal: algorithm " + jws.getHeader().getAlgorithm() + " is not accepted; expected ES256");
    }
    String kid = jws.getHeader().getKeyID();
    if (kid == null || kid.isBlank()) {
      return VerificationResult.bad(n, 0, "seal: JWS header has no kid");
    }
    JWKSet keys = trusted;
    String keySource = "the trusted JWKS";
    if (keys == null) {
      keySource = "the bundle's " + Bundle.JWKS;
      byte[] jwks = files.get(Bundle.JWKS);
      if (jwks == null) {
        return VerificationResult.bad(n, 0, "seal: " + Bundle.JWKS + " is missing from the bundle");
      }
      try {
        keys = JWKSet.parse(new String(jwks, StandardCharsets.UTF_8));
      } catch (ParseException e) {
        return VerificationResult.bad(n, 0, "seal: " + Bundle.JWKS + " is not a JWK Set");
      }
    }
    JWK key = keys.getKeyByKeyId(kid);
    if (key == null) {
      return VerificationResult.bad(n, 0, "seal: kid " + kid + " is not in " + keySource);
    }
    if (!(key instanceof ECKey ec) || !Curve.P_256.equals(ec.getCurve())
        || (key.getKeyUse() != null && !KeyUse.SIGNATURE.equals(key.getKeyUse()))) {
      return VerificationResult.bad(n, 0, "seal: key " + kid + " in " + keySource + " is not an EC P-256 key with use sig");
    }
    try {
      if (!jws.verify(new ECDSAVerifier(ec.toECPublicKey()))) {
        return VerificationResult.bad(n, 0, "seal: bad signature");
      }
    } catch (JOSEException e) {
      return VerificationResult.bad(n, 0, "seal: bad signature");
    }

    JsonNode payload;
    try {
      payload = CanonicalJson.MAPPER.readTree(jws.getPayload().toBytes());
    } catch (IOException e) {
      return VerificationResult.bad(n, 0, "seal: signed payload is not JSON");
    }
    if (payload == null || !payload.path("count").canConvertToLong() || !payload.path("final_hash").isTextual()
        || !payload.path("session").isTextual()) {
      return VerificationResult.bad(n, 0, "seal: signed payload lacks session, count or final_hash");
    }
    if (!kid.equals(payload.path("kid").asText(kid))) {
      return VerificationResult.bad(n, 0, "seal: kid in the signed payload differs from the JWS header");
    }
    String session = payload.get("session").asText();
    if (!chain.events().isEmpty() && !session.equals(chain.events().get(0).session())) {
      return VerificationResult.bad(n, 1, "seal: session " + session + " but the events are from session " + chain.events().get(0).session());
    }
    long count = payload.get("count").asLong();
    if (n > count) {
      return VerificationResult.bad(n, count + 1, "seal: count " + count + " but bundle has " + n + " lines (appended?)");
    }
    if (n < count) {
      return VerificationResult.bad(n, n + 1, "seal: count " + count + " but bundle has " + n + " lines (truncated?)");
    }
    if (!chain.lastHash().equals(payload.get("final_hash").asText())) {
      return VerificationResult.bad(n, n, "seal: final hash does not match line " + n + " (edited and re-chained?)");
    }
    return VerificationResult.ok(n, "ok: " + n + " events, sealed by kid " + kid + (trusted != null ? " (trusted JWKS)" : " (key from the bundle)"));
  }
}
