package dev.taskbound.core.broker.github;

import dev.taskbound.core.broker.BrokerException;
import dev.taskbound.core.broker.RevocationContext;
import dev.taskbound.core.broker.Secret;
import dev.taskbound.core.broker.internal.Handles;
import dev.taskbound.core.broker.internal.PlainHttp;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;

/**
 * Revokes a GitHub installation token with {@code DELETE /installation/token}, authenticated with
 * the token itself (github-api has no call for it). 204 is revoked; 401 means the token is already
 * expired or revoked, which counts as revoked. Stateless and thread-safe.
 */
public final class GithubRevoker {
  private GithubRevoker() {}

  /**
   * Revokes the token of a {@code revoke-github-token} journal handle ({@code api_url}, {@code
   * token}); a handle without a token (nothing was minted) is a no-op.
   *
   * @throws dev.taskbound.core.broker.BrokerException if revocation failed after bounded retries
   */
  public static void revoke(Map<String, Object> handle, RevocationContext ctx) {
    String token = Handles.field(handle, "token");
    String apiUrl = Handles.field(handle, "api_url");
    if (token == null) {
      return;
    }
    revoke(checkedApiUrl(apiUrl == null ? GithubAppConfig.GITHUB_COM.toString() : apiUrl), Secret.of(token), ctx);
  }

  /**
   * A journal's {@code api_url}, accepted only as an issuer's configuration is ({@link
   * GithubAppConfig}): https, or http to a loopback host (tests); the token is never sent in clear.
   */
  private static URI checkedApiUrl(String apiUrl) {
    URI url;
    try {
      url = new URI(apiUrl);
    } catch (java.net.URISyntaxException e) {
      url = null;
    }
    boolean https = url != null && "https".equals(url.getScheme()) && url.getHost() != null;
    boolean loopbackHttp = url != null && "http".equals(url.getScheme()) && url.getHost() != null
        && GithubAppConfig.isLoopback(url.getHost());
    if (!https && !loopbackHttp || url.getRawUserInfo() != null || url.getRawQuery() != null || url.getRawFragment() != null) {
      throw new BrokerException("github", "revoke the installation token", -1, "the handle's api_url is not an"
          + " https URL without user info, query or fragment (http only for a loopback host): the token was not sent;"
          + " accepted: the apiUrl the issuer was configured with");
    }
    return url;
  }

  /**
   * Revokes {@code token} at {@code apiUrl}.
   *
   * @throws dev.taskbound.core.broker.BrokerException if revocation failed after bounded retries
   */
  public static void revoke(URI apiUrl, Secret token, RevocationContext ctx) {
    String base = apiUrl.toString().replaceAll("/+$", "");
    HttpRequest request = HttpRequest.newBuilder(URI.create(base + "/installation/token"))
        .timeout(ctx.requestTimeout())
        .header("Authorization", "token " + token.reveal())
        .header("Accept", "application/vnd.github+json")
        .header("X-GitHub-Api-Version", "2022-11-28")
        .DELETE()
        .build();
    ctx.retry().run("github", "revoke installation token " + token.fingerprint(), () -> {
      HttpResponse<String> response = PlainHttp.send(ctx.http(), request);
      if (response.statusCode() == 204 || response.statusCode() == 401) {
        return null;
      }
      throw PlainHttp.failure(response);
    });
  }
}
