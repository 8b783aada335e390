package dev.taskbound.core.evidence;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.ParseException;

/**
 * Reads a private EC P-256 key given as a single JWK (an issuer key a platform team provides).
 * Taskbound never writes a private key: a session's identity and sealing keys live only in the
 * memory of its process (issue 14); a recovery seals with a new key ({@code evidence.rekeyed}).
 */
public final class PrivateJwkFile {
  private PrivateJwkFile() {}

  /**
   * Reads a private EC P-256 JWK from {@code file}.
   *
   * @throws IOException if the file cannot be read, is not a JWK, is not an EC P-256 key, has no
   *     private part or no {@code kid}; the message names the file but never the key material
   */
  public static ECKey read(Path file) throws IOException {
    String json = Files.readString(file, StandardCharsets.UTF_8);
    ECKey key;
    try {
      key = ECKey.parse(json);
    } catch (ParseException e) {
      // The parser's message may quote key material; keep only our own words.
      throw new IOException(file + ": not an EC JWK (expected a JSON object with kty EC, crv P-256, x, y, d)");
    }
    if (!Curve.P_256.equals(key.getCurve())) {
      throw new IOException(file + ": curve " + key.getCurve() + " is not accepted; expected P-256");
    }
    if (!key.isPrivate()) {
      throw new IOException(file + ": holds only a public key; expected the private key (member d)");
    }
    if (key.getKeyID() == null || key.getKeyID().isBlank()) {
      throw new IOException(file + ": key has no kid");
    }
    return key;
  }
}
