package dev.taskbound.core.evidence;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.Signature;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A statement by the org signer certifying one evidence key: "key {@code kid} seals session S of
 * task T in trust domain D under policy P until E". The org key never leaves Vault: the claims are
 * signed by Vault Transit ({@code POST /v1/<mount>/sign/<key>}, ECDSA P-256 over SHA-256, ASN.1
 * DER), and the statement keeps Vault's signature form {@code vault:v<N>:<base64>}, whose {@code N}
 * is the key version a verifier looks up in its {@link OrgKeys}. Format in docs/evidence.md:
 *
 * <pre>{"format":"taskbound-key-statement/v1","signer":"vault-transit:transit/taskbound-evidence",
 *  "claims":"&lt;base64url of the canonical claims JSON&gt;","signature":"vault:v1:MEUCIQ..."}</pre>
 */
public final class KeyStatement {
  static final String FORMAT = "taskbound-key-statement/v1";
  private static final Pattern VAULT_SIGNATURE = Pattern.compile("vault:v([0-9]{1,9}):([A-Za-z0-9+/=_-]+)");

  private KeyStatement() {}

  /**
   * Signs {@code claims} with {@code sign} (which returns Vault's {@code vault:v<N>:...} signature
   * of the bytes it is given) and returns the statement as a JSON object.
   *
   * @throws EvidenceException if the signature is not in Vault's form
   */
  public static ObjectNode issue(String signer, Map<String, ?> claims, Function<byte[], String> sign) {
    Objects.requireNonNull(signer, "signer");
    byte[] bytes = CanonicalJson.bytes(CanonicalJson.MAPPER.valueToTree(claims));
    String signature = sign.apply(bytes);
    if (signature == null || !VAULT_SIGNATURE.matcher(signature).matches()) {
      throw new EvidenceException("the org signer " + signer + " returned no signature of the form vault:v<N>:<base64>");
    }
    ObjectNode statement = CanonicalJson.MAPPER.createObjectNode();
    statement.put("format", FORMAT);
    statement.put("signer", signer);
    statement.put("claims", Base64.getUrlEncoder().withoutPadding().encodeToString(bytes));
    statement.put("signature", signature);
    return statement;
  }

  /** A checked statement's claims, or why it failed. */
  record Checked(JsonNode claims, int version, String problem) {}

  /**
   * Checks {@code statement}'s signature against {@code keys} and returns its claims. Checks no
   * claim: the caller compares session, kid and expiry with the bundle.
   */
  static Checked check(JsonNode statement, OrgKeys keys) {
    if (statement == null || !statement.isObject() || !FORMAT.equals(statement.path("format").asText())) {
      return new Checked(null, 0, "statement: not a " + FORMAT + " object");
    }
    String signer = statement.path("signer").asText("?");
    Matcher m = VAULT_SIGNATURE.matcher(statement.path("signature").asText(""));
    if (!m.matches()) {
      return new Checked(null, 0, "statement: signature is not of the form vault:v<N>:<base64>");
    }
    int version = Integer.parseInt(m.group(1));
    var key = keys.version(version);
    if (key.isEmpty()) {
      return new Checked(null, version, "statement: signed by " + signer + " key version " + version
          + ", which --trusted-keys does not hold (it holds version " + keys.versions() + ")");
    }
    byte[] claims;
    try {
      claims = Base64.getUrlDecoder().decode(statement.path("claims").asText(""));
      Signature verifier = Signature.getInstance("SHA256withECDSA");
      verifier.initVerify(key.get());
      verifier.update(claims);
      if (!verifier.verify(decode(m.group(2)))) {
        return new Checked(null, version, "statement: bad signature (not by " + signer + " key version " + version + ")");
      }
    } catch (IllegalArgumentException | GeneralSecurityException e) {
      return new Checked(null, version, "statement: bad signature (not by " + signer + " key version " + version + ")");
    }
    try {
      JsonNode parsed = CanonicalJson.MAPPER.readTree(claims);
      if (parsed == null || !parsed.isObject()) {
        return new Checked(null, version, "statement: claims are not a JSON object");
      }
      return new Checked(parsed, version, null);
    } catch (IOException e) {
      return new Checked(null, version, "statement: claims are not JSON");
    }
  }

  private static byte[] decode(String b64) {
    return b64.contains("-") || b64.contains("_") ? Base64.getUrlDecoder().decode(b64) : Base64.getDecoder().decode(b64);
  }

  /** An instant claim, or null when absent or malformed. */
  static Instant instant(JsonNode claims, String name) {
    try {
      return Instant.parse(claims.path(name).asText(""));
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  static String text(JsonNode node) {
    return new String(CanonicalJson.bytes(node), StandardCharsets.UTF_8);
  }
}
