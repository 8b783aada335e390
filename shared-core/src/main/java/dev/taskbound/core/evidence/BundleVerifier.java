package dev.taskbound.core.evidence;

import dev.taskbound.core.SafeText;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
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
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Verifies an evidence bundle (zip or directory): every line of {@code events.jsonl} parses, its
 * hash matches its canonical content, its {@code prev} matches the line before, {@code seq} runs
 * 1..n, all lines name one session; then the seal's ES256 signature (key by {@code kid} from the
 * bundle's {@code jwks.json}, or from a trusted JWK Set when given; the key's RFC 7638 thumbprint
 * must be its kid) and that the seal's session, count and final hash match the events. Stops at
 * the first problem and names it.
 *
 * <p>Then the signer, against the {@link TrustAnchors} given: with none, the result is valid but
 * its signer is NOT verified (anyone who holds the bundle can re-seal it with a key of their own).
 * Every anchor given must vouch for the sealing key; one that contradicts it makes the result
 * invalid. A seal by a recovery key (the session's key was lost with its process, see {@code
 * evidence.rekeyed}) is checked with the key that event certifies; only the org signer can vouch
 * for it. Stateless and thread-safe.
 */
public final class BundleVerifier {
  static final String REKEYED = "evidence.rekeyed";
  /** A sealing key's id: its RFC 7638 thumbprint, SHA-256 in unpadded base64url. */
  private static final java.util.regex.Pattern KEY_ID = java.util.regex.Pattern.compile("[A-Za-z0-9_-]{43}");
  /** A session id's characters, as every version wrote them. */
  private static final java.util.regex.Pattern NAME = java.util.regex.Pattern.compile("[A-Za-z0-9._-]{1,128}");
  private static final String KEY_ID_FORM = "43 base64url characters, the key's RFC 7638 thumbprint";
  /**
   * Reads seal.json: a key given twice (Jackson keeps the last, a reader who looks may see the first)
   * or text after the object would let its readable copy say other than the signed payload.
   */
  private static final ObjectReader STRICT_JSON = CanonicalJson.MAPPER.reader()
      .with(StreamReadFeature.STRICT_DUPLICATE_DETECTION).with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private BundleVerifier() {}

  /**
   * Verifies with the key from the bundle's own {@code jwks.json} and no trust anchor.
   *
   * @throws EvidenceException if the bundle cannot be read at all (missing, not a zip or
   *     directory); tampering gives an invalid result instead
   */
  public static VerificationResult verify(Path bundleZipOrDirectory) {
    return verify(bundleZipOrDirectory, TrustAnchors.none());
  }

  /**
   * Verifies, taking the sealing key from {@code trustedJwksJson} when it is not null.
   *
   * @throws EvidenceException if the bundle cannot be read at all, or {@code trustedJwksJson} is not
   *     a JWK Set
   */
  public static VerificationResult verify(Path bundleZipOrDirectory, String trustedJwksJson) {
    return verify(bundleZipOrDirectory, trustedJwksJson == null ? TrustAnchors.none() : TrustAnchors.none().withJwks(trustedJwksJson));
  }

  /**
   * Verifies integrity, then the signer against {@code anchors}.
   *
   * @throws EvidenceException if the bundle cannot be read at all
   */
  public static VerificationResult verify(Path bundleZipOrDirectory, TrustAnchors anchors) {
    JWKSet trusted = anchors.jwks().orElse(null);
    Path base = Addenda.baseOf(bundleZipOrDirectory).orElse(bundleZipOrDirectory);
    List<Path> addenda = base.equals(bundleZipOrDirectory) ? Addenda.of(base) : List.of(bundleZipOrDirectory);
    Bundle.Contents files = Bundle.read(base);
    Checked checked = check(files, trusted);
    if (!checked.result().valid()) {
      return checked.result();
    }
    Optional<String> expected = anchors.expectedSession();
    String session = sessionOf(checked.chain().events());
    if (expected.isPresent() && !expected.get().equals(session)) {
      return VerificationResult.bad(checked.result().events(), 0, "the bundle is of session " + SafeText.value(session) + " (task "
          + task(checked.chain().events()) + "), not of the expected session " + expected.get() + " (--expect-session)");
    }
    Signer signer = signer(anchors, checked.chain().events(), checked.sealed(), "");
    if (signer.rejected() != null) {
      return signer.rejected();
    }
    if (addenda.isEmpty()) {
      return checked.result().withSigner(signer.verified(), signer.text());
    }
    StringBuilder message = new StringBuilder(checked.result().message());
    List<String> lines = checked.lines();
    List<EvidenceEvent> all = checked.chain().events();
    for (Path addendum : addenda) {
      String label = "addendum " + addendum.getFileName();
      Bundle.Contents more = Bundle.read(addendum);
      byte[] events = more.get(Bundle.EVENTS);
      if (events == null) {
        return VerificationResult.bad(lines.size(), 0, label + ": " + Bundle.EVENTS + " is missing");
      }
      int end = EvidenceLog.lastNewline(events) + 1;
      List<String> combined = new java.util.ArrayList<>(lines);
      combined.addAll(EvidenceLog.splitLines(events, end));
      long n = combined.size() + (end < events.length ? 1 : 0);
      Chain.Result chain = Chain.checkReceived(combined);
      if (!chain.ok()) {
        return VerificationResult.bad(n, chain.badLine(), label + ": " + chain.problem());
      }
      if (end < events.length) {
        return VerificationResult.bad(n, n, label + ": line " + n + ": incomplete line (no trailing newline; torn or truncated?)");
      }
      if (combined.size() == lines.size()) {
        return VerificationResult.bad(n, 0, label + ": holds no events");
      }
      Sealed sealed = checkSeal(more, keys(files, trusted), n, chain, checked.sealed().kid(), label + ": ");
      if (sealed.problem() != null) {
        return sealed.problem();
      }
      Signer more2 = signer(anchors, chain.events(), sealed, label + ": ");
      if (more2.rejected() != null) {
        return more2.rejected();
      }
      signer = signer.and(more2, label);
      message.append("; ").append(label).append(": ").append(n - lines.size()).append(" more events, ")
          .append(sealed.rekey() != null ? "resealed by recovery key " : "resealed by kid ").append(sealed.kid());
      all = chain.events();
    }
    return VerificationResult.ok(all.size(), message.append("; ").append(Addenda.teardownAttempts(all)).toString())
        .withSigner(signer.verified(), signer.text());
  }

  /** A bundle's verdict with what an addendum continues: its lines, chain and seal. */
  private record Checked(VerificationResult result, List<String> lines, Chain.Result chain, Sealed sealed) {}

  private static Checked check(Bundle.Contents files, JWKSet trusted) {
    byte[] events = files.get(Bundle.EVENTS);
    if (events == null) {
      return new Checked(VerificationResult.bad(0, 0, Bundle.EVENTS + ": missing from the bundle"), null, null, null);
    }
    int end = EvidenceLog.lastNewline(events) + 1;
    List<String> lines = EvidenceLog.splitLines(events, end);
    boolean torn = end < events.length;
    long n = lines.size() + (torn ? 1 : 0);
    Chain.Result chain = Chain.checkReceived(lines);
    if (!chain.ok()) {
      return new Checked(VerificationResult.bad(n, chain.badLine(), chain.problem()), lines, chain, null);
    }
    if (torn) {
      return new Checked(
          VerificationResult.bad(n, n, "line " + n + ": incomplete line (no trailing newline; torn or truncated?)"), lines, chain, null);
    }
    Sealed sealed = checkSeal(files, keys(files, trusted), n, chain, null, "");
    if (sealed.problem() != null) {
      return new Checked(sealed.problem(), lines, chain, null);
    }
    String misnamed = misnamed(chain.events());
    if (misnamed != null) {
      return new Checked(VerificationResult.bad(n, 1, misnamed), lines, chain, null);
    }
    String message = sealed.rekey() != null
        ? "ok: " + n + " events, resealed by recovery key " + sealed.kid() + " (" + recoveryNote(sealed.rekey()) + ")"
        : "ok: " + n + " events, sealed by kid " + sealed.kid() + (trusted != null ? " (trusted JWKS)" : " (key from the bundle)");
    return new Checked(VerificationResult.ok(n, message + sealed.membersNote() + "; session "
        + SafeText.value(sessionOf(chain.events())) + ", task " + task(chain.events())), lines, chain, sealed);
  }

  /**
   * Why the chain's session or task is not a name Taskbound gives (a session id, a task id), or null.
   * The ok line prints both: a sealed bundle whose key is its own could otherwise put text of its
   * choosing there ("signer verified by ...") while stderr and the exit code said otherwise.
   */
  private static String misnamed(List<EvidenceEvent> events) {
    String session = sessionOf(events);
    if (!events.isEmpty() && !NAME.matcher(session).matches()) {
      return "the chain's session " + SafeText.quoted(session) + " is not a name Taskbound gives (" + NAME.pattern() + ")";
    }
    try {
      for (EvidenceEvent e : events) {
        if (e.type().equals("session.opened")) {
          dev.taskbound.core.identity.TaskId.parse(e.data().path("task").asText(""));
        }
      }
      return null;
    } catch (dev.taskbound.core.TaskboundException e) {
      return "the chain's task is not a name Taskbound gives: " + e.getMessage();
    }
  }

  /** The session every event of the chain names ({@link Chain#check} holds them to one), {@code ?} for none. */
  private static String sessionOf(List<EvidenceEvent> events) {
    return events.isEmpty() ? "?" : events.get(0).session();
  }

  /** The task {@code session.opened} names, {@code ?} when the chain has none (a session that failed to open). */
  private static String task(List<EvidenceEvent> events) {
    return events.stream().filter(e -> e.type().equals("session.opened")).findFirst()
        .map(e -> SafeText.value(e.data().path("task").asText("?"))).orElse("?");
  }

  /** Whether a recovery names no lost key (none, or null as versions before 2026-12-07 wrote it). */
  private static boolean namesNoKey(EvidenceEvent rekey) {
    return rekey.data().path("previous_kid").isMissingNode() || rekey.data().path("previous_kid").isNull();
  }

  private static String recoveryNote(EvidenceEvent rekey) {
    return (namesNoKey(rekey) ? "the session recorded no key before its process died"
        : "the session's key " + rekey.data().path("previous_kid").asText() + " was lost") + "; linked at line "
        + (rekey.seq() - 1) + " to its chain head " + rekey.prev();
  }

  /** The keys a seal is checked with, and where they came from (for messages). */
  private record Keys(JWKSet set, String source, String problem) {}

  private static Keys keys(Bundle.Contents files, JWKSet trusted) {
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

  /**
   * A seal's verdict: the problem (null when good), the kid that signed it, when, and the {@code
   * evidence.rekeyed} event that certifies it when it is a recovery key.
   */
  private record Sealed(VerificationResult problem, String kid, Instant sealedAt, EvidenceEvent rekey, boolean membersSealed) {
    /** Said of a valid seal from before seals covered the other members (format v1). */
    String membersNote() {
      return membersSealed ? "" : "; its other members (summary, report, policy, teardown) are outside the seal (seal format v1)";
    }
  }

  /**
   * Checks a seal over {@code chain} ({@code n} lines): ES256 by a P-256 key of {@code keys} (or, for
   * a kid an {@code evidence.rekeyed} event of the chain names, the key it names), and the signed
   * session, count and final hash match. {@code requiredKid}, when not null, is the only key
   * accepted besides a recovery key (an addendum is sealed by its bundle's key or a recovery key).
   * {@code where} prefixes messages.
   */
  private static Sealed checkSeal(Bundle.Contents bundle, Keys keys, long n, Chain.Result chain, String requiredKid, String where) {
    byte[] sealBytes = bundle.get(Bundle.SEAL);
    if (sealBytes == null) {
      return bad(n, 0, where + "seal: " + Bundle.SEAL + " is missing from the bundle (never sealed, or removed?)");
    }
    JWSObject jws;
    JsonNode seal;
    try {
      seal = STRICT_JSON.readTree(sealBytes);
      JsonNode compact = seal == null ? null : seal.get("jws");
      if (compact == null || !compact.isTextual()) {
        return bad(n, 0, where + "seal: " + Bundle.SEAL + " has no jws member");
      }
      jws = JWSObject.parse(compact.asText());
    } catch (IOException e) {
      return bad(n, 0, where + "seal: " + Bundle.SEAL + " is not one JSON object with each key given once"
          + " (a repeated key, text after the object, or no JSON: edited?)");
    } catch (ParseException e) {
      return bad(n, 0, where + "seal: " + Bundle.SEAL + " does not parse");
    }
    if (!JWSAlgorithm.ES256.equals(jws.getHeader().getAlgorithm())) {
      return bad(n, 0, where + "seal: algorithm " + jws.getHeader().getAlgorithm() + " is not accepted; expected ES256");
    }
    String kid = jws.getHeader().getKeyID();
    if (kid == null || kid.isBlank()) {
      return bad(n, 0, where + "seal: JWS header has no kid");
    }
    if (!KEY_ID.matcher(kid).matches()) { // it is printed, and the key may be the bundle's own: no text of its choosing
      return bad(n, 0, where + "seal: kid " + SafeText.value(kid) + " is not a key id (" + KEY_ID_FORM + ")");
    }
    EvidenceEvent rekey = rekeyFor(chain.events(), kid);
    boolean opened = chain.events().stream().anyMatch(e -> e.type().equals("session.opened"));
    // a recovery names the key it replaces; none only if the session died before session.opened recorded one
    boolean namesNone = rekey != null && !opened && namesNoKey(rekey);
    if (rekey != null && !namesNone && !KEY_ID.matcher(rekey.data().path("previous_kid").asText("")).matches()) {
      return bad(n, rekey.seq(), where + REKEYED + " at line " + rekey.seq() + (namesNoKey(rekey)
          ? ": names no previous_kid, but the chain's session.opened recorded the session's key"
          : ": previous_kid " + SafeText.value(rekey.data().path("previous_kid").asText("")) + " is not a key id (" + KEY_ID_FORM + ")"));
    }
    if (requiredKid != null && !requiredKid.equals(kid) && rekey == null) {
      return bad(n, 0, where + "seal: signed by kid " + kid + ", not by the bundle's sealing key " + requiredKid
          + " nor by a recovery key an evidence.rekeyed event names");
    }
    JWK key;
    String source;
    if (rekey != null) {
      source = "the evidence.rekeyed event at line " + rekey.seq();
      try {
        key = JWK.parse(CanonicalJson.MAPPER.writeValueAsString(rekey.data().path("jwk")));
      } catch (IOException | ParseException e) {
        return bad(n, rekey.seq(), where + "seal: " + source + " holds no JWK");
      }
    } else {
      if (keys.problem() != null) {
        return bad(n, 0, where + keys.problem());
      }
      source = keys.source();
      key = keys.set().getKeyByKeyId(kid);
      if (key == null) {
        return bad(n, 0, where + "seal: kid " + kid + " is not in " + keys.source());
      }
    }
    if (!(key instanceof ECKey ec) || !Curve.P_256.equals(ec.getCurve())
        || (key.getKeyUse() != null && !KeyUse.SIGNATURE.equals(key.getKeyUse()))) {
      return bad(n, 0, where + "seal: key " + kid + " in " + source + " is not an EC P-256 key with use sig");
    }
    try {
      if (!kid.equals(ec.computeThumbprint().toString())) {
        return bad(n, 0, where + "seal: key labelled kid " + kid + " in " + source + " is not the key with that thumbprint");
      }
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
    JsonNode members = payload.get("members");
    String problem = readableCopyProblem(seal, payload);
    if (problem == null && members != null) {
      problem = membersProblem(members, bundle.digests());
    }
    if (problem != null) {
      return bad(n, 0, where + "seal: " + problem);
    }
    return new Sealed(null, kid, KeyStatement.instant(payload, "sealed_at"), rekey, members != null);
  }

  /**
   * Why seal.json's readable fields are not exactly the signed payload's (a reader who looks there
   * must not be told another count, time or digest), or null when they are.
   */
  private static String readableCopyProblem(JsonNode seal, JsonNode payload) {
    String format = payload.has("members") ? Sealer.FORMAT : "taskbound-seal/v1";
    if (!format.equals(seal.path("format").asText(null))) {
      return Bundle.SEAL + "'s format is not " + format + ", which its signed payload is";
    }
    for (Map.Entry<String, JsonNode> field : seal.properties()) {
      String name = field.getKey();
      if (!name.equals("format") && !name.equals("jws") && !field.getValue().equals(payload.get(name))) {
        return Bundle.SEAL + "'s readable " + SafeText.quoted(name) + " differs from its signed payload";
      }
    }
    for (Map.Entry<String, JsonNode> field : payload.properties()) {
      if (!seal.has(field.getKey())) {
        return Bundle.SEAL + " lacks the readable " + SafeText.quoted(field.getKey()) + " of its signed payload";
      }
    }
    return null;
  }

  /**
   * Why the members present do not match the digests the seal signed, or null when they do: each
   * signed member present with its digest, and no member present that the seal does not name.
   */
  private static String membersProblem(JsonNode signed, Map<String, String> present) {
    if (!signed.isObject()) {
      return "the signed members are not an object";
    }
    for (Map.Entry<String, JsonNode> member : signed.properties()) {
      String name = member.getKey();
      String digest = present.get(name);
      if (digest == null) {
        return "member " + SafeText.quoted(name) + " is in the seal but missing from the bundle (removed after sealing?)";
      }
      if (!digest.equals(member.getValue().asText(null))) {
        return "member " + name + " does not match its digest in the seal (edited after sealing?)";
      }
    }
    for (String name : present.keySet()) {
      if (!signed.has(name)) {
        return "member " + name + " is not in the seal (added after sealing?)";
      }
    }
    return null;
  }

  private static Sealed bad(long n, long line, String message) {
    return new Sealed(VerificationResult.bad(n, line, message), null, null, null, false);
  }

  /** The last {@code evidence.rekeyed} event that names {@code kid} as its new key, or null. */
  private static EvidenceEvent rekeyFor(List<EvidenceEvent> events, String kid) {
    EvidenceEvent found = null;
    for (EvidenceEvent e : events) {
      if (e.type().equals(REKEYED) && kid.equals(e.data().path("kid").asText(null))) {
        found = e;
      }
    }
    return found;
  }

  /**
   * The signer's verdict: {@code rejected} (an anchor contradicts the seal) as an invalid result,
   * else whether the anchors verified it and the text saying by what, or why not.
   */
  private record Signer(VerificationResult rejected, boolean verified, String text) {
    Signer and(Signer addendum, String label) {
      if (verified && addendum.verified()) {
        return this;
      }
      return new Signer(null, false, verified ? "NOT verified: " + label + ": " + addendum.text().replaceFirst("^NOT verified: ", "")
          : text);
    }
  }

  private static Signer signer(TrustAnchors anchors, List<EvidenceEvent> events, Sealed sealed, String where) {
    long n = events.size();
    EvidenceEvent opened = events.isEmpty() || !events.get(0).type().equals("session.opened") ? null : events.get(0);
    for (EvidenceEvent e : events) {
      if (opened == null && e.type().equals("session.opened")) {
        opened = e;
      }
    }
    String openedKid = opened == null ? null : opened.data().path("sealing_kid").asText(null);
    EvidenceEvent rekey = sealed.rekey();
    if (rekey == null && openedKid != null && !openedKid.equals(sealed.kid())) {
      return rejected(n, opened.seq(), where + "signer: sealed by kid " + sealed.kid() + ", but session.opened records the"
          + " session's evidence key " + openedKid + " and no evidence.rekeyed event names " + sealed.kid()
          + " (re-signed with another key?)");
    }
    String recovery = rekey == null ? "" : "sealed by recovery key " + sealed.kid() + " after " + recoveryNote(rekey) + "; ";
    if (anchors.isEmpty()) {
      return new Signer(null, false, "NOT verified: " + recovery + "no trust anchor given, so anyone who holds the bundle"
          + " could have re-sealed it; accepted anchors: " + TrustAnchors.accepted());
    }
    List<String> verifiedBy = new java.util.ArrayList<>();
    List<String> notVerified = new java.util.ArrayList<>();
    boolean orgCertifiedRecovery = false;
    if (anchors.orgKeys().isPresent()) {
      OrgVerdict org = org(anchors.orgKeys().get(), events, opened, sealed, where);
      if (org.rejected() != null) {
        return org.rejected();
      }
      if (org.verified() != null) {
        verifiedBy.add(org.verified());
        orgCertifiedRecovery = rekey != null;
      } else {
        notVerified.add(org.notVerified());
      }
    }
    if (!anchors.expectedKids().isEmpty()) {
      if (anchors.expectedKids().contains(sealed.kid())) {
        verifiedBy.add("the host record (--expect-kid " + sealed.kid() + ")");
      } else if (orgCertifiedRecovery && anchors.expectedKids().contains(rekey.data().path("previous_kid").asText(""))) {
        verifiedBy.add("the host record (--expect-kid " + rekey.data().path("previous_kid").asText()
            + ": the session's key, whose chain the certified recovery key continues)");
      } else if (rekey != null && anchors.expectedKids().contains(rekey.data().path("previous_kid").asText(""))) {
        notVerified.add("the host recorded the lost key " + rekey.data().path("previous_kid").asText() + ", which sealed nothing");
      } else {
        return rejected(n, 0, where + "signer: sealed by kid " + sealed.kid() + ", but the host recorded kid "
            + String.join(", ", anchors.expectedKids()) + " (re-signed with another key?)");
      }
    }
    if (anchors.jwks().isPresent()) {
      if (rekey == null) {
        verifiedBy.add("the trusted JWKS (--jwks)");
      } else {
        notVerified.add("--jwks cannot vouch for a recovery key");
      }
    }
    if (!notVerified.isEmpty() || verifiedBy.isEmpty()) {
      return new Signer(null, false, "NOT verified: " + recovery + String.join("; ", notVerified)
          + "; accepted anchors: " + TrustAnchors.accepted());
    }
    return new Signer(null, true, "verified by " + String.join(" and ", verifiedBy) + (rekey == null ? "" : "; " + recovery
        .replaceFirst("; $", "")));
  }

  /** What the org signer's statement says of the seal: rejected, or the text of verified or notVerified. */
  private record OrgVerdict(Signer rejected, String verified, String notVerified) {}

  /**
   * Checks the statement that certifies the sealing key: in {@code session.opened} for the session's
   * key, in the {@code evidence.rekeyed} event for a recovery key (whose statement must also name the
   * lost key and the chain head the recovery continues). A recovery key without a statement is not
   * verified (exit 3): a recovery without Vault at hand forges nothing, but the org vouches for nothing.
   */
  private static OrgVerdict org(OrgKeys keys, List<EvidenceEvent> events, EvidenceEvent opened, Sealed sealed, String where) {
    long n = events.size();
    EvidenceEvent rekey = sealed.rekey();
    EvidenceEvent carrier = rekey != null ? rekey : opened;
    JsonNode statement = carrier == null ? null : carrier.data().get("signer_statement");
    if (statement == null && rekey != null) {
      return new OrgVerdict(null, null, "the org signer did not certify recovery key " + sealed.kid() + " (" + REKEYED
          + " at line " + rekey.seq() + " holds no signer_statement)");
    }
    if (statement == null) {
      return orgRejected(n, carrier == null ? 0 : carrier.seq(), where + "signer: " + (carrier == null
          ? "no session.opened event" : carrier.type() + " at line " + carrier.seq())
          + " holds no org-signed statement (signer_statement), so --trusted-keys cannot vouch for kid " + sealed.kid());
    }
    KeyStatement.Checked c = KeyStatement.check(statement, keys);
    if (c.problem() != null) {
      return orgRejected(n, carrier.seq(), where + "signer: " + c.problem());
    }
    String session = events.isEmpty() ? null : events.get(0).session();
    if (!c.claims().path("session").asText("").equals(session)) {
      return orgRejected(n, carrier.seq(), where + "signer: statement certifies session "
          + c.claims().path("session").asText("?") + ", not this bundle's session " + session);
    }
    if (!c.claims().path("kid").asText("").equals(sealed.kid())) {
      return orgRejected(n, carrier.seq(), where + "signer: statement certifies evidence key "
          + c.claims().path("kid").asText("?") + ", but the seal is by kid " + sealed.kid() + " (re-signed with another key?)");
    }
    Instant expires = KeyStatement.instant(c.claims(), "expires_at");
    if (expires == null || sealed.sealedAt() == null || sealed.sealedAt().isAfter(expires)) {
      return orgRejected(n, carrier.seq(), where + "signer: statement expired at " + c.claims().path("expires_at").asText("?")
          + ", before the seal at " + sealed.sealedAt());
    }
    String org = "org signer " + statement.path("signer").asText("?") + " key version " + c.version() + " (--trusted-keys)";
    if (rekey == null) {
      return new OrgVerdict(null, org, null);
    }
    JsonNode recoveryOf = c.claims().path("recovery_of");
    if (!recoveryOf.path("chain_head").asText("").equals(rekey.prev())) {
      return orgRejected(n, carrier.seq(), where + "signer: statement for recovery key " + sealed.kid()
          + " does not name the chain head " + rekey.prev() + " it continues");
    }
    String lost = rekey.data().path("previous_kid").asText("");
    if (!recoveryOf.path("kid").asText("").equals(lost)) {
      return orgRejected(n, carrier.seq(), where + "signer: statement for recovery key " + sealed.kid() + " recovers key "
          + recoveryOf.path("kid").asText("?") + ", not the lost key " + lost + " the " + REKEYED + " event names");
    }
    return new OrgVerdict(null, org + ", which certified recovery key " + sealed.kid() + " to continue chain head "
        + rekey.prev() + " (line " + (rekey.seq() - 1) + ") of session " + session + " after its key " + lost
        + " was lost", null);
  }

  private static OrgVerdict orgRejected(long n, long line, String message) {
    return new OrgVerdict(rejected(n, line, message), null, null);
  }

  private static Signer rejected(long n, long line, String message) {
    return new Signer(VerificationResult.bad(n, line, message), false, "");
  }
}
