package dev.taskbound.core.session;

import dev.taskbound.core.ExitCodes;
import dev.taskbound.core.policy.EffectivePolicy;
import java.net.URI;
import java.util.Set;
import java.util.TreeSet;

/**
 * The hosts a GitHub installation token is used on, from the configured API URL
 * ({@code TASKBOUND_GITHUB_API_URL}): github.com's three, or the one GitHub Enterprise Server host
 * that serves git, {@code /api/v3} and uploads. Stateless.
 */
final class GithubHosts {
  private GithubHosts() {}

  /** The hosts for {@code apiUrl}. */
  static Set<String> of(URI apiUrl) {
    String host = apiUrl.getHost() == null ? "" : apiUrl.getHost().toLowerCase(java.util.Locale.ROOT);
    return host.equals("api.github.com") ? Set.of("github.com", "api.github.com", "uploads.github.com") : Set.of(host);
  }

  /**
   * The hosts the session binds the token's placeholder to: {@link #of}, and github.com's too when the
   * API URL is a stand-in on loopback (a test's, which does not move git off github.com). An
   * Enterprise Server's token is never bound to github.com: the gateway would put it into requests
   * to another GitHub (review finding).
   */
  static Set<String> placeholderHosts(URI apiUrl) {
    Set<String> hosts = new TreeSet<>(of(apiUrl));
    if (apiUrl.getHost() != null && dev.taskbound.core.broker.github.GithubAppConfig.isLoopback(apiUrl.getHost())) {
      hosts.addAll(SessionCredentials.GITHUB_HOSTS);
    }
    return Set.copyOf(hosts);
  }

  /**
   * Regulated work needs every host the GitHub token goes to inspected; the policy check knows only
   * github.com's, so a GitHub Enterprise host is checked here, before anything exists.
   *
   * @throws SessionException (exit 120) naming the host that is not inspected
   */
  static void checkRegulated(EffectivePolicy policy, java.util.Optional<URI> githubApi) {
    if (!policy.hooks().regulated() || policy.permissions().isEmpty() || githubApi.isEmpty()) {
      return;
    }
    Set<String> missing = new TreeSet<>(of(githubApi.get()));
    missing.remove("uploads.github.com");
    missing.removeAll(policy.inspect());
    if (!missing.isEmpty()) {
      throw new SessionException("regulated: true requires inspection of every host the GitHub token is used on;"
          + " egress.inspect lacks " + String.join(", ", missing) + " (TASKBOUND_GITHUB_API_URL "
          + githubApi.get() + "); accepted: add it to spec.egress.inspect", ExitCodes.POLICY);
    }
  }
}
