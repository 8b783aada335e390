package dev.taskbound.core.broker.github;

import dev.taskbound.core.broker.BrokerException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.interfaces.RSAPrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Map;
import java.util.Objects;

/**
 * A GitHub App's RSA private key. Accepts PEM in PKCS#8 ({@code BEGIN PRIVATE KEY}) or PKCS#1
 * ({@code BEGIN RSA PRIVATE KEY}, what GitHub hands out), which is wrapped into PKCS#8 here with
 * the JDK. Read from a file or from an environment variable's value, never from a command-line
 * value. {@code toString} names the source only. Immutable.
 */
public final class GithubAppKey {
  private static final String PKCS1 = "RSA PRIVATE KEY";
  private static final String PKCS8 = "PRIVATE KEY";
  /** AlgorithmIdentifier for rsaEncryption (1.2.840.113549.1.1.1) with NULL parameters. */
  private static final byte[] RSA_ALGORITHM_ID = {
    0x30, 0x0d, 0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x01,
    0x01, 0x05, 0x00
  };

  private final RSAPrivateKey key;
  private final String source;

  private GithubAppKey(RSAPrivateKey key, String source) {
    this.key = key;
    this.source = source;
  }

  /**
   * Parses a PEM private key.
   *
   * @param source where it came from, for messages (e.g. {@code file /etc/app.pem})
   * @throws BrokerException if it is not an RSA private key in PKCS#1 or PKCS#8 PEM
   */
  public static GithubAppKey parsePem(String pem, String source) {
    Objects.requireNonNull(pem, "pem");
    Objects.requireNonNull(source, "source");
    String type = pem.contains("BEGIN " + PKCS1) ? PKCS1 : pem.contains("BEGIN " + PKCS8) ? PKCS8 : null;
    if (type == null) {
      throw invalid(source, "no '-----BEGIN RSA PRIVATE KEY-----' or '-----BEGIN PRIVATE KEY-----' block");
    }
    int start = pem.indexOf("-----BEGIN " + type + "-----") + ("-----BEGIN " + type + "-----").length();
    int end = pem.indexOf("-----END " + type + "-----", start);
    if (end < 0) {
      throw invalid(source, "the PEM block has no END line");
    }
    byte[] der;
    try {
      der = Base64.getMimeDecoder().decode(pem.substring(start, end).replaceAll("\\s+", ""));
    } catch (IllegalArgumentException e) {
      throw invalid(source, "the PEM body is not base64");
    }
    byte[] pkcs8 = type.equals(PKCS1) ? wrapPkcs1(der) : der;
    try {
      return new GithubAppKey(
          (RSAPrivateKey) KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(pkcs8)),
          source);
    } catch (GeneralSecurityException | ClassCastException e) {
      throw invalid(source, "not an RSA private key");
    }
  }

  /**
   * Reads the key from a PEM file.
   *
   * @throws BrokerException if the file cannot be read or holds no RSA private key
   */
  public static GithubAppKey fromFile(Path file) {
    try {
      return parsePem(Files.readString(file, StandardCharsets.UTF_8), "file " + file);
    } catch (IOException e) {
      throw new BrokerException("github", "read the app private key", -1,
          "cannot read file " + file + " (" + e.getClass().getSimpleName() + ")");
    }
  }

  /**
   * Reads the key from an environment variable's value; {@code environment} is the host's
   * environment, read once at the edge.
   *
   * @throws BrokerException if the variable is unset or empty or holds no RSA private key
   */
  public static GithubAppKey fromEnvironment(String variable, Map<String, String> environment) {
    String pem = environment.get(variable);
    if (pem == null || pem.isBlank()) {
      throw new BrokerException("github", "read the app private key", -1,
          "environment variable " + variable + " is unset or empty; set it to the app's PEM private key");
    }
    return parsePem(pem, "environment variable " + variable);
  }

  /** The key, for signing the app's JWT. */
  public RSAPrivateKey privateKey() {
    return key;
  }

  /** Where the key was read from, e.g. {@code file /etc/app.pem}. */
  public String source() {
    return source;
  }

  @Override
  public String toString() {
    return "GithubAppKey[" + source + "]";
  }

  private static BrokerException invalid(String source, String why) {
    return new BrokerException("github", "read the app private key", -1,
        source + ": " + why + "; accepted: an RSA key in PKCS#1 or PKCS#8 PEM");
  }

  /** PrivateKeyInfo ::= SEQUENCE { INTEGER 0, AlgorithmIdentifier, OCTET STRING pkcs1 }. */
  private static byte[] wrapPkcs1(byte[] pkcs1) {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    body.writeBytes(new byte[] {0x02, 0x01, 0x00});
    body.writeBytes(RSA_ALGORITHM_ID);
    body.write(0x04);
    body.writeBytes(derLength(pkcs1.length));
    body.writeBytes(pkcs1);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(0x30);
    out.writeBytes(derLength(body.size()));
    out.writeBytes(body.toByteArray());
    return out.toByteArray();
  }

  private static byte[] derLength(int length) {
    if (length < 0x80) {
      return new byte[] {(byte) length};
    }
    int bytes = length > 0xffffff ? 4 : length > 0xffff ? 3 : length > 0xff ? 2 : 1;
    byte[] out = new byte[bytes + 1];
    out[0] = (byte) (0x80 | bytes);
    for (int i = bytes; i > 0; i--) {
      out[i] = (byte) length;
      length >>>= 8;
    }
    return out;
  }
}
