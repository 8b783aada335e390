package dev.taskbound.core.session;

import dev.taskbound.core.ExitCodes;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The key that seals the secrets a credential issuer's journal must keep (a GitHub installation
 * token: GitHub revokes it only with itself) so that the journal on disk holds them encrypted: a
 * 256-bit AES-GCM key the issuer holds and the journal does not (a Jenkins controller keeps it as a
 * {@code hudson.util.Secret}; the CLI reads it from {@value #VARIABLE}). Each value is sealed with
 * a fresh 96-bit nonce and bound to what its caller names ({@link SealedHandles}: the journal's id,
 * the entry and the step, for every handle whole, Vault ones too), so a sealed value cannot be
 * opened under another name. Immutable and thread-safe; {@link #toString} never shows the key.
 */
public final class JournalKey {
  /** The environment variable that carries the key to {@code credentials issue} and {@code credentials revoke}. */
  public static final String VARIABLE = "TASKBOUND_JOURNAL_KEY";

  private static final String VERSION = "v1:";
  private static final int KEY_BYTES = 32;
  private static final int NONCE_BYTES = 12;
  private static final int TAG_BITS = 128;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final byte[] key;

  private JournalKey(byte[] key) {
    this.key = key;
  }

  /**
   * Parses a key: 32 bytes in standard base64 (44 characters).
   *
   * @param where what held the text, for the message (a variable name)
   * @throws SessionException (exit 125) naming {@code where} and what is accepted, never the text
   */
  public static JournalKey parse(String text, String where) {
    byte[] bytes;
    try {
      bytes = Base64.getDecoder().decode(text.strip());
    } catch (IllegalArgumentException e) {
      bytes = new byte[0];
    }
    if (bytes.length != KEY_BYTES) {
      throw new SessionException(where + ": not a journal key; accepted: " + KEY_BYTES
          + " random bytes in base64 (44 characters, as 'head -c 32 /dev/urandom | base64' prints)", ExitCodes.USAGE);
    }
    return new JournalKey(bytes);
  }

  /** The key {@value #VARIABLE} carries in {@code env}, if it is set and not blank. */
  public static Optional<JournalKey> fromEnvironment(Map<String, String> env) {
    String text = env.get(VARIABLE);
    return text == null || text.isBlank() ? Optional.empty() : Optional.of(parse(text, VARIABLE));
  }

  /** Seals {@code value} for the journal, bound to {@code context} (the step and field it is stored under). */
  String seal(String value, String context) {
    byte[] nonce = new byte[NONCE_BYTES];
    RANDOM.nextBytes(nonce);
    try {
      Cipher cipher = cipher(Cipher.ENCRYPT_MODE, nonce, context);
      byte[] sealed = cipher.doFinal(value.getBytes(StandardCharsets.UTF_8));
      byte[] out = Arrays.copyOf(nonce, NONCE_BYTES + sealed.length);
      System.arraycopy(sealed, 0, out, NONCE_BYTES, sealed.length);
      return VERSION + Base64.getEncoder().encodeToString(out);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is part of every Java 17 runtime", e);
    }
  }

  /**
   * Opens what {@link #seal} returned for the same {@code context}.
   *
   * @param where the journal entry, for the message
   * @throws SessionException (exit 123) if the value is not sealed with this key for this context (a
   *     wrong key, or an altered entry), naming {@code where} and never the value
   */
  String open(String sealed, String context, String where) {
    byte[] bytes;
    try {
      bytes = sealed.startsWith(VERSION) ? Base64.getDecoder().decode(sealed.substring(VERSION.length())) : new byte[0];
    } catch (IllegalArgumentException e) {
      bytes = new byte[0];
    }
    if (bytes.length <= NONCE_BYTES) {
      throw SessionException.teardown(where + " holds a sealed value in an unknown form; accepted: '" + VERSION
          + "' and base64, as 'credentials issue' writes it");
    }
    try {
      Cipher cipher = cipher(Cipher.DECRYPT_MODE, Arrays.copyOf(bytes, NONCE_BYTES), context);
      return new String(cipher.doFinal(bytes, NONCE_BYTES, bytes.length - NONCE_BYTES), StandardCharsets.UTF_8);
    } catch (AEADBadTagException e) {
      throw SessionException.teardown(where + " cannot be opened with the journal key given (a wrong key, or the entry"
          + " was altered); accepted: the " + VARIABLE + " that 'credentials issue' ran with");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is part of every Java 17 runtime", e);
    }
  }

  private Cipher cipher(int mode, byte[] nonce, String context) throws GeneralSecurityException {
    Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
    cipher.init(mode, new SecretKeySpec(key, "AES"), new GCMParameterSpec(TAG_BITS, nonce));
    cipher.updateAAD(context.getBytes(StandardCharsets.UTF_8));
    return cipher;
  }

  @Override
  public String toString() {
    return "JournalKey[redacted]";
  }
}
