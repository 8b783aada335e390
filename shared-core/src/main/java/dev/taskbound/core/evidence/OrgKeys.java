package dev.taskbound.core.evidence;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import java.io.IOException;
import java.security.KeyFactory;
import java.security.interfaces.ECPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.text.ParseException;
import java.util.Base64;
import java.util.Collections;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The org signer's public keys a verifier trusts: the versions of one Vault Transit key ({@code
 * ecdsa-p256}), as the platform team fetched them once from {@code GET /v1/<mount>/keys/<key>}.
 * Accepted forms (docs/evidence.md):
 *
 * <ul>
 *   <li>that endpoint's JSON response (or its {@code data} object): {@code keys: {"1": {"public_key":
 *       "-----BEGIN PUBLIC KEY-----..."}}};
 *   <li>a JWK Set of EC P-256 keys whose {@code kid} is {@code v<N>} or {@code <key>:v<N>};
 *   <li>PEM: each {@code PUBLIC KEY} block preceded by a line {@code key_version: N}.
 * </ul>
 *
 * A statement signed by a key version not in the file is not trusted, so a rotated key stays
 * trusted exactly as long as its version stays in the file. Immutable.
 */
public final class OrgKeys {
  private static final Pattern PEM = Pattern.compile(
      "(?s)(?:key_version:\\s*([0-9]{1,9})\\s*\\R)?-----BEGIN PUBLIC KEY-----(.*?)-----END PUBLIC KEY-----");
  private static final Pattern JWK_KID = Pattern.compile("(?:.+:)?v([0-9]{1,9})");
  private static final String ACCEPTED = "accepted: the JSON of GET /v1/<mount>/keys/<key> (keys.\"N\".public_key),"
      + " a JWK Set of EC P-256 keys with kid 'v<N>' or '<key>:v<N>', or PEM PUBLIC KEY blocks each preceded by"
      + " a line 'key_version: N'";

  private final Map<Integer, ECPublicKey> byVersion;

  private OrgKeys(Map<Integer, ECPublicKey> byVersion) {
    this.byVersion = Collections.unmodifiableMap(new TreeMap<>(byVersion));
  }

  /**
   * Parses {@code text}, naming {@code where} (the file) in messages.
   *
   * @throws EvidenceException naming the file, the entry and the accepted forms if the text holds
   *     no key, a key that is not EC P-256, or a key without a version
   */
  public static OrgKeys parse(String text, String where) {
    String t = text.strip();
    Map<Integer, ECPublicKey> keys = new TreeMap<>();
    if (t.startsWith("{")) {
      JsonNode root;
      try {
        root = CanonicalJson.MAPPER.readTree(t);
      } catch (IOException e) {
        throw new EvidenceException(where + ": not JSON; " + ACCEPTED);
      }
      JsonNode data = root.has("data") ? root.get("data") : root;
      JsonNode k = data.get("keys");
      if (k != null && k.isObject()) {
        for (Iterator<Map.Entry<String, JsonNode>> it = k.fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> e = it.next();
          String pem = e.getValue().path("public_key").asText("");
          if (!e.getKey().matches("[0-9]{1,9}") || pem.isEmpty()) {
            throw new EvidenceException(where + ": keys." + e.getKey() + " has no public_key (an ecdsa-p256 key's"
                + " version); " + ACCEPTED);
          }
          keys.put(Integer.parseInt(e.getKey()), pem(pem, where + ": keys." + e.getKey()));
        }
      } else if (k != null && k.isArray()) {
        jwks(t, where, keys);
      }
    } else {
      Matcher m = PEM.matcher(t);
      while (m.find()) {
        if (m.group(1) == null) {
          throw new EvidenceException(where + ": a PUBLIC KEY block has no 'key_version: N' line before it; " + ACCEPTED);
        }
        keys.put(Integer.parseInt(m.group(1)), pem(m.group(0), where + ": key_version " + m.group(1)));
      }
    }
    if (keys.isEmpty()) {
      throw new EvidenceException(where + ": holds no org public key; " + ACCEPTED);
    }
    return new OrgKeys(keys);
  }

  private static void jwks(String text, String where, Map<Integer, ECPublicKey> keys) {
    JWKSet set;
    try {
      set = JWKSet.parse(text);
    } catch (ParseException e) {
      throw new EvidenceException(where + ": not a JWK Set; " + ACCEPTED);
    }
    for (JWK key : set.getKeys()) {
      Matcher kid = JWK_KID.matcher(String.valueOf(key.getKeyID()));
      if (!kid.matches()) {
        throw new EvidenceException(where + ": key kid '" + key.getKeyID() + "' names no version; " + ACCEPTED);
      }
      if (!(key instanceof ECKey ec) || !Curve.P_256.equals(ec.getCurve())) {
        throw new EvidenceException(where + ": key " + key.getKeyID() + " is not EC P-256; " + ACCEPTED);
      }
      try {
        keys.put(Integer.parseInt(kid.group(1)), ec.toECPublicKey());
      } catch (JOSEException e) {
        throw new EvidenceException(where + ": key " + key.getKeyID() + " is not a valid EC P-256 key");
      }
    }
  }

  private static ECPublicKey pem(String pem, String where) {
    String body = pem.replaceAll("(?s).*-----BEGIN PUBLIC KEY-----", "").replaceAll("(?s)-----END PUBLIC KEY-----.*", "")
        .replaceAll("\\s", "");
    try {
      var key = KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(body)));
      ECPublicKey ec = (ECPublicKey) key;
      if (ec.getParams().getCurve().getField().getFieldSize() != 256) {
        throw new EvidenceException(where + ": not a P-256 key (Vault Transit type ecdsa-p256); " + ACCEPTED);
      }
      return ec;
    } catch (IllegalArgumentException | java.security.GeneralSecurityException | ClassCastException e) {
      throw new EvidenceException(where + ": not an EC P-256 public key (Vault Transit type ecdsa-p256); " + ACCEPTED);
    }
  }

  /** The public key of {@code version}, if trusted. */
  Optional<ECPublicKey> version(int version) {
    return Optional.ofNullable(byVersion.get(version));
  }

  /** The trusted versions, ascending, for messages. */
  String versions() {
    return byVersion.keySet().toString().replaceAll("[\\[\\]]", "");
  }

  @Override
  public String toString() {
    return "OrgKeys{versions=" + versions() + "}";
  }
}
