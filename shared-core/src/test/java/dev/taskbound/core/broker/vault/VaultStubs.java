package dev.taskbound.core.broker.vault;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;

/** Vault API stubs whose bodies follow Vault's documented responses. */
public final class VaultStubs {
  public static final String GIVEN_TOKEN = "hvs.SENTINELgivenTOKEN";
  public static final String LOGIN_TOKEN = "hvs.SENTINELloginTOKEN";
  public static final String CHILD_TOKEN = "hvs.SENTINELchildTOKEN";
  public static final String LOGIN_ACCESSOR = "acc-login-0001";
  public static final String CHILD_ACCESSOR = "acc-child-0002";
  public static final String SECRET_ID = "SENTINEL-secret-id";
  public static final String JWT = "eyJhbGciOiJSUzI1NiJ9.SENTINELjwt.c2ln";
  public static final String KV1_VALUE = "SENTINEL-kv1-api-key";
  public static final String KV2_VALUE = "SENTINEL-kv2-password";
  public static final String DYNAMIC_PASSWORD = "SENTINEL-dynamic-password";
  public static final String LEASE_ID = "database/creds/readonly/2f6a614c-4aa2-7b19-24b9-ad944a8d4de6";
  public static final String WRAP_TOKEN = "hvs.SENTINELwrapTOKEN";

  private VaultStubs() {}

  public static ResponseDefinitionBuilder json(int status, String body) {
    return aResponse().withStatus(status).withHeader("Content-Type", "application/json").withBody(body);
  }

  public static String auth(String token, String accessor, long ttl, String policies) {
    return "{\"request_id\":\"4f2a0ef5-1c62-0f1b-3f5d-9e8c2b0d1a77\",\"lease_id\":\"\",\"renewable\":false,"
        + "\"lease_duration\":0,\"data\":null,\"wrap_info\":null,\"warnings\":null,\"auth\":{"
        + "\"client_token\":\"" + token + "\",\"accessor\":\"" + accessor + "\",\"policies\":" + policies + ","
        + "\"token_policies\":" + policies + ",\"metadata\":{},\"lease_duration\":" + ttl + ",\"renewable\":false,"
        + "\"entity_id\":\"\",\"token_type\":\"service\",\"orphan\":false}}";
  }

  /**
   * Vault's error body, {@code {"errors":[...]}}, each message JSON-escaped: Vault's texts hold
   * newlines and tabs ({@code "1 error occurred:\n\t* permission denied\n\n"}), which raw in a
   * JSON string would make the body unparseable and the client drop the text.
   */
  public static String errors(String... errors) {
    com.fasterxml.jackson.databind.node.ObjectNode body = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode();
    com.fasterxml.jackson.databind.node.ArrayNode list = body.putArray("errors");
    for (String e : errors) {
      list.add(e);
    }
    return body.toString();
  }

  /** Logins, child token, the three secrets, and every revoke call answering 204. */
  public static void stubAll(WireMockServer vault) {
    vault.stubFor(post(urlEqualTo("/v1/auth/approle/login"))
        .willReturn(json(200, auth(LOGIN_TOKEN, LOGIN_ACCESSOR, 3600, "[\"default\",\"taskbound-broker\"]"))));
    vault.stubFor(post(urlEqualTo("/v1/auth/jwt/login"))
        .willReturn(json(200, auth(LOGIN_TOKEN, LOGIN_ACCESSOR, 3600, "[\"default\",\"taskbound-broker\"]"))));
    vault.stubFor(post(urlEqualTo("/v1/auth/token/create"))
        .willReturn(json(200, auth(CHILD_TOKEN, CHILD_ACCESSOR, 900, "[\"default\",\"app-read\"]"))));
    vault.stubFor(get(urlEqualTo("/v1/secret/app/config")).withHeader("X-Vault-Token", equalTo(CHILD_TOKEN))
        .willReturn(json(200, "{\"request_id\":\"r1\",\"lease_id\":\"\",\"renewable\":false,\"lease_duration\":2764800,"
            + "\"data\":{\"api_key\":\"" + KV1_VALUE + "\",\"region\":\"eu\"},\"wrap_info\":null,\"warnings\":null,\"auth\":null}")));
    vault.stubFor(get(urlEqualTo("/v1/kv/data/app/db")).withHeader("X-Vault-Token", equalTo(CHILD_TOKEN))
        .willReturn(json(200, "{\"request_id\":\"r2\",\"lease_id\":\"\",\"renewable\":false,\"lease_duration\":0,"
            + "\"data\":{\"data\":{\"password\":\"" + KV2_VALUE + "\"},\"metadata\":{\"created_time\":"
            + "\"2026-11-20T09:00:00.000Z\",\"custom_metadata\":null,\"deletion_time\":\"\",\"destroyed\":false,"
            + "\"version\":3}},\"wrap_info\":null,\"warnings\":null,\"auth\":null}")));
    vault.stubFor(get(urlEqualTo("/v1/database/creds/readonly")).withHeader("X-Vault-Token", equalTo(CHILD_TOKEN))
        .willReturn(json(200, "{\"request_id\":\"r3\",\"lease_id\":\"" + LEASE_ID + "\",\"renewable\":true,"
            + "\"lease_duration\":3600,\"data\":{\"username\":\"v-token-readonly-8d3f\",\"password\":\""
            + DYNAMIC_PASSWORD + "\"},\"wrap_info\":null,\"warnings\":null,\"auth\":null}")));
    vault.stubFor(post(urlEqualTo("/v1/auth/token/revoke-accessor")).willReturn(aResponse().withStatus(204)));
    vault.stubFor(any(urlEqualTo("/v1/sys/leases/revoke")).willReturn(aResponse().withStatus(204)));
    vault.stubFor(post(urlEqualTo("/v1/auth/token/revoke-self")).willReturn(aResponse().withStatus(204)));
  }

  static com.github.tomakehurst.wiremock.matching.StringValuePattern body(String json) {
    return equalToJson(json);
  }
}
