package dev.taskbound.core.broker.github;

import dev.taskbound.core.broker.BrokerException;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What the GitHub App broker mints: a token of app {@code appId} for exactly {@code repositories}
 * (all of one owner, hence one installation) with exactly {@code permissions}.
 *
 * @param appId the App's id (or client id), used as the JWT issuer
 * @param key the App's private key
 * @param apiUrl {@code https://api.github.com}, or {@code https://HOST/api/v3} for GitHub
 *     Enterprise Server; plain http only for a loopback host (tests)
 * @param repositories {@code owner/name}, one owner, at least one
 * @param permissions permission name ({@code contents}, {@code pull_requests}, …) to {@code read},
 *     {@code write} or {@code admin}; at least one
 */
public record GithubAppConfig(
    String appId, GithubAppKey key, URI apiUrl, List<String> repositories, Map<String, String> permissions) {

  /** The public GitHub API. */
  public static final URI GITHUB_COM = URI.create("https://api.github.com");

  private static final Pattern APP_ID = Pattern.compile("[A-Za-z0-9.]+");
  private static final Pattern REPOSITORY = Pattern.compile("([A-Za-z0-9-]+)/([A-Za-z0-9._-]+|\\*)");
  private static final Pattern PERMISSION = Pattern.compile("[a-z][a-z_]*");
  private static final Set<String> LEVELS = Set.of("read", "write", "admin");
  private static final Set<String> LOOPBACK = Set.of("127.0.0.1", "localhost", "[::1]", "::1");

  /**
   * @throws BrokerException naming the field and the offending value when a field is invalid
   */
  public GithubAppConfig {
    Objects.requireNonNull(key, "key");
    if (appId == null || !APP_ID.matcher(appId).matches()) {
      throw invalid("appId '" + appId + "' is not an App id or client id");
    }
    apiUrl = checkApiUrl(Objects.requireNonNull(apiUrl, "apiUrl"));
    repositories = List.copyOf(repositories);
    if (repositories.isEmpty()) {
      throw invalid("repositories is empty; list at least one 'owner/name'");
    }
    String owner = null;
    for (int i = 0; i < repositories.size(); i++) {
      var m = REPOSITORY.matcher(repositories.get(i));
      if (!m.matches()) {
        throw invalid("repositories[" + i + "] '" + repositories.get(i) + "' is not 'owner/name' or 'owner/*'");
      }
      if (m.group(2).equals("*") && repositories.size() > 1) {
        throw invalid("repositories[" + i + "] '" + repositories.get(i) + "' grants every repository of the owner;"
            + " list it alone, or name repositories instead");
      }
      if (owner == null) {
        owner = m.group(1);
      } else if (!owner.equalsIgnoreCase(m.group(1))) {
        throw invalid("repositories[" + i + "] '" + repositories.get(i) + "' has owner '" + m.group(1)
            + "', expected '" + owner + "' (one token covers one owner's installation)");
      }
    }
    if (permissions.isEmpty()) {
      throw invalid("permissions is empty; name at least one, e.g. contents: read");
    }
    Map<String, String> copy = new LinkedHashMap<>();
    permissions.forEach((name, level) -> {
      if (!PERMISSION.matcher(name).matches()) {
        throw invalid("permissions key '" + name + "' is not a permission name (lowercase, '_' between words)");
      }
      if (!LEVELS.contains(level)) {
        throw invalid("permissions." + name + " '" + level + "' is not one of read, write, admin");
      }
      copy.put(name, level);
    });
    permissions = Map.copyOf(copy);
  }

  /**
   * Whether the grant is {@code owner/*}: every repository the owner's installation can reach. The
   * installation is then found by organization and the token is not narrowed to named repositories.
   */
  public boolean wholeOwner() {
    return repositories.get(0).endsWith("/*");
  }

  /** The common owner of {@link #repositories}. */
  public String owner() {
    return repositories.get(0).substring(0, repositories.get(0).indexOf('/'));
  }

  /** The repository names without owner, in order. */
  public List<String> repositoryNames() {
    if (wholeOwner()) {
      return List.of();
    }
    return repositories.stream().map(r -> r.substring(r.indexOf('/') + 1)).toList();
  }

  /** The web host git talks to: {@code github.com} for the public API, else the API's host. */
  public String gitHost() {
    String host = apiUrl.getHost();
    return host.equals("api.github.com") ? "github.com" : host;
  }

  /** Whether {@code host} (a URI's host) names the loopback, where plain http is accepted (tests). */
  public static boolean isLoopback(String host) {
    return LOOPBACK.contains(host);
  }

  private static URI checkApiUrl(URI url) {
    String scheme = url.getScheme();
    boolean https = "https".equals(scheme);
    boolean loopbackHttp = "http".equals(scheme) && url.getHost() != null && LOOPBACK.contains(url.getHost());
    if (!https && !loopbackHttp) {
      throw invalid("apiUrl '" + url + "' must be https (http only for a loopback host)");
    }
    if (url.getRawQuery() != null || url.getRawFragment() != null || url.getRawUserInfo() != null) {
      throw invalid("apiUrl '" + url + "' must not have user info, a query or a fragment");
    }
    String text = url.toString();
    return URI.create(text.endsWith("/") ? text.substring(0, text.length() - 1) : text);
  }

  private static BrokerException invalid(String detail) {
    return new BrokerException("github", "configure the GitHub App broker", -1, detail);
  }
}
