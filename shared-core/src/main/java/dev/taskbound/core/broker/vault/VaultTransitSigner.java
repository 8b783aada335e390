package dev.taskbound.core.broker.vault;

import com.fasterxml.jackson.databind.JsonNode;
import dev.taskbound.core.broker.BrokerException;
import dev.taskbound.core.broker.CallFailure;
import dev.taskbound.core.broker.Retry;
import dev.taskbound.core.broker.VaultGrant;
import dev.taskbound.core.broker.internal.PlainHttp;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Signs with an org key that never leaves Vault: {@code POST /v1/<mount>/sign/<key>} with {@code
 * input} (base64), {@code hash_algorithm: sha2-256} and {@code marshaling_algorithm: asn1}, for a
 * Transit key of type {@code ecdsa-p256}; returns Vault's {@code vault:v<N>:<base64 DER>}, whose
 * {@code N} is the key version that signed. The Vault role needs only {@code update} on {@code
 * <mount>/sign/<key>}.
 *
 * <p>Plain JDK HTTP (as {@link VaultCalls#send}): vault-java-driver 6.2 has no Transit API, and its
 * {@code logical().write} would rewrite the path for KV. Logs in per call with the host's Vault
 * auth; a login token it created is revoked right after ({@code revoke-self}), best effort, since
 * it is short-lived anyway. Not thread-safe.
 */
public final class VaultTransitSigner {
  private final VaultCalls calls;
  private final VaultAuth auth;
  private final String mount;
  private final String key;
  private final Retry retry;

  /**
   * @throws BrokerException if {@code mount} or {@code key} is not a Vault path segment
   */
  public VaultTransitSigner(VaultConnection connection, VaultAuth auth, String mount, String key, Retry retry, Duration timeout) {
    this.calls = new VaultCalls(Objects.requireNonNull(connection, "connection"), Objects.requireNonNull(timeout, "timeout"));
    this.auth = Objects.requireNonNull(auth, "auth");
    this.mount = Objects.requireNonNull(mount, "mount");
    this.key = Objects.requireNonNull(key, "key");
    this.retry = Objects.requireNonNull(retry, "retry");
    if (!mount.matches("[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*") || !key.matches("[A-Za-z0-9._-]+")) {
      throw VaultConnection.invalid("transit mount '" + mount + "' / key '" + key + "' is not a Vault path");
    }
  }

  /** {@code vault-transit:<mount>/<key>}, as statements name their signer. */
  public String name() {
    return "vault-transit:" + mount + "/" + key;
  }

  /**
   * Signs {@code input} and returns Vault's signature, {@code vault:v<N>:<base64>}.
   *
   * @throws BrokerException (exit 122) naming the operation, the status and Vault's {@code errors}
   *     when the login or the signing fails after bounded retries, or the response has no signature
   */
  public String sign(byte[] input) {
    String operation = "sign the session's evidence key with transit key " + mount + "/" + key;
    VaultGrant grant = VaultLogins.login(calls, auth, retry, java.time.Clock.systemUTC());
    try {
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("input", Base64.getEncoder().encodeToString(input));
      body.put("hash_algorithm", "sha2-256");
      body.put("marshaling_algorithm", "asn1");
      JsonNode response = retry.run("vault", operation, () -> {
        HttpResponse<String> r = calls.send("POST", mount + "/sign/" + key, grant.token(), body, Map.of());
        if (r.statusCode() != 200) {
          throw PlainHttp.failure(r);
        }
        return PlainHttp.parse(r.body());
      });
      String signature = response.path("data").path("signature").asText("");
      if (!signature.matches("vault:v[0-9]{1,9}:[A-Za-z0-9+/=]+")) {
        throw new BrokerException("vault", operation, 200, "the response has no data.signature of the form vault:v<N>:<base64>");
      }
      return signature;
    } finally {
      if (grant.ephemeral()) {
        revokeQuietly(grant);
      }
    }
  }

  private void revokeQuietly(VaultGrant grant) {
    try {
      calls.send("POST", "auth/token/revoke-self", grant.token(), Map.of(), Map.of());
    } catch (CallFailure e) { // NOPMD: best effort; the login token expires with its TTL
      // nothing more to do
    }
  }
}
