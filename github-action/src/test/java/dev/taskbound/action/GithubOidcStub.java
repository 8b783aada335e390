package dev.taskbound.action;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * GitHub's OIDC endpoints on loopback (WireMock), shaped after the documented payloads: the runner's
 * token URL ({@code GET <ACTIONS_ID_TOKEN_REQUEST_URL>&audience=A} with {@code Authorization: bearer
 * <ACTIONS_ID_TOKEN_REQUEST_TOKEN>}, answer {@code {"count":1,"value":"<jwt>"}}) and the issuer's key
 * set, laid out as on an Enterprise Server whose {@code GITHUB_SERVER_URL} is this stub: issuer
 * {@code <server>/_services/token}, keys at {@code <issuer>/.well-known/jwks}. Tokens are signed
 * as GitHub signs them (RS256, {@code typ: JWT}, a {@code kid}) with a test key; requests the stub
 * has no answer for get 404, and {@link #requests()} lists every request in arrival order.
 */
final class GithubOidcStub implements AutoCloseable {
  static final String REQUEST_TOKEN = "sentinel-request-token";
  static final String REPOSITORY = "acme/app";
  static final String RUN_ID = "5964880612";
  static final String RUN_ATTEMPT = "2";
  static final String TOKEN_PATH = "/_apis/distributedtask/hubs/Actions/plans/p1/jobs/j1/idtoken?api-version=2.0";
  static final String KEYS_PATH = "/_services/token/.well-known/jwks";
  static final String KID = "38826b17-6a30-5f9b-b169-8beb8202f723";

  /** The issuer's signing key; generated once, as generating one costs. */
  static final KeyPair KEY = newKey();

  private final WireMockServer server = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));

  /** Starts the stub, serving the issuer's key set ({@link #KEY} only). */
  GithubOidcStub() {
    server.start();
    server.stubFor(get(urlEqualTo(KEYS_PATH)).willReturn(json(keySet(KEY))));
  }

  /** The runner's {@code GITHUB_SERVER_URL} for an Enterprise Server at this stub. */
  String serverUrl() {
    return "http://127.0.0.1:" + server.port();
  }

  /** The issuer GitHub names in this stub's tokens. */
  String issuer() {
    return serverUrl() + "/_services/token";
  }

  /** The runner's {@code ACTIONS_ID_TOKEN_REQUEST_URL}. */
  String tokenUrl() {
    return serverUrl() + TOKEN_PATH;
  }

  /**
   * Sets what the runner sets for a job with {@code permissions: id-token: write} in this stub's
   * server, repository {@link #REPOSITORY}, run {@link #RUN_ID}, attempt {@link #RUN_ATTEMPT}.
   */
  void putRunnerVariables(Map<String, String> env) {
    env.put("ACTIONS_ID_TOKEN_REQUEST_URL", tokenUrl());
    env.put("ACTIONS_ID_TOKEN_REQUEST_TOKEN", REQUEST_TOKEN);
    env.put("GITHUB_SERVER_URL", serverUrl());
    env.put("GITHUB_REPOSITORY", REPOSITORY);
    env.put("GITHUB_RUN_ID", RUN_ID);
    env.put("GITHUB_RUN_ATTEMPT", RUN_ATTEMPT);
    env.put("GITHUB_API_URL", apiUrl());
  }

  /** The runner's {@code GITHUB_API_URL} for an Enterprise Server at this stub. */
  String apiUrl() {
    return serverUrl() + "/api/v3";
  }

  /** The path of GitHub's "Get an environment" for {@code name} (already URL-encoded) in {@link #REPOSITORY}. */
  static String environmentPath(String name) {
    return "/api/v3/repos/" + REPOSITORY + "/environments/" + name;
  }

  /** Answers "Get an environment" for {@code name} (URL-encoded) with {@code status} and the JSON {@code body}. */
  GithubOidcStub environment(String name, int status, String body) {
    server.stubFor(get(urlEqualTo(environmentPath(name)))
        .willReturn(aResponse().withStatus(status).withHeader("Content-Type", "application/json").withBody(body)));
    return this;
  }

  /** Answers the token request for {@code audience} (with the request token as bearer) with {@code jwt}. */
  GithubOidcStub answers(String audience, String jwt) {
    server.stubFor(get(urlEqualTo(tokenRequest(audience))).withHeader("Authorization", equalTo("bearer " + REQUEST_TOKEN))
        .willReturn(json("{\"count\":1,\"value\":\"" + jwt + "\"}")));
    return this;
  }

  /** The path and query of the token request for {@code audience}. */
  static String tokenRequest(String audience) {
    return TOKEN_PATH + "&audience=" + URLEncoder.encode(audience, StandardCharsets.UTF_8);
  }

  /**
   * The documented claims of a push to main in this run: issued now, valid from five minutes ago
   * for an hour, for {@code audience}.
   */
  JWTClaimsSet.Builder claims(String audience) {
    return claims(issuer(), audience);
  }

  /** As {@link #claims(String)}, naming {@code issuer}. */
  static JWTClaimsSet.Builder claims(String issuer, String audience) {
    Instant now = Instant.now();
    return new JWTClaimsSet.Builder()
        .jwtID(UUID.randomUUID().toString())
        .subject("repo:acme/app:ref:refs/heads/main")
        .audience(audience)
        .issuer(issuer)
        .issueTime(Date.from(now))
        .notBeforeTime(Date.from(now.minus(Duration.ofMinutes(5))))
        .expirationTime(Date.from(now.plus(Duration.ofHours(1))))
        .claim("ref", "refs/heads/main")
        .claim("ref_type", "branch")
        .claim("sha", "0123456789abcdef0123456789abcdef01234567")
        .claim("repository", REPOSITORY)
        .claim("repository_owner", "acme")
        .claim("actor", "octocat")
        .claim("workflow_ref", "acme/app/.github/workflows/agent.yml@refs/heads/main")
        .claim("job_workflow_ref", "acme/app/.github/workflows/agent.yml@refs/heads/main")
        .claim("run_id", RUN_ID)
        .claim("run_number", "12")
        .claim("run_attempt", RUN_ATTEMPT)
        .claim("event_name", "push")
        .claim("runner_environment", "github-hosted");
  }

  /** {@code claims} signed with {@link #KEY} as GitHub signs: RS256, {@code kid} {@link #KID}, {@code typ: JWT}. */
  static String sign(JWTClaimsSet claims) {
    return sign(claims, KEY);
  }

  /** {@code claims} signed with {@code key}, under {@link #KID}: a forgery when {@code key} is not {@link #KEY}. */
  static String sign(JWTClaimsSet claims, KeyPair key) {
    SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(KID).type(JOSEObjectType.JWT).build(), claims);
    try {
      jwt.sign(new RSASSASigner(key.getPrivate()));
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
    return jwt.serialize();
  }

  /** {@code claims} without a signature ({@code alg: none}). */
  static String unsigned(JWTClaimsSet claims) {
    return new PlainJWT(claims).serialize();
  }

  /** A fresh RSA key pair, for forgeries. */
  static KeyPair newKey() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
      generator.initialize(2048);
      return generator.generateKeyPair();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The public JWK set of {@code key}, as GitHub publishes its keys (without the certificate chain). */
  static String keySet(KeyPair key) {
    return new JWKSet(new RSAKey.Builder((RSAPublicKey) key.getPublic()).keyID(KID).keyUse(KeyUse.SIGNATURE)
        .algorithm(JWSAlgorithm.RS256).build()).toString();
  }

  /** Every request in arrival order: method, path and query, and the Authorization header or {@code no-auth}. */
  List<String> requests() {
    List<ServeEvent> events = new ArrayList<>(server.getAllServeEvents()); // newest first
    Collections.reverse(events);
    return events.stream().map(ServeEvent::getRequest).map(r -> r.getMethod() + " " + r.getUrl() + " "
        + (r.containsHeader("Authorization") ? r.getHeader("Authorization") : "no-auth")).toList();
  }

  /** The token request for {@code audience} as {@link #requests()} lists it. */
  static String tokenRequestLine(String audience) {
    return "GET " + tokenRequest(audience) + " bearer " + REQUEST_TOKEN;
  }

  /** The key set request as {@link #requests()} lists it: no credential goes to the issuer. */
  static final String KEYS_REQUEST_LINE = "GET " + KEYS_PATH + " no-auth";

  @Override
  public void close() {
    server.stop();
  }

  private static com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder json(String body) {
    return aResponse().withStatus(200).withHeader("Content-Type", "application/json").withBody(body);
  }
}
