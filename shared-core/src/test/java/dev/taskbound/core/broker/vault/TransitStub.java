package dev.taskbound.core.broker.vault;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.matchingJsonPath;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.extension.ResponseDefinitionTransformerV2;
import com.github.tomakehurst.wiremock.http.ResponseDefinition;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A Vault Transit {@code ecdsa-p256} key for WireMock, shaped after Vault's documented payloads:
 * {@code POST /v1/<mount>/sign/<key>} answers {@code data: {signature: "vault:v<N>:<base64 DER>",
 * key_version: N}} signed with the latest version's real key (only a transformer can sign what the
 * request carries); {@code GET /v1/<mount>/keys/<key>} answers {@code data.keys."N".public_key}
 * (PEM) for every version. The sign stub matches only the exact request Taskbound must send.
 */
public final class TransitStub {
  public static final String MOUNT = "transit";
  public static final String KEY = "taskbound-evidence";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Map<Integer, KeyPair> versions = new LinkedHashMap<>();
  private int latest;

  public TransitStub() {
    rotate();
  }

  /** Adds a new key version and makes it the one that signs, as {@code transit/keys/<key>/rotate} does. */
  public TransitStub rotate() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"));
      latest++;
      versions.put(latest, g.generateKeyPair());
      return this;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Signs as Vault would with version {@code version}: {@code vault:v<N>:<base64 ASN.1 DER>}. */
  public String sign(int version, byte[] input) {
    try {
      Signature s = Signature.getInstance("SHA256withECDSA");
      s.initSign(versions.get(version).getPrivate());
      s.update(input);
      return "vault:v" + version + ":" + Base64.getEncoder().encodeToString(s.sign());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  public int latest() {
    return latest;
  }

  /** The JSON of {@code GET /v1/transit/keys/<key>}, as Vault answers it for an ecdsa-p256 key. */
  public String keysResponse() {
    ObjectNode keys = JSON.createObjectNode();
    versions.forEach((v, pair) -> keys.putObject(String.valueOf(v))
        .put("creation_time", "2026-11-01T10:00:00.000000000Z")
        .put("name", "P-256")
        .put("public_key", "-----BEGIN PUBLIC KEY-----\n"
            + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(pair.getPublic().getEncoded())
            + "\n-----END PUBLIC KEY-----\n"));
    ObjectNode data = JSON.createObjectNode();
    data.put("allow_plaintext_backup", false).put("auto_rotate_period", 0).put("deletion_allowed", false)
        .put("derived", false).put("exportable", false).put("imported_key", false);
    data.set("keys", keys);
    data.put("latest_version", latest).put("min_available_version", 0).put("min_decryption_version", 1)
        .put("min_encryption_version", 0).put("name", KEY).put("supports_decryption", false)
        .put("supports_derivation", false).put("supports_encryption", false).put("supports_signing", true)
        .put("type", "ecdsa-p256");
    ObjectNode root = JSON.createObjectNode();
    root.put("request_id", "4c3d1a39-8f3c-2d63-6e0f-6c2b1d6c0a11").put("lease_id", "").put("renewable", false)
        .put("lease_duration", 0);
    root.set("data", data);
    root.putNull("wrap_info");
    root.putNull("warnings");
    root.putNull("auth");
    return root.toString();
  }

  /** The transformer to register with {@code options().extensions(...)}. */
  public ResponseDefinitionTransformerV2 transformer() {
    return new ResponseDefinitionTransformerV2() {
      @Override
      public ResponseDefinition transform(ServeEvent event) {
        try {
          JsonNode body = JSON.readTree(event.getRequest().getBodyAsString());
          byte[] input = Base64.getDecoder().decode(body.path("input").asText());
          ObjectNode data = JSON.createObjectNode();
          data.put("key_version", latest);
          data.put("signature", sign(latest, input));
          ObjectNode root = JSON.createObjectNode();
          root.put("request_id", "b1b2c3d4-0000-1111-2222-333344445555").put("lease_id", "").put("renewable", false)
              .put("lease_duration", 0);
          root.set("data", data);
          root.putNull("wrap_info");
          root.putNull("warnings");
          root.putNull("auth");
          return com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder.responseDefinition().withStatus(200)
              .withHeader("Content-Type", "application/json").withBody(root.toString()).build();
        } catch (java.io.IOException | IllegalArgumentException e) {
          return new ResponseDefinition(400, "{\"errors\":[\"invalid input\"]}");
        }
      }

      @Override
      public boolean applyGlobally() {
        return false;
      }

      @Override
      public String getName() {
        return "transit-sign";
      }
    };
  }

  /** Stubs the sign endpoint (exact request, token {@code token}) and the keys endpoint. */
  public void stub(WireMockServer vault, String token) {
    vault.stubFor(post(urlEqualTo("/v1/" + MOUNT + "/sign/" + KEY))
        .withHeader("X-Vault-Token", equalTo(token))
        .withHeader("Content-Type", equalTo("application/json"))
        .withRequestBody(matchingJsonPath("$.input"))
        .withRequestBody(matchingJsonPath("$.hash_algorithm", equalTo("sha2-256")))
        .withRequestBody(matchingJsonPath("$.marshaling_algorithm", equalTo("asn1")))
        .willReturn(aResponse().withTransformers("transit-sign")));
    vault.stubFor(get(urlEqualTo("/v1/" + MOUNT + "/keys/" + KEY))
        .willReturn(aResponse().withStatus(200).withHeader("Content-Type", "application/json").withBody(keysResponse())));
  }
}
