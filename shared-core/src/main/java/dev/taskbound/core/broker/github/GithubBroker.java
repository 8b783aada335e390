package dev.taskbound.core.broker.github;

import dev.taskbound.core.broker.BrokerException;
import dev.taskbound.core.broker.CallFailure;
import dev.taskbound.core.broker.CredentialBroker;
import dev.taskbound.core.broker.IssuedCredential;
import dev.taskbound.core.broker.Retry;
import dev.taskbound.core.broker.RevocationContext;
import dev.taskbound.core.broker.Revocations;
import dev.taskbound.core.broker.Secret;
import dev.taskbound.core.broker.UndoRecorder;
import dev.taskbound.core.broker.internal.Handles;
import dev.taskbound.core.broker.internal.PlainHttp;
import dev.taskbound.core.broker.internal.TimeoutHttpClient;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import javax.net.ssl.SSLHandshakeException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.kohsuke.github.GHApp;
import org.kohsuke.github.GHAppCreateTokenBuilder;
import org.kohsuke.github.GHAppInstallation;
import org.kohsuke.github.GHAppInstallationToken;
import org.kohsuke.github.GHIOException;
import org.kohsuke.github.GHPermissionType;
import org.kohsuke.github.GitHub;
import org.kohsuke.github.GitHubAbuseLimitHandler;
import org.kohsuke.github.GitHubBuilder;
import org.kohsuke.github.GitHubRateLimitHandler;
import org.kohsuke.github.HttpException;
import org.kohsuke.github.connector.GitHubConnector;
import org.kohsuke.github.extras.HttpClientGitHubConnector;
import org.kohsuke.github.extras.authorization.JWTTokenProvider;

/**
 * Mints GitHub App installation tokens restricted to the configured repositories and permissions,
 * through github-api ({@code GET /app}, {@code GET /repos/{owner}/{repo}/installation}, {@code
 * POST /app/installations/{id}/access_tokens}). The token reaches the agent as {@code GH_TOKEN} and
 * {@code GITHUB_TOKEN}, and a git configuration fragment ({@value #GITCONFIG_FILE}) whose credential
 * helper answers only for the GitHub host and reads the token from {@code GH_TOKEN}, so the token
 * is never in a URL or a config file.
 *
 * <p>github-api's own rate-limit waits are off: 429 and 403-with-Retry-After fail the attempt and
 * {@link Retry} decides. Thread-safe for sequential use; one instance per session.
 */
public final class GithubBroker implements CredentialBroker {
  /** Name of the git configuration fragment in {@link IssuedCredential#files()}. */
  public static final String GITCONFIG_FILE = "github.gitconfig";
  /** The variables that carry the token in {@link IssuedCredential#environment()}, and no others. */
  public static final List<String> TOKEN_VARIABLES = List.of("GH_TOKEN", "GITHUB_TOKEN");

  private final GithubAppConfig config;
  private final Retry retry;
  private final RevocationContext revocation;

  /**
   * @param retry bounds for every call (lookup, mint, revoke)
   * @param requestTimeout connect timeout of GitHub calls, request timeout of the revoke call
   */
  public GithubBroker(GithubAppConfig config, Retry retry, Duration requestTimeout) {
    this.config = Objects.requireNonNull(config, "config");
    this.retry = Objects.requireNonNull(retry, "retry");
    this.revocation = RevocationContext.builder().retry(retry).requestTimeout(requestTimeout).build();
  }

  /** A broker with {@link Retry#defaults()} and a 10 s timeout. */
  public static GithubBroker create(GithubAppConfig config) {
    return new GithubBroker(config, Retry.defaults(), Duration.ofSeconds(10));
  }

  /**
   * Registers {@code revoke-github-token} (handle {@code api_url}), mints the token, then adds the
   * token to the handle (DESIGN.md allows it in the 0600 journal: it revokes itself).
   *
   * @return one {@code github-token} credential named {@code github}
   * @throws BrokerException if the installation cannot be found or the token cannot be minted;
   *     for a 422 the message names the requested permissions the installation lacks
   */
  @Override
  public List<IssuedCredential> issue(UndoRecorder undo) {
    return List.of(mint(undo));
  }

  /**
   * Mints a fresh token with the same repositories and permissions (registering its undo first),
   * for runs longer than a token's hour. The caller serves the new token and then runs {@link
   * GithubRefresh#revokeOld()}.
   *
   * @param current the token being replaced
   * @throws BrokerException if the fresh token cannot be minted (the current one stays valid)
   */
  public GithubRefresh refresh(Secret current, UndoRecorder undo) {
    Objects.requireNonNull(current, "current");
    IssuedCredential fresh = mint(undo);
    return new GithubRefresh(fresh, () -> GithubRevoker.revoke(config.apiUrl(), current, revocation));
  }

  private IssuedCredential mint(UndoRecorder undo) {
    GitHub github = connect();
    String firstRepo = config.repositories().get(0);
    GHAppInstallation installation = retry.run("github", "find the App installation for " + firstRepo,
        () -> call(() -> {
          GHApp app = github.getApp();
          // owner/*: GET /orgs/{org}/installation; otherwise GET /repos/{owner}/{repo}/installation.
          return config.wholeOwner()
              ? app.getInstallationByOrganization(config.owner())
              : app.getInstallationByRepository(config.owner(), config.repositoryNames().get(0));
        }));
    String apiUrl = config.apiUrl().toString();
    int id = undo.register(Revocations.REVOKE_GITHUB_TOKEN, Handles.of("api_url", apiUrl));
    GHAppInstallationToken minted = retry.run("github", "create installation token for " + config.repositories(), () -> {
      try {
        return call(() -> {
          GHAppCreateTokenBuilder request = installation.createToken().permissions(permissionTypes());
          return (config.wholeOwner() ? request : request.repositories(config.repositoryNames())).create();
        });
      } catch (CallFailure f) {
        if (f.status() != 422) {
          throw f;
        }
        // GitHub's 422 does not say which permission; the installation's own list does.
        String said = f.getMessage().isEmpty() ? "" : "; GitHub said: " + f.getMessage();
        throw CallFailure.ofStatus(422, Optional.empty(), lacking(installation) + said);
      }
    });
    Secret token = Secret.of(minted.getToken());
    undo.updateHandle(id, Handles.of("api_url", apiUrl, "token", token.reveal()));
    refuseBroaderThanAsked(minted, token, id, undo);
    Map<String, String> environment = new LinkedHashMap<>();
    TOKEN_VARIABLES.forEach(variable -> environment.put(variable, token.reveal()));
    return new IssuedCredential("github", "github-token", token, expiry(minted), environment,
        Map.of(GITCONFIG_FILE, Secret.of(gitConfig(config.gitHost()))));
  }

  /**
   * A git config fragment: for {@code https://HOST} only, reset inherited helpers, then answer
   * {@code get} with {@code x-access-token} and {@code $GH_TOKEN}.
   */
  public static String gitConfig(String host) {
    return "# Written by taskbound: git credentials for https://" + host + " only, read from $GH_TOKEN.\n"
        + "[credential \"https://" + host + "\"]\n"
        + "\thelper =\n"
        + "\thelper = \"!f() { test \\\"$1\\\" = get || exit 0; echo username=x-access-token;"
        + " echo \\\"password=$GH_TOKEN\\\"; }; f\"\n"
        + "\tuseHttpPath = false\n";
  }

  /**
   * Revokes at once a token whose response grants more than asked, and fails the mint: the agent
   * is promised exactly the policy's scope (docs/credentials.md).
   */
  private void refuseBroaderThanAsked(GHAppInstallationToken minted, Secret token, int id, UndoRecorder undo) {
    Optional<String> beyond = GrantedScope.beyond(minted, config);
    if (beyond.isEmpty()) {
      return;
    }
    String revoked;
    try {
      GithubRevoker.revoke(config.apiUrl(), token, revocation);
      undo.completed(id);
      revoked = "it was revoked";
    } catch (BrokerException e) {
      revoked = "its revocation failed (" + e.getMessage() + "); the teardown tries again";
    }
    throw new BrokerException("github", "create installation token for " + config.repositories(), -1,
        "GitHub's answer grants more than the policy asked: " + beyond.get() + "; " + revoked
            + ". Check the API URL (" + config.apiUrl() + ") and what lies between it and this host");
  }

  private String lacking(GHAppInstallation installation) {
    Map<String, GHPermissionType> granted = installation.getPermissions();
    List<String> missing = new ArrayList<>();
    config.permissions().forEach((name, level) -> {
      GHPermissionType has = granted == null ? null : granted.get(name);
      if (has == null || GrantedScope.rank(has) < GrantedScope.rank(level)) {
        missing.add(name + ":" + level + " (installation has " + (has == null ? "none" : has.name().toLowerCase(Locale.ROOT)) + ")");
      }
    });
    if (missing.isEmpty()) {
      return "GitHub refused the requested permissions " + new java.util.TreeMap<>(config.permissions())
          + " or repositories " + config.repositories();
    }
    return "the App installation lacks permission " + String.join(", ", missing)
        + "; grant it in the App's settings and have the owner accept it, or narrow the policy";
  }

  private Map<String, GHPermissionType> permissionTypes() {
    Map<String, GHPermissionType> types = new LinkedHashMap<>();
    config.permissions().forEach((name, level) -> types.put(name, GHPermissionType.valueOf(level.toUpperCase(Locale.ROOT))));
    return types;
  }

  private static Optional<Instant> expiry(GHAppInstallationToken token) {
    try {
      java.util.Date date = token.getExpiresAt();
      return Optional.ofNullable(date).map(java.util.Date::toInstant);
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  private GitHub connect() {
    try {
      return new GitHubBuilder()
          .withEndpoint(config.apiUrl().toString())
          .withAuthorizationProvider(new JWTTokenProvider(config.appId(), config.key().privateKey()))
          .withConnector(connector())
          .withRateLimitHandler(GitHubRateLimitHandler.FAIL)
          .withAbuseLimitHandler(GitHubAbuseLimitHandler.FAIL)
          .build();
    } catch (IOException e) {
      throw new BrokerException("github", "connect to " + config.apiUrl(), -1, CallFailure.describe(e));
    }
  }

  /**
   * github-api's connector with a request timeout, and with connection errors wrapped so that
   * github-api does not retry them itself (it sleeps for real); {@link Retry} retries instead.
   */
  private GitHubConnector connector() {
    Duration timeout = revocation.requestTimeout();
    GitHubConnector inner = new HttpClientGitHubConnector(new TimeoutHttpClient(PlainHttp.client(timeout), timeout));
    return request -> {
      try {
        return inner.send(request);
      } catch (SocketException | SocketTimeoutException | SSLHandshakeException e) {
        throw new IOException("no response (" + e.getClass().getSimpleName() + ")", e);
      }
    };
  }

  @FunctionalInterface
  private interface GithubCall<T> {
    T run() throws IOException;
  }

  /** Runs one github-api call and classifies its failure. */
  private static <T> T call(GithubCall<T> body) throws CallFailure {
    try {
      return body.run();
    } catch (HttpException e) {
      if (e.getResponseCode() <= 0) {
        throw CallFailure.ofNoResponse(e);
      }
      throw CallFailure.ofStatus(e.getResponseCode(), retryAfter(e), PlainHttp.errorText(e.getMessage()));
    } catch (FileNotFoundException e) {
      throw CallFailure.ofStatus(404, Optional.empty(),
          "not found: is the App installed on the repository, and does the repository exist?");
    } catch (IOException e) {
      throw CallFailure.ofNoResponse(e);
    }
  }

  private static Optional<java.time.Duration> retryAfter(GHIOException e) {
    Map<String, List<String>> headers = e.getResponseHeaderFields();
    if (headers == null) {
      return Optional.empty();
    }
    return headers.entrySet().stream()
        .filter(h -> h.getKey() != null && h.getKey().equalsIgnoreCase("Retry-After") && !h.getValue().isEmpty())
        .findFirst()
        .flatMap(h -> CallFailure.parseRetryAfter(h.getValue().get(0)));
  }
}
