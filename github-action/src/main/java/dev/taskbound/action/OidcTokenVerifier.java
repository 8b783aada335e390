package dev.taskbound.action;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.JWTParser;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.proc.BadJWTException;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.text.ParseException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Verifies the job's GitHub Actions OIDC token before the action trusts anything in it: an RS256
 * signature by a key of the issuer's JWK set, {@code iss} exactly the issuer, {@code aud} including
 * the audience the action asked for, {@code exp} and {@code nbf} within {@link #MAX_CLOCK_SKEW}, and
 * the token bound to this attempt of this run ({@code repository}, {@code run_id} and
 * {@code run_attempt} equal to the runner's {@code GITHUB_REPOSITORY}, {@code GITHUB_RUN_ID} and
 * {@code GITHUB_RUN_ATTEMPT}: a token of an earlier attempt, which may have run in another
 * environment or been leaked by its agent, is not this job's).
 *
 * <p>Everything it trusts comes from the runner's {@code GITHUB_*} variables, which the runner sets
 * after the step's own {@code env:}, so a job cannot choose them; the token's URL
 * ({@code ACTIONS_ID_TOKEN_REQUEST_URL}) can be the job's own when the job lacks {@code id-token:
 * write}, which is why the token is checked at all. The issuer is
 * {@code https://token.actions.githubusercontent.com} for {@code GITHUB_SERVER_URL}
 * {@code https://github.com}, else {@code <GITHUB_SERVER_URL>/_services/token} (GitHub Enterprise
 * Server); its keys are at {@code <issuer>/.well-known/jwks}, fetched once per verification without
 * credentials or redirects. Immutable and thread-safe.
 */
final class OidcTokenVerifier {
  /** The issuer of GitHub.com's Actions tokens, which publishes its keys at {@code /.well-known/jwks}. */
  static final String GITHUB_COM_ISSUER = "https://token.actions.githubusercontent.com";

  /** How far {@code exp} and {@code nbf} may be off this machine's clock. */
  static final Duration MAX_CLOCK_SKEW = Duration.ofSeconds(60);

  private static final Duration TIMEOUT = Duration.ofSeconds(30);
  private static final int MAX_QUOTED = 200;

  private final String issuer;
  private final URI keys;
  private final String repository;
  private final String runId;
  private final String runAttempt;

  /**
   * A verifier for tokens of {@code issuer}, whose keys are at {@code keys}, bound to attempt
   * {@code runAttempt} of run {@code runId} of {@code repository}.
   */
  OidcTokenVerifier(String issuer, URI keys, String repository, String runId, String runAttempt) {
    this.issuer = Objects.requireNonNull(issuer, "issuer");
    this.keys = Objects.requireNonNull(keys, "keys");
    this.repository = Objects.requireNonNull(repository, "repository");
    this.runId = Objects.requireNonNull(runId, "runId");
    this.runAttempt = Objects.requireNonNull(runAttempt, "runAttempt");
  }

  /**
   * The verifier for this run, from the runner's {@code GITHUB_SERVER_URL}, {@code GITHUB_REPOSITORY},
   * {@code GITHUB_RUN_ID} and {@code GITHUB_RUN_ATTEMPT}.
   *
   * @throws ActionInputException if one is missing, or {@code GITHUB_SERVER_URL} is not an
   *     {@code https://} origin ({@code http://} only on loopback)
   */
  static OidcTokenVerifier forThisRun(Map<String, String> env) {
    String server = required(env, "GITHUB_SERVER_URL");
    String repository = required(env, "GITHUB_REPOSITORY");
    String runId = required(env, "GITHUB_RUN_ID");
    String runAttempt = required(env, "GITHUB_RUN_ATTEMPT");
    String issuer = issuerFor(server);
    return new OidcTokenVerifier(issuer, URI.create(issuer + "/.well-known/jwks"), repository, runId, runAttempt);
  }

  /** The issuer this verifier accepts. */
  String issuer() {
    return issuer;
  }

  /** Where this verifier fetches the issuer's keys. */
  URI keys() {
    return keys;
  }

  /**
   * Verifies {@code token}, a JWS in compact form, for {@code audience}.
   *
   * @return the token with its verified claims
   * @throws ActionInputException with one line naming what failed and what is accepted, never
   *     quoting the token: it is not a signed JWT, not RS256, the issuer's keys cannot be fetched,
   *     its signature is not by one of them, or a claim is refused
   */
  VerifiedToken verify(String token, String audience) {
    Objects.requireNonNull(audience, "audience");
    SignedJWT jwt;
    try {
      JWT parsed = JWTParser.parse(Objects.requireNonNull(token, "token"));
      if (!(parsed instanceof SignedJWT signed)) {
        throw refused(parsed instanceof PlainJWT ? "it is unsigned (alg none)" : "it is not a signed JWT", audience);
      }
      jwt = signed;
    } catch (ParseException e) {
      throw refused("it is not a JWT", audience); // the parser's message may quote the token
    }
    if (!JWSAlgorithm.RS256.equals(jwt.getHeader().getAlgorithm())) {
      throw refused("it is not signed with RS256", audience);
    }
    DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
    processor.setJWSKeySelector(new JWSVerificationKeySelector<>(JWSAlgorithm.RS256, new ImmutableJWKSet<>(fetchKeys())));
    // After the signature: exp and nbf with the skew, and the claims checked below present.
    DefaultJWTClaimsVerifier<SecurityContext> present = new DefaultJWTClaimsVerifier<>(
        new JWTClaimsSet.Builder().build(), Set.of("iss", "aud", "exp", "repository", "run_id", "run_attempt"));
    present.setMaxClockSkew((int) MAX_CLOCK_SKEW.toSeconds());
    processor.setJWTClaimsSetVerifier(present);
    JWTClaimsSet claims;
    try {
      claims = processor.process(jwt, null);
    } catch (BadJWTException e) {
      throw refused("its claims are refused (" + e.getMessage() + ")", audience);
    } catch (BadJOSEException | JOSEException e) {
      throw refused("its signature is not the issuer's (" + e.getMessage() + ")", audience);
    }
    // Signed by the issuer from here on: its values may be quoted.
    if (!issuer.equals(claims.getIssuer())) {
      throw refused("its iss is " + quote(claims.getIssuer()), audience);
    }
    if (!claims.getAudience().contains(audience)) {
      throw refused("its aud is " + claims.getAudience().stream().map(OidcTokenVerifier::quote).collect(Collectors.joining(", ")),
          audience);
    }
    if (!repository.equals(claims.getClaim("repository"))) {
      throw refused("its repository is " + quote(claims.getClaim("repository")), audience);
    }
    if (!runId.equals(claims.getClaim("run_id"))) {
      throw refused("its run_id is " + quote(claims.getClaim("run_id")), audience);
    }
    if (!runAttempt.equals(claims.getClaim("run_attempt"))) { // review finding LOW: another attempt's token
      throw refused("its run_attempt is " + quote(claims.getClaim("run_attempt")), audience);
    }
    return new VerifiedToken(token, claims);
  }

  private JWKSet fetchKeys() {
    HttpResponse<String> response;
    try {
      response = HttpClient.newBuilder().connectTimeout(TIMEOUT).followRedirects(HttpClient.Redirect.NEVER).build().send(
          HttpRequest.newBuilder(keys).timeout(TIMEOUT).header("Accept", "application/json").GET().build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw unverifiable("its issuer's keys cannot be fetched from " + keys + " ("
          + Objects.requireNonNullElse(e.getMessage(), e.getClass().getSimpleName()) + ")");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw unverifiable("interrupted while fetching its issuer's keys from " + keys);
    }
    if (response.statusCode() != 200) {
      throw unverifiable("its issuer's keys cannot be fetched from " + keys + " (HTTP " + response.statusCode() + ")");
    }
    try {
      return JWKSet.parse(response.body()).toPublicJWKSet();
    } catch (ParseException e) {
      throw unverifiable("its issuer's keys at " + keys + " are not a JWK set (" + e.getMessage() + ")");
    }
  }

  private ActionInputException refused(String reason, String audience) {
    return new ActionInputException(List.of("the job's OIDC token is not accepted: " + reason + "; accepted is an RS256 token"
        + " signed by a key at " + keys + " with iss '" + issuer + "', aud '" + audience + "', unexpired, repository '"
        + repository + "', run_id '" + runId + "' and run_attempt '" + runAttempt + "' (this run); none of its claims are used"));
  }

  private static ActionInputException unverifiable(String reason) {
    return new ActionInputException(List.of("the job's OIDC token cannot be verified: " + reason
        + "; none of its claims are used"));
  }

  private static String required(Map<String, String> env, String variable) {
    String value = env.getOrDefault(variable, "").strip();
    if (value.isEmpty()) {
      throw unverifiable("the runner set no " + variable);
    }
    return value;
  }

  /**
   * The issuer for the runner's {@code GITHUB_SERVER_URL}: GitHub.com's, or an Enterprise Server's
   * {@code <server>/_services/token}.
   */
  private static String issuerFor(String server) {
    String accepted = "; accepted is https://HOST[:PORT] (http:// only on loopback) without user, path, query or fragment";
    URI uri;
    try {
      uri = new URI(server.endsWith("/") ? server.substring(0, server.length() - 1) : server);
    } catch (URISyntaxException e) {
      throw unverifiable("GITHUB_SERVER_URL is not a URL" + accepted);
    }
    String scheme = Objects.requireNonNullElse(uri.getScheme(), "").toLowerCase(Locale.ROOT);
    String host = Objects.requireNonNullElse(uri.getHost(), "");
    boolean origin = !host.isEmpty() && uri.getRawUserInfo() == null && uri.getRawPath().isEmpty()
        && uri.getRawQuery() == null && uri.getRawFragment() == null;
    if (!origin || !(scheme.equals("https") || scheme.equals("http") && loopback(host))) {
      throw unverifiable("GITHUB_SERVER_URL is " + (uri.getRawUserInfo() == null ? quote(server) : "a URL with a user") + accepted);
    }
    if (scheme.equals("https") && host.equalsIgnoreCase("github.com") && uri.getPort() == -1) {
      return GITHUB_COM_ISSUER;
    }
    return uri + "/_services/token"; // as the server names itself, which is how it names its issuer
  }

  static boolean loopback(String host) {
    if (host.equalsIgnoreCase("localhost")) {
      return true;
    }
    boolean literal = host.startsWith("[") || host.chars().allMatch(c -> Character.isDigit(c) || c == '.');
    try {
      return literal && InetAddress.getByName(host).isLoopbackAddress(); // a literal: no lookup
    } catch (UnknownHostException e) {
      return false;
    }
  }

  /** {@code value} in quotes, without control characters and cut at 200 characters. */
  private static String quote(Object value) {
    if (value == null) {
      return "missing";
    }
    String text = value.toString().codePoints().filter(c -> !Character.isISOControl(c))
        .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString();
    return "'" + (text.length() > MAX_QUOTED ? text.substring(0, MAX_QUOTED) + "..." : text) + "'";
  }

  /**
   * A token that passed {@link #verify} and its claims; only the verifier makes one. Its
   * {@code toString} leaves the token out. Immutable.
   */
  static final class VerifiedToken {
    private final String serialized;
    private final JWTClaimsSet claims;

    private VerifiedToken(String serialized, JWTClaimsSet claims) {
      this.serialized = serialized;
      this.claims = claims;
    }

    /** The token as the runner gave it, for the core's Vault login: a credential, never to be printed. */
    String serialized() {
      return serialized;
    }

    /** The verified claims. */
    JWTClaimsSet claims() {
      return claims;
    }

    @Override
    public String toString() {
      return "VerifiedToken[iss=" + claims.getIssuer() + ", token redacted]";
    }
  }
}
