package dev.taskbound.core.broker;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;

/** RSA keys made with the JDK, as PKCS#8 and PKCS#1 PEM. */
public final class TestKeys {
  private TestKeys() {}

  public static KeyPair rsa() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
      generator.initialize(2048);
      return generator.generateKeyPair();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  public static String pkcs8Pem(KeyPair pair) {
    return pem("PRIVATE KEY", pair.getPrivate().getEncoded());
  }

  /** The RSAPrivateKey inside the PKCS#8 PrivateKeyInfo (its last element, an OCTET STRING). */
  public static String pkcs1Pem(KeyPair pair) {
    byte[] der = pair.getPrivate().getEncoded();
    int[] outer = header(der, 0);
    int pos = outer[0];
    int[] version = header(der, pos);
    pos = version[0] + version[1];
    int[] algorithm = header(der, pos);
    pos = algorithm[0] + algorithm[1];
    int[] octets = header(der, pos);
    return pem("RSA PRIVATE KEY", Arrays.copyOfRange(der, octets[0], octets[0] + octets[1]));
  }

  /** Returns {start of content, content length} of the DER element at {@code pos}. */
  private static int[] header(byte[] der, int pos) {
    int length = der[pos + 1] & 0xff;
    int start = pos + 2;
    if (length >= 0x80) {
      int bytes = length & 0x7f;
      length = 0;
      for (int i = 0; i < bytes; i++) {
        length = (length << 8) | (der[start + i] & 0xff);
      }
      start += bytes;
    }
    return new int[] {start, length};
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der)
        + "\n-----END " + type + "-----\n";
  }
}
