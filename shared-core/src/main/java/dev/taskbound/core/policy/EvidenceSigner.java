package dev.taskbound.core.policy;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The org signer that certifies each session's evidence key ({@code spec.evidence.signer} of the
 * Ceiling): a Vault Transit key of type {@code ecdsa-p256}. Set by the Ceiling only, so neither a
 * profile nor a Task can remove it.
 *
 * @param mount the Transit mount path, e.g. {@code transit}
 * @param key the key's name, e.g. {@code taskbound-evidence}
 */
public record EvidenceSigner(String mount, String key) {
  static final Pattern MOUNT = Pattern.compile("[A-Za-z0-9._-]{1,64}(/[A-Za-z0-9._-]{1,64}){0,7}");
  static final Pattern KEY = Pattern.compile("[A-Za-z0-9._-]{1,128}");

  public EvidenceSigner {
    Objects.requireNonNull(mount, "mount");
    Objects.requireNonNull(key, "key");
    if (!MOUNT.matcher(mount).matches() || mount.contains("..") || !KEY.matcher(key).matches() || key.equals("..")) {
      throw new IllegalArgumentException("not a Transit mount and key: " + mount + " " + key);
    }
  }

  /** {@code vault-transit:<mount>/<key>}, as statements name their signer. */
  public String name() {
    return "vault-transit:" + mount + "/" + key;
  }
}
