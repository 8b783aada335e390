package dev.taskbound.action;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The verifier on its own: the issuer it derives from the runner's variables, and tokens of
 * GitHub.com's issuer checked against keys a {@link GithubOidcStub} serves. The refusals a forged
 * token meets in the action are {@link ActionMainTest}'s.
 */
class OidcTokenVerifierTest {
  private static final String AUDIENCE = "https://vault.example";

  private final GithubOidcStub github = new GithubOidcStub();
  /** GitHub.com's issuer, its keys on the stub, bound to the stub's repository and run. */
  private final OidcTokenVerifier verifier = new OidcTokenVerifier(OidcTokenVerifier.GITHUB_COM_ISSUER,
      URI.create(github.serverUrl() + GithubOidcStub.KEYS_PATH), GithubOidcStub.REPOSITORY, GithubOidcStub.RUN_ID,
      GithubOidcStub.RUN_ATTEMPT);

  @AfterEach
  void stopGithub() {
    github.close();
  }

  @Test
  void takesGithubComsIssuerAndKeysForGithubCom() {
    OidcTokenVerifier forGithubCom = OidcTokenVerifier.forThisRun(runner("https://github.com/"));

    assertThat(forGithubCom.issuer()).isEqualTo("https://token.actions.githubusercontent.com");
    assertThat(forGithubCom.keys()).hasToString("https://token.actions.githubusercontent.com/.well-known/jwks");
  }

  @Test
  void takesAnEnterpriseServersIssuerAndKeysUnderItsOwnHost() {
    OidcTokenVerifier forServer = OidcTokenVerifier.forThisRun(runner("https://ghe.example.com"));

    assertThat(forServer.issuer()).isEqualTo("https://ghe.example.com/_services/token");
    assertThat(forServer.keys()).hasToString("https://ghe.example.com/_services/token/.well-known/jwks");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', nullValues = "-", value = {
      "no server          | -                               | acme/app | 77 | the runner set no GITHUB_SERVER_URL",
      "no repository      | https://github.com              | -        | 77 | the runner set no GITHUB_REPOSITORY",
      "no run             | https://github.com              | acme/app | -  | the runner set no GITHUB_RUN_ID",
      "plain http         | http://ghe.example.com          | acme/app | 77 | GITHUB_SERVER_URL is 'http://ghe.example.com'" + ACCEPTED,
      "a path             | https://ghe.example.com/github  | acme/app | 77 | GITHUB_SERVER_URL is 'https://ghe.example.com/github'" + ACCEPTED,
      "a query            | https://ghe.example.com?x=1     | acme/app | 77 | GITHUB_SERVER_URL is 'https://ghe.example.com?x=1'" + ACCEPTED,
      "credentials        | https://u:p@ghe.example.com     | acme/app | 77 | GITHUB_SERVER_URL is a URL with a user" + ACCEPTED,
  })
  void refusesRunnerVariablesItCannotDeriveTheIssuerOrTheRunFrom(String name, String server, String repository, String run,
      String reason) {
    Map<String, String> env = new HashMap<>();
    putIfSet(env, "GITHUB_SERVER_URL", server);
    putIfSet(env, "GITHUB_REPOSITORY", repository);
    putIfSet(env, "GITHUB_RUN_ID", run);
    env.put("GITHUB_RUN_ATTEMPT", "1");

    assertThatThrownBy(() -> OidcTokenVerifier.forThisRun(env)).isInstanceOf(ActionInputException.class)
        .hasMessage("the job's OIDC token cannot be verified: " + reason + "; none of its claims are used");
  }

  private static final String ACCEPTED =
      "; accepted is https://HOST[:PORT] (http:// only on loopback) without user, path, query or fragment";

  @Test
  void acceptsGithubComsTokenSignedByTheIssuersKeyAndKeepsTheTokenOutOfItsToString() {
    String token = GithubOidcStub.sign(GithubOidcStub.claims(OidcTokenVerifier.GITHUB_COM_ISSUER, AUDIENCE).build());

    OidcTokenVerifier.VerifiedToken verified = verifier.verify(token, AUDIENCE);

    assertThat(verified.serialized()).isEqualTo(token);
    assertThat(verified.claims().getClaim("run_id")).isEqualTo("5964880612");
    assertThat(verified.claims().getIssuer()).isEqualTo("https://token.actions.githubusercontent.com");
    assertThat(verified).hasToString("VerifiedToken[iss=https://token.actions.githubusercontent.com, token redacted]");
    assertThat(github.requests()).containsExactly(GithubOidcStub.KEYS_REQUEST_LINE);
  }

  @Test
  void acceptsATokenThatExpiredLessThanTheClockSkewAgo() {
    Instant issued = Instant.now().minus(Duration.ofMinutes(10));
    String token = GithubOidcStub.sign(GithubOidcStub.claims(OidcTokenVerifier.GITHUB_COM_ISSUER, AUDIENCE)
        .issueTime(Date.from(issued)).expirationTime(Date.from(Instant.now().minusSeconds(30))).build());

    OidcTokenVerifier.VerifiedToken verified = verifier.verify(token, AUDIENCE);

    assertThat(verified.claims().getClaim("repository")).isEqualTo("acme/app");
  }

  @Test
  void refusesATokenNotYetValid() {
    String token = GithubOidcStub.sign(GithubOidcStub.claims(OidcTokenVerifier.GITHUB_COM_ISSUER, AUDIENCE)
        .notBeforeTime(Date.from(Instant.now().plus(Duration.ofMinutes(10)))).build());

    assertThatThrownBy(() -> verifier.verify(token, AUDIENCE)).isInstanceOf(ActionInputException.class)
        .hasMessage("the job's OIDC token is not accepted: its claims are refused (JWT before use time)" + accepted());
  }

  @Test
  void refusesATokenWithoutARunId() {
    String token = GithubOidcStub.sign(GithubOidcStub.claims(OidcTokenVerifier.GITHUB_COM_ISSUER, AUDIENCE)
        .claim("run_id", null).build());

    assertThatThrownBy(() -> verifier.verify(token, AUDIENCE)).isInstanceOf(ActionInputException.class)
        .hasMessage("the job's OIDC token is not accepted: its claims are refused (JWT missing required claims: [run_id])"
            + accepted());
  }

  /** The classic confusion: HS256 with the issuer's public key as the secret; refused before any key is fetched. */
  @Test
  void refusesATokenMacedWithTheIssuersPublicKey() throws JOSEException {
    SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID(GithubOidcStub.KID).type(JOSEObjectType.JWT)
        .build(), GithubOidcStub.claims(OidcTokenVerifier.GITHUB_COM_ISSUER, AUDIENCE).build());
    jwt.sign(new MACSigner(GithubOidcStub.KEY.getPublic().getEncoded()));
    String token = jwt.serialize();

    assertThatThrownBy(() -> verifier.verify(token, AUDIENCE)).isInstanceOf(ActionInputException.class)
        .hasMessage("the job's OIDC token is not accepted: it is not signed with RS256" + accepted());
    assertThat(github.requests()).isEmpty();
  }

  @Test
  void saysWhereTheIssuersKeysCouldNotBeFetched() {
    OidcTokenVerifier elsewhere = new OidcTokenVerifier(OidcTokenVerifier.GITHUB_COM_ISSUER,
        URI.create(github.serverUrl() + "/no-keys-here"), GithubOidcStub.REPOSITORY, GithubOidcStub.RUN_ID,
      GithubOidcStub.RUN_ATTEMPT);
    String token = GithubOidcStub.sign(GithubOidcStub.claims(OidcTokenVerifier.GITHUB_COM_ISSUER, AUDIENCE).build());

    assertThatThrownBy(() -> elsewhere.verify(token, AUDIENCE)).isInstanceOf(ActionInputException.class)
        .hasMessage("the job's OIDC token cannot be verified: its issuer's keys cannot be fetched from " + github.serverUrl()
            + "/no-keys-here (HTTP 404); none of its claims are used");
  }

  private String accepted() {
    return "; accepted is an RS256 token signed by a key at " + github.serverUrl() + GithubOidcStub.KEYS_PATH
        + " with iss 'https://token.actions.githubusercontent.com', aud '" + AUDIENCE + "', unexpired, repository 'acme/app'"
        + ", run_id '5964880612' and run_attempt '2' (this run); none of its claims are used";
  }

  private static Map<String, String> runner(String server) {
    return Map.of("GITHUB_SERVER_URL", server, "GITHUB_REPOSITORY", "acme/app", "GITHUB_RUN_ID", "77", "GITHUB_RUN_ATTEMPT", "1");
  }

  private static void putIfSet(Map<String, String> env, String name, String value) {
    if (value != null) {
      env.put(name, value);
    }
  }
}
