package dev.taskbound.core.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.SignedJWT;
import io.spiffe.bundle.jwtbundle.JwtBundle;
import io.spiffe.exception.AuthorityNotFoundException;
import io.spiffe.exception.JwtSvidException;
import io.spiffe.spiffeid.TrustDomain;
import io.spiffe.svid.jwtsvid.JwtSvid;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class IdentityIssuerTest {
  private static final String TRUST_DOMAIN = "ci.example.org";
  private static final String AUDIENCE = "vault.example.org";
  private static final TaskId TASK = TaskId.parse("JIRA-42");
  private static final SessionId SESSION = SessionId.parse("01jq8m3v0p0000000000");
  private static final String AUD_ACCEPTED = "accepted: 1 to 256 characters without whitespace";

  private final Clock clock = Clock.systemUTC();

  @TempDir Path dir;

  private IdentityRequest request(String audience, Instant expiresAt) {
    Map<String, Object> claims = new LinkedHashMap<>();
    claims.put("repository", "acme/widgets");
    claims.put("run_url", "https://ci.example.org/job/widgets/17/");
    claims.put("profile", "default");
    claims.put("policy_digest", "sha256:abc");
    claims.put("scopes", List.of("contents:read", "vault:db-readonly"));
    return new IdentityRequest(TRUST_DOMAIN, TASK, SESSION, audience, expiresAt, claims);
  }

  private static JwtBundle bundle(String jwksJson) throws Exception {
    return JwtBundle.parse(TrustDomain.parse(TRUST_DOMAIN), jwksJson.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void mintedTokenValidatesWithJavaSpiffe() throws Exception {
    IdentityIssuer issuer = IdentityIssuer.generate(clock);
    TaskIdentity identity = issuer.mint(request(AUDIENCE, clock.instant().plus(Duration.ofMinutes(30))));

    JwtSvid svid = JwtSvid.parseAndValidate(identity.token(), bundle(issuer.jwksJson()), Set.of(AUDIENCE));

    assertThat(svid.getSpiffeId().toString()).isEqualTo("spiffe://ci.example.org/task/JIRA-42/01jq8m3v0p0000000000");
    assertThat(svid.getAudience()).containsExactly(AUDIENCE);
    assertThat(svid.getClaims()).containsEntry("task", "JIRA-42").containsEntry("session", SESSION.value())
        .containsEntry("repository", "acme/widgets").containsEntry("policy_digest", "sha256:abc")
        .containsEntry("scopes", List.of("contents:read", "vault:db-readonly"));
    assertThat(identity.spiffeId()).isEqualTo(SpiffeId.forTask(TRUST_DOMAIN, TASK, SESSION));
  }

  @Test
  void tokenHeaderIsEs256WithKidAndTypJwt() throws Exception {
    IdentityIssuer issuer = IdentityIssuer.generate(clock);

    TaskIdentity identity = issuer.mint(request(AUDIENCE, clock.instant().plus(Duration.ofMinutes(5))));

    SignedJWT jwt = SignedJWT.parse(identity.token());
    assertThat(jwt.getHeader().getAlgorithm()).isEqualTo(JWSAlgorithm.ES256);
    assertThat(jwt.getHeader().getKeyID()).isEqualTo(issuer.keyId()).isEqualTo(identity.keyId());
    assertThat(jwt.getHeader().getType()).isEqualTo(JOSEObjectType.JWT);
    assertThat(jwt.getJWTClaimsSet().getAudience()).containsExactly(AUDIENCE);
    assertThat(jwt.getJWTClaimsSet().getJWTID()).isNotBlank();
    assertThat(jwt.getJWTClaimsSet().getIssueTime()).isNotNull();
  }

  @Test
  void expiryIsRoundedDownSoItNeverPassesTheSessionEnd() throws Exception {
    Instant now = Instant.parse("2026-11-27T10:00:00Z");
    IdentityIssuer issuer = IdentityIssuer.generate(Clock.fixed(now, ZoneOffset.UTC));
    Instant ttlEnd = now.plusSeconds(600).plusMillis(999);

    TaskIdentity identity = issuer.mint(request(AUDIENCE, ttlEnd));

    assertThat(identity.expiresAt()).isEqualTo(now.plusSeconds(600));
    assertThat(SignedJWT.parse(identity.token()).getJWTClaimsSet().getExpirationTime().toInstant()).isEqualTo(now.plusSeconds(600));
    assertThat(identity.claims()).containsEntry("exp", now.plusSeconds(600).getEpochSecond()).containsEntry("aud", AUDIENCE);
  }

  @Test
  void jwksKeyCarriesUseJwtSvidAndThumbprintKid() throws Exception {
    IdentityIssuer issuer = IdentityIssuer.generate(clock);

    JWKSet set = JWKSet.parse(issuer.jwksJson());

    assertThat(set.getKeys()).hasSize(1);
    JWK key = set.getKeys().get(0);
    assertThat(key.getKeyUse().getValue()).isEqualTo("jwt-svid");
    assertThat(key.getKeyID()).isEqualTo(issuer.keyId()).isEqualTo(key.computeThumbprint().toString());
    assertThat(key.isPrivate()).isFalse();
    assertThat(issuer.jwksJson()).doesNotContain("\"d\"");
  }

  @Test
  void rejectsTokenForAnotherAudience() throws Exception {
    IdentityIssuer issuer = IdentityIssuer.generate(clock);
    TaskIdentity identity = issuer.mint(request(AUDIENCE, clock.instant().plus(Duration.ofMinutes(5))));
    JwtBundle bundle = bundle(issuer.jwksJson());

    assertThatThrownBy(() -> JwtSvid.parseAndValidate(identity.token(), bundle, Set.of("other.example.org")))
        .isInstanceOf(JwtSvidException.class)
        .hasMessageContaining("expected audience");
  }

  @Test
  void rejectsExpiredToken() throws Exception {
    // The issuer's clock is two hours behind, so a one-hour token is already expired in real time.
    Clock past = Clock.offset(Clock.systemUTC(), Duration.ofHours(-2));
    IdentityIssuer issuer = IdentityIssuer.generate(past);
    TaskIdentity identity = issuer.mint(request(AUDIENCE, past.instant().plus(Duration.ofHours(1))));
    JwtBundle bundle = bundle(issuer.jwksJson());

    assertThatThrownBy(() -> JwtSvid.parseAndValidate(identity.token(), bundle, Set.of(AUDIENCE)))
        .isInstanceOf(JwtSvidException.class)
        .hasMessage("Token has expired");
  }

  @Test
  void rejectsTokenSignedByAnotherKey() throws Exception {
    IdentityIssuer trusted = IdentityIssuer.generate(clock);
    IdentityIssuer other = IdentityIssuer.generate(clock);
    TaskIdentity forged = other.mint(request(AUDIENCE, clock.instant().plus(Duration.ofMinutes(5))));
    JwtBundle bundle = bundle(trusted.jwksJson());

    assertThatThrownBy(() -> JwtSvid.parseAndValidate(forged.token(), bundle, Set.of(AUDIENCE)))
        .isInstanceOf(AuthorityNotFoundException.class);
  }

  @Test
  void rejectsTokenSignedByAnotherKeyThatClaimsTheTrustedKid() throws Exception {
    IdentityIssuer trusted = IdentityIssuer.generate(clock);
    IdentityIssuer other = IdentityIssuer.generate(clock);
    TaskIdentity forged = other.mint(request(AUDIENCE, clock.instant().plus(Duration.ofMinutes(5))));
    JwtBundle bundle = bundle(trusted.jwksJson());
    // Publish the trusted public key under the forger's kid: only the signature can tell them apart.
    bundle.putJwtAuthority(other.keyId(), bundle.findJwtAuthority(trusted.keyId()));

    assertThatThrownBy(() -> JwtSvid.parseAndValidate(forged.token(), bundle, Set.of(AUDIENCE)))
        .isInstanceOf(JwtSvidException.class)
        .hasMessageStartingWith("Signature invalid");
  }

  @Test
  void aPlatformSuppliedKeyIsLoadedWithItsKidAndMintsTokensItsJwkSetValidates() throws Exception {
    com.nimbusds.jose.jwk.ECKey supplied = new com.nimbusds.jose.jwk.gen.ECKeyGenerator(com.nimbusds.jose.jwk.Curve.P_256)
        .keyIDFromThumbprint(true).generate();
    Path file = Files.writeString(dir.resolve("issuer.jwk"), supplied.toJSONString());

    IdentityIssuer loaded = IdentityIssuer.load(file, clock);
    TaskIdentity identity = loaded.mint(request(AUDIENCE, clock.instant().plus(Duration.ofMinutes(5))));

    assertThat(loaded.keyId()).isEqualTo(supplied.getKeyID());
    assertThat(loaded.jwksJson()).doesNotContain("\"d\"").contains("\"use\":\"jwt-svid\"");
    assertThat(JwtSvid.parseAndValidate(identity.token(), bundle(loaded.jwksJson()), Set.of(AUDIENCE))).isNotNull();
  }

  @Test
  void loadRejectsAPublicKeyFileWithoutEchoingIt() throws Exception {
    IdentityIssuer issuer = IdentityIssuer.generate(clock);
    Path file = dir.resolve("public.jwk");
    Files.writeString(file, JWKSet.parse(issuer.jwksJson()).getKeys().get(0).toJSONString());

    assertThatThrownBy(() -> IdentityIssuer.load(file, clock))
        .isExactlyInstanceOf(IdentityException.class)
        .hasMessage("cannot load identity key: " + file + ": holds only a public key; expected the private key (member d)")
        .extracting(e -> ((IdentityException) e).exitCode()).isEqualTo(122);
  }

  @Test
  void toStringNeverContainsTheToken() {
    IdentityIssuer issuer = IdentityIssuer.generate(clock);

    TaskIdentity identity = issuer.mint(request(AUDIENCE, clock.instant().plus(Duration.ofMinutes(5))));

    assertThat(identity.toString()).doesNotContain(identity.token()).contains(identity.fingerprint())
        .doesNotContain(identity.token().substring(identity.token().lastIndexOf('.') + 1));
    assertThat(identity.claimsJson()).doesNotContain(identity.token());
    assertThat(identity.fingerprint()).matches("sha256:[0-9a-f]{12}");
  }

  @ParameterizedTest(name = "[{index}] ''{0}''")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '"',
      value = {
        "\"\"                     | audience is empty; " + AUD_ACCEPTED,
        "\"vault example\"        | audience 'vault example' has whitespace or a control character (U+0020) at position 6; " + AUD_ACCEPTED,
        "\"vault\texample\"       | audience 'vault\\texample' has whitespace or a control character (U+0009) at position 6; " + AUD_ACCEPTED,
        "\" vault\"               | audience ' vault' has whitespace or a control character (U+0020) at position 1; " + AUD_ACCEPTED,
      })
  void rejectsBadAudiences(String audience, String message) {
    IdentityIssuer issuer = IdentityIssuer.generate(clock);

    assertThatThrownBy(() -> issuer.mint(request(audience, clock.instant().plusSeconds(60))))
        .isExactlyInstanceOf(IdentityInputException.class)
        .hasMessage(message);
  }

  @Test
  void rejectsAudienceLongerThan256Characters() {
    IdentityIssuer issuer = IdentityIssuer.generate(clock);
    String audience = "x".repeat(257);

    assertThatThrownBy(() -> issuer.mint(request(audience, clock.instant().plusSeconds(60))))
        .isExactlyInstanceOf(IdentityInputException.class)
        .hasMessage("audience '" + "x".repeat(40) + "...' is 257 characters long; " + AUD_ACCEPTED);
  }

  @Test
  void rejectsExpiryInThePastAndBeyond24Hours() {
    Instant now = Instant.parse("2026-11-27T10:00:00Z");
    IdentityIssuer issuer = IdentityIssuer.generate(Clock.fixed(now, ZoneOffset.UTC));

    assertThatThrownBy(() -> issuer.mint(request(AUDIENCE, now)))
        .isExactlyInstanceOf(IdentityInputException.class)
        .hasMessage("identity expiry 2026-11-27T10:00:00Z is not after now (2026-11-27T10:00:00Z); expected a time up to 24h ahead");
    assertThatThrownBy(() -> issuer.mint(request(AUDIENCE, now.plus(Duration.ofHours(24)).plusSeconds(1))))
        .isExactlyInstanceOf(IdentityInputException.class)
        .hasMessage("identity expiry 2026-11-28T10:00:01Z is more than 24h after now (2026-11-27T10:00:00Z); at most 24h accepted");
  }

  @Test
  void rejectsBadTrustDomainWhenMinting() {
    IdentityIssuer issuer = IdentityIssuer.generate(clock);
    IdentityRequest bad = new IdentityRequest("CI.example.org", TASK, SESSION, AUDIENCE, clock.instant().plusSeconds(60), Map.of());

    assertThatThrownBy(() -> issuer.mint(bad))
        .isExactlyInstanceOf(IdentityInputException.class)
        .hasMessage("trust domain 'CI.example.org' has character 'C' at position 1; accepted: 1 to 255 characters of lowercase a-z 0-9 . _ -");
  }

  @Test
  void rejectsClaimsTheIssuerOwns() {
    IdentityIssuer issuer = IdentityIssuer.generate(clock);
    IdentityRequest bad = new IdentityRequest(TRUST_DOMAIN, TASK, SESSION, AUDIENCE, clock.instant().plusSeconds(60), Map.of("sub", "spiffe://evil/x"));

    assertThatThrownBy(() -> issuer.mint(bad))
        .isExactlyInstanceOf(IdentityInputException.class)
        .hasMessage("claim 'sub' is set by the issuer and may not be given; reserved: aud, exp, iat, iss, jti, nbf, session, sub, task");
  }
}
