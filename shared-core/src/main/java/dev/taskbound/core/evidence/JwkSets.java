package dev.taskbound.core.evidence;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Combines public JWK Sets, such as the sealing key's and the identity issuer's, into one. */
public final class JwkSets {
  private JwkSets() {}

  /**
   * Merges JWK Sets into one holding the public part of every key, in order, deduplicated by kid.
   *
   * @throws EvidenceException if an input is not a JWK Set, a key has no kid, or two different keys
   *     share a kid
   */
  public static String merge(String... jwkSets) {
    Map<String, JWK> byKid = new LinkedHashMap<>();
    for (int i = 0; i < jwkSets.length; i++) {
      JWKSet set;
      try {
        set = JWKSet.parse(jwkSets[i]);
      } catch (ParseException e) {
        throw new EvidenceException("JWK Set " + (i + 1) + " does not parse: " + e.getMessage(), e);
      }
      for (JWK key : set.getKeys()) {
        String kid = key.getKeyID();
        if (kid == null || kid.isBlank()) {
          throw new EvidenceException("JWK Set " + (i + 1) + " has a key without kid");
        }
        JWK pub = key.toPublicJWK();
        JWK seen = byKid.putIfAbsent(kid, pub);
        if (seen != null && !seen.equals(pub)) {
          throw new EvidenceException("JWK Set " + (i + 1) + ": two different keys share kid " + kid);
        }
      }
    }
    List<JWK> keys = new ArrayList<>(byKid.values());
    return new JWKSet(keys).toString();
  }
}
