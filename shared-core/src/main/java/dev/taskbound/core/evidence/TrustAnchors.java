package dev.taskbound.core.evidence;

import com.nimbusds.jose.jwk.JWKSet;
import java.text.ParseException;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * What a verifier trusts to say who sealed a bundle, beyond the bundle itself. The bundle carries
 * its sealing key's public half, so anyone who can rewrite the bundle can re-seal it with a key of
 * their own: only an anchor kept outside the bundle tells the session's key from such a key.
 *
 * <ul>
 *   <li>{@link #expectKid}: the sealing key's thumbprint the host recorded at open, before the
 *       agent started (CLI stderr, the Action's job log and step summary, the Jenkins build page);
 *   <li>{@link #withJwks}: a JWK Set holding the sealing key itself;
 *   <li>{@link #withOrgKeys}: the org signer's public keys (Vault Transit), which certify the
 *       session's key in a signed statement inside the bundle.
 * </ul>
 *
 * Immutable; each {@code with} method returns a new instance.
 */
public final class TrustAnchors {
  private static final TrustAnchors NONE = new TrustAnchors(Set.of(), null, null, null);

  private final Set<String> expectedKids;
  private final JWKSet jwks;
  private final OrgKeys orgKeys;
  private final String expectedSession;

  private TrustAnchors(Set<String> expectedKids, JWKSet jwks, OrgKeys orgKeys, String expectedSession) {
    this.expectedKids = Set.copyOf(expectedKids);
    this.jwks = jwks;
    this.orgKeys = orgKeys;
    this.expectedSession = expectedSession;
  }

  /** No anchor: verification proves integrity only, never who sealed the bundle. */
  public static TrustAnchors none() {
    return NONE;
  }

  /**
   * Also accepts a seal by key {@code kid} (an RFC 7638 thumbprint as the host printed it).
   *
   * @throws EvidenceException if {@code kid} is not a base64url thumbprint
   */
  public TrustAnchors expectKid(String kid) {
    Objects.requireNonNull(kid, "kid");
    if (!kid.matches("[A-Za-z0-9_-]{43}")) {
      throw new EvidenceException("--expect-kid '" + kid + "' is not a key thumbprint; accepted: the 43-character"
          + " base64url kid the host printed at open (e.g. 'evidence key: kid ...')");
    }
    Set<String> kids = new LinkedHashSet<>(expectedKids);
    kids.add(kid);
    return new TrustAnchors(kids, jwks, orgKeys, expectedSession);
  }

  /**
   * Takes the sealing key from {@code jwksJson} instead of the bundle.
   *
   * @throws EvidenceException if it is not a JWK Set
   */
  public TrustAnchors withJwks(String jwksJson) {
    try {
      return new TrustAnchors(expectedKids, JWKSet.parse(jwksJson), orgKeys, expectedSession);
    } catch (ParseException e) {
      throw new EvidenceException("trusted JWKS is not a JWK Set (expected {\"keys\":[...]}): " + e.getMessage(), e);
    }
  }

  /** Accepts a session key certified by the org signer with one of {@code keys}. */
  public TrustAnchors withOrgKeys(OrgKeys keys) {
    return new TrustAnchors(expectedKids, jwks, Objects.requireNonNull(keys, "keys"), expectedSession);
  }

  /**
   * Also requires the bundle to be of session {@code id}: an org key or a JWK Set holding several
   * sessions' keys verifies any of their bundles, so a reviewer checking one run names it. Not an
   * anchor: it says which bundle, not who sealed it.
   *
   * @throws EvidenceException if {@code id} is not a session id
   */
  public TrustAnchors expectSession(String id) {
    Objects.requireNonNull(id, "id");
    if (!id.matches("[0-9a-z]{1,64}")) {
      throw new EvidenceException("--expect-session '" + dev.taskbound.core.SafeText.value(id) + "' is not a session id;"
          + " accepted: the id the host printed at open ('taskbound: task T, session S, ...'), lower-case letters and digits");
    }
    return new TrustAnchors(expectedKids, jwks, orgKeys, id);
  }

  Optional<String> expectedSession() {
    return Optional.ofNullable(expectedSession);
  }

  /** Whether no anchor is set ({@link #expectSession} is none). */
  public boolean isEmpty() {
    return expectedKids.isEmpty() && jwks == null && orgKeys == null;
  }

  Set<String> expectedKids() {
    return expectedKids;
  }

  Optional<JWKSet> jwks() {
    return Optional.ofNullable(jwks);
  }

  Optional<OrgKeys> orgKeys() {
    return Optional.ofNullable(orgKeys);
  }

  /** The anchors {@code verify} accepts, for the message that says none verified the signer. */
  public static String accepted() {
    return "--trusted-keys FILE (the org's Vault Transit public keys), --expect-kid KID (the evidence key the host"
        + " recorded at open: CLI stderr, the Action's job log or step summary, the Jenkins build page),"
        + " --jwks FILE (a JWK Set holding the sealing key)";
  }
}
