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
    Path base = Addenda.baseOf(bundleZipOrDirectory).orElse(bundleZipOrDirectory);
    List<Path> addenda = base.equals(bundleZipOrDirectory) ? Addenda.of(base) : List.of(bundleZipOrDirectory);
    Map<String, byte[]> files = Bundle.read(base);
    Checked checked = check(files, trusted);
    if (!checked.result().valid() || addenda.isEmpty()) {
      return checked.result();
    }
    StringBuilder message = new StringBuilder(checked.result().message());
    List<String> lines = checked.lines();
    List<EvidenceEvent> all = checked.chain().events();
    for (Path addendum : addenda) {
      String label = "addendum " + addendum.getFileName();
      Map<String, byte[]> more = Bundle.read(addendum);
      byte[] events = more.get(Bundle.EVENTS);
      if (events == null) {
        return VerificationResult.bad(lines.size(), 0, label + ": " + Bundle.EVENTS + " is missing");
      }
      int end = EvidenceLog.lastNewline(events) + 1;
      List<String> combined = new java.util.ArrayList<>(lines);
      combined.addAll(EvidenceLog.splitLines(events, end));
      long n = combined.size() + (end < events.length ? 1 : 0);
      Chain.Result chain = Chain.check(combined);
      if (!chain.ok()) {
        return VerificationResult.bad(n, chain.badLine(), label + ": " + chain.problem());
      }
      if (end < events.length) {
        return VerificationResult.bad(n, n, label + ": line " + n + ": incomplete line (no trailing newline; torn or truncated?)");
      }
      if (combined.size() == lines.size()) {
        return VerificationResult.bad(n, 0, label + ": holds no events");
      }
      Sealed sealed = checkSeal(more.get(Bundle.SEAL), keys(files, trusted), n, chain, checked.kid(), label + ": ");
      if (sealed.problem() != null) {
        return sealed.problem();
      }
      message.append("; ").append(label).append(": ").append(n - lines.size()).append(" more events, resealed by kid ")
          .append(sealed.kid());
      all = chain.events();
    }
    return VerificationResult.ok(all.size(), message.append("; ").append(Addenda.teardownAttempts(all)).toString());
  }

  /** A bundle's verdict with what an addendum continues: its lines, chain and sealing kid. */
  private record Checked(VerificationResult result, List<String> lines, Chain.Result chain, String kid) {}

  private static Checked check(Map<String, byte[]> files, JWKSet trusted) {
    byte[] events = files.get(Bundle.EVENTS);
    if (events == null) {
      return new Checked(VerificationResult.bad(0, 0, Bundle.EVENTS + ": missing from the bundle"), null, null, null);
    }
    int end = EvidenceLog.lastNewline(events) + 1;
    List<String> lines = EvidenceLog.splitLines(events, end);
    boolean torn = end < events.length;
    long n = lines.size() + (torn ? 1 : 0);
    Chain.Result chain = Chain.check(lines);
    if (!chain.ok()) {
      return new Checked(VerificationResult.bad(n, chain.badLine(), chain.problem()), lines, chain, null);
    }
    if (torn) {
      return new Checked(
          VerificationResult.bad(n, n, "line " + n + ": incomplete line (no trailing newline; torn or truncated?)"), lines, chain, null);
    }
    Sealed sealed = checkSeal(files.get(Bundle.SEAL), keys(files, trusted), n, chain, null, "");
    if (sealed.problem() != null) {
      return new Checked(sealed.problem(), lines, chain, null);
    }
    String message = "ok: " + n + " events, sealed by kid " + sealed.kid() + (trusted != null ? " (trusted JWKS)" : " (key from the bundle)");
    return new Checked(VerificationResult.ok(n, message), lines, chain, sealed.kid());
  }

  /** The keys a seal is checked with, and where they came from (for messages). */
  private record Keys(JWKSet set, String source, String problem) {}

  private static Keys keys(Map<String, byte[]> files, JWKSet trusted) {
    if (trusted != null) {
      return new Keys(trusted, "the trusted JWKS", null);
    }
    String source = "the bundle's " + Bundle.JWKS;
    byte[] jwks = files.get(Bundle.JWKS);
    if (jwks == null) {
      return new Keys(null, source, "seal: " + Bundle.JWKS + " is missing from the bundle");
    }
    try {
      return new Keys(JWKSet.parse(new String(jwks, StandardCharsets.UTF_8)), source, null);
    } catch (ParseException e) {
      return new Keys(null, source, "seal: " + Bundle.JWKS + " is not a JWK Set");
    }
  }

  /** A seal's verdict: the problem (null when good) and the kid that signed it. */
  private record Sealed(VerificationResult problem, String kid) {}

  /**
   * Checks a seal over {@code chain} ({@code n} lines): ES256 by a P-256 key of {@code keys}, and
   * the signed session, count and final hash match. {@code requiredKid}, when not null, is the only
   * key accepted (an addendum must be sealed by the key that sealed its bundle). {@code where}
   * prefixes messages.
   */
  private static Sealed checkSeal(byte[] sealBytes, Keys keys, long n, Chain.Result chain, String requiredKid, String where) {
    if (sealBytes == null) {
      return bad(n, 0, where + "seal: " + Bundle.SEAL + " is missing from the bundle (never sealed, or removed?)");
    }
    JWSObject jws;
    try {
      JsonNode seal = CanonicalJson.MAPPER.readTree(sealBytes);
      JsonNode compact = seal == null ? null : seal.get("jws");
      if (compact == null || !compact.isTextual()) {
        return bad(n, 0, where + "seal: " + Bundle.SEAL + " has no jws member");
      }
      jws = JWSObject.parse(compact.asText());
    } catch (IOException | ParseException e) {
      return bad(n, 0, where + "seal: " + Bundle.SEAL + " does not parse");
    }
    if (!JWSAlgorithm.ES256.equals(jws.getHeader().getAlgorithm())) {
      return bad(n, 0, where + "seal: algorithm " + jws.getHeader().getAlgorithm() + " is not accepted; expected ES256");
    }
    String kid = jws.getHeader().getKeyID();
    if (kid == null || kid.isBlank()) {
      return bad(n, 0, where + "seal: JWS header has no kid");
    }
    if (requiredKid != null && !requiredKid.equals(kid)) {
      return bad(n, 0, where + "seal: signed by kid " + kid + ", not by the bundle's sealing key " + requiredKid);
    }
    if (keys.problem() != null) {
      return bad(n, 0, where + keys.problem());
    }
    JWK key = keys.set().getKeyByKeyId(kid);
    if (key == null) {
      return bad(n, 0, where + "seal: kid " + kid + " is not in " + keys.source());
    }
    if (!(key instanceof ECKey ec) || !Curve.P_256.equals(ec.getCurve())
        || (key.getKeyUse() != null && !KeyUse.SIGNATURE.equals(key.getKeyUse()))) {
      return bad(n, 0, where + "seal: key " + kid + " in " + keys.source() + " is not an EC P-256 key with use sig");
    }
    try {
      if (!jws.verify(new ECDSAVerifier(ec.toECPublicKey()))) {
        return bad(n, 0, where + "seal: bad signature");
      }
    } catch (JOSEException e) {
      return bad(n, 0, where + "seal: bad signature");
    }

    JsonNode payload;
    try {
      payload = CanonicalJson.MAPPER.readTree(jws.getPayload().toBytes());
    } catch (IOException e) {
      return bad(n, 0, where + "seal: signed payload is not JSON");
    }
    if (payload == null || !payload.path("count").canConvertToLong() || !payload.path("final_hash").isTextual()
        || !payload.path("session").isTextual()) {
      return bad(n, 0, where + "seal: signed payload lacks session, count or final_hash");
    }
    if (!kid.equals(payload.path("kid").asText(kid))) {
      return bad(n, 0, where + "seal: kid in the signed payload differs from the JWS header");
    }
    String session = payload.get("session").asText();
    if (!chain.events().isEmpty() && !session.equals(chain.events().get(0).session())) {
      return bad(n, 1, where + "seal: session " + session + " but the events are from session " + chain.events().get(0).session());
    }
    long count = payload.get("count").asLong();
    if (n > count) {
      return bad(n, count + 1, where + "seal: count " + count + " but bundle has " + n + " lines (appended?)");
    }
    if (n < count) {
      return bad(n, n + 1, where + "seal: count " + count + " but bundle has " + n + " lines (truncated?)");
    }
    if (!chain.lastHash().equals(payload.get("final_hash").asText())) {
      return bad(n, n, where + "seal: final hash does not match line " + n + " (edited and re-chained?)");
    }
    return new Sealed(null, kid);
  }

  private static Sealed bad(long n, long line, String message) {
    return new Sealed(VerificationResult.bad(n, line, message), null);
  }
}
