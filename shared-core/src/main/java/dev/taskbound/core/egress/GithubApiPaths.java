package dev.taskbound.core.egress;

import java.net.URI;
import java.util.Locale;
import java.util.Optional;

/**
 * Where a GitHub Enterprise Server host serves what github.com serves on hosts of its own, from the
 * configured API URL ({@code TASKBOUND_GITHUB_API_URL}, e.g. {@code https://ghe.example/api/v3}):
 * REST under the URL's path ({@code /api/v3}), GraphQL at {@code /api/graphql} and release uploads
 * under {@code /api/uploads} (GitHub's Enterprise Server REST docs). The action table's entries for
 * {@code api.github.com} and {@code uploads.github.com} apply there with the prefix taken off, so an
 * inspected Enterprise host is judged the same way. Immutable.
 *
 * @param host the Enterprise host (canonical)
 * @param rest the REST prefix ({@code /api/v3}; {@code ""} for an API at the root)
 * @param graphql the GraphQL path
 * @param uploads the uploads prefix, or {@code ""} when the host has none apart from REST
 */
record GithubApiPaths(String host, String rest, String graphql, String uploads) {
  /** github.com's API host, whose table entries an Enterprise host's REST paths take. */
  static final String API_HOST = "api.github.com";
  /** github.com's release upload host. */
  static final String UPLOADS_HOST = "uploads.github.com";

  /**
   * How a request is matched against the table.
   *
   * @param host the host whose entries apply (besides those for any host)
   * @param path the path matched
   * @param prefix what was taken off the path's front, put back on the evidence's template
   */
  record Matched(String host, String path, String prefix) {}

  /**
   * The paths of the Enterprise host {@code apiUrl} names; empty for github.com's own API (whose hosts
   * the table names) or a URL without a host.
   */
  static Optional<GithubApiPaths> of(URI apiUrl) {
    if (apiUrl.getHost() == null) {
      return Optional.empty();
    }
    String host = RuleSet.canonicalHost(apiUrl.getHost());
    if (host.equals(API_HOST)) {
      return Optional.empty();
    }
    String path = apiUrl.getPath() == null ? "" : apiUrl.getPath().toLowerCase(Locale.ROOT);
    while (path.endsWith("/")) {
      path = path.substring(0, path.length() - 1);
    }
    if (path.endsWith("/api/v3")) {
      String api = path.substring(0, path.length() - "/v3".length());
      return Optional.of(new GithubApiPaths(host, path, api + "/graphql", api + "/uploads"));
    }
    return Optional.of(new GithubApiPaths(host, path, path + "/graphql", ""));
  }

  /** Whether {@code path} is GitHub's {@code /graphql} spelled otherwise ({@code /graphql.json}, {@code /graphql/x}). */
  static boolean isGraphqlVariant(String path) {
    String lower = path.toLowerCase(Locale.ROOT);
    return lower.equals("/graphql") || lower.startsWith("/graphql/") || lower.startsWith("/graphql.");
  }

  /**
   * Whether {@code path} is under the host's API root ({@code /api} for an {@code /api/v3} REST
   * prefix; everything for an API at the root), where a write no entry names is a GitHub API write.
   * Git's own paths ({@code /owner/repo.git/git-upload-pack}) are not under it.
   */
  boolean underApi(String path) {
    String lower = path.toLowerCase(Locale.ROOT);
    String root = graphql.substring(0, graphql.length() - "/graphql".length());
    return root.isEmpty() || lower.equals(root) || lower.startsWith(root + "/");
  }

  /**
   * The host and path a request on the Enterprise host is matched as: an {@code api.github.com} path
   * for REST and GraphQL, an {@code uploads.github.com} path for uploads, else itself.
   *
   * @param path the normalised path, from {@code /}
   */
  Matched asGithub(String path) {
    String lower = path.toLowerCase(Locale.ROOT); // literal segments match in any case: so do the prefixes
    if (lower.equals(graphql) || lower.startsWith(graphql + "/") || lower.startsWith(graphql + ".")) {
      return new Matched(API_HOST, "/graphql", path.substring(0, graphql.length() - "/graphql".length()));
    }
    if (!uploads.isEmpty() && lower.startsWith(uploads + "/")) {
      return new Matched(UPLOADS_HOST, path.substring(uploads.length()), path.substring(0, uploads.length()));
    }
    if (rest.isEmpty() || lower.startsWith(rest + "/")) {
      return new Matched(API_HOST, path.substring(rest.length()), path.substring(0, rest.length()));
    }
    return new Matched(host, path, "");
  }
}
