package dev.taskbound.core.broker.github;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.delete;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jwt.SignedJWT;
import java.security.KeyPair;
import java.security.interfaces.RSAPublicKey;
import java.text.ParseException;

/**
 * GitHub App API stubs for one App (id {@value #APP_ID}) installed on {@code acme/app}
 * (installation {@value #INSTALLATION_ID}), with bodies following GitHub's documented responses:
 * find the installation, create an installation token, list the token's repositories, revoke it.
 */
public final class GithubStubs {
  public static final String APP_ID = "12345";
  public static final long INSTALLATION_ID = 42;
  public static final String TOKEN = "ghs_SENTINELe2eTOKEN0123456789abcdefghijXYZ";
  public static final String REFRESHED_TOKEN = "ghs_SENTINELe2eREFRESHED0123456789abcdefghij";
  public static final String ACCESS_TOKENS_PATH = "/app/installations/" + INSTALLATION_ID + "/access_tokens";
  /** The create-token body for {@code repositories: [acme/app]}, {@code permissions: {contents: read}}. */
  public static final String CREATE_BODY = "{\"repositories\":[\"app\"],\"permissions\":{\"contents\":\"read\"}}";

  private GithubStubs() {}

  /** The App, its installation on acme/app, a token create answering {@link #TOKEN}, its use and revoke (204). */
  public static void stubApp(WireMockServer github) {
    github.stubFor(get(urlEqualTo("/app")).willReturn(okJson(
        "{\"id\":" + APP_ID + ",\"slug\":\"taskbound-test\",\"name\":\"Taskbound test\",\"owner\":{\"login\":\"acme\"}}")));
    github.stubFor(get(urlEqualTo("/repos/acme/app/installation")).willReturn(okJson(
        "{\"id\":" + INSTALLATION_ID + ",\"app_id\":" + APP_ID + ",\"account\":{\"login\":\"acme\",\"type\":\"Organization\"},"
            + "\"access_tokens_url\":\"" + github.baseUrl() + ACCESS_TOKENS_PATH + "\","
            + "\"repository_selection\":\"selected\",\"target_type\":\"Organization\","
            + "\"permissions\":{\"contents\":\"write\",\"metadata\":\"read\"}}")));
    github.stubFor(post(urlEqualTo(ACCESS_TOKENS_PATH)).willReturn(tokenResponse(TOKEN)));
    stubRepositoriesFor(github, TOKEN);
    github.stubFor(delete(urlEqualTo("/installation/token")).willReturn(aResponse().withStatus(204)));
  }

  /** The first token create answers {@link #TOKEN}, every later one {@link #REFRESHED_TOKEN}, which the API then accepts. */
  public static void stubRefresh(WireMockServer github) {
    github.stubFor(post(urlEqualTo(ACCESS_TOKENS_PATH)).atPriority(1)
        .inScenario("refresh").whenScenarioStateIs(Scenario.STARTED)
        .willSetStateTo("refreshed").willReturn(tokenResponse(TOKEN)));
    github.stubFor(post(urlEqualTo(ACCESS_TOKENS_PATH)).atPriority(1)
        .inScenario("refresh").whenScenarioStateIs("refreshed").willReturn(tokenResponse(REFRESHED_TOKEN)));
    stubRepositoriesFor(github, REFRESHED_TOKEN);
  }

  /** {@code GET /installation/repositories} answers acme/app to a request authenticated with {@code token}. */
  public static void stubRepositoriesFor(WireMockServer github, String token) {
    github.stubFor(get(urlEqualTo("/installation/repositories"))
        .withHeader("Authorization", equalTo("token " + token))
        .willReturn(okJson("{\"total_count\":1,\"repositories\":[{\"id\":1,\"full_name\":\"acme/app\"}]}")));
  }

  /** The 201 of {@code POST /app/installations/{id}/access_tokens}. */
  public static ResponseDefinitionBuilder tokenResponse(String token) {
    return aResponse().withStatus(201).withHeader("Content-Type", "application/json")
        .withBody("{\"token\":\"" + token + "\",\"expires_at\":\"2026-11-27T13:00:00Z\","
            + "\"permissions\":{\"contents\":\"read\"},\"repository_selection\":\"selected\","
            + "\"repositories\":[{\"id\":1,\"name\":\"app\",\"full_name\":\"acme/app\"}]}");
  }

  public static ResponseDefinitionBuilder okJson(String body) {
    return aResponse().withStatus(200).withHeader("Content-Type", "application/json; charset=utf-8").withBody(body);
  }

  /**
   * Whether an {@code Authorization} header is {@code Bearer} + an App JWT: RS256, signed by the
   * App's key, issued by {@link #APP_ID}.
   */
  public static boolean isAppJwt(String authorization, KeyPair appKey) {
    if (authorization == null || !authorization.startsWith("Bearer ")) {
      return false;
    }
    try {
      SignedJWT jwt = SignedJWT.parse(authorization.substring("Bearer ".length()));
      return jwt.verify(new RSASSAVerifier((RSAPublicKey) appKey.getPublic()))
          && APP_ID.equals(jwt.getJWTClaimsSet().getIssuer());
    } catch (ParseException | JOSEException e) {
      return false;
    }
  }
}
