package dev.taskbound.core.egress;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The shipped table of {@code request-actions.yml} (this package's resource): which method and path
 * on which inspected host is which gate action ({@code git.push}, {@code github.pr.merge},
 * {@code package.publish}, {@code model.call}, ...). Data, like the egress presets; the first entry
 * that matches decides. Immutable and thread-safe.
 */
final class RequestActions {
  /** The action of a request no entry names. */
  static final String UNNAMED = "http.request";

  /**
   * One table entry.
   *
   * @param target {@code receive-pack}, {@code {name}} of the path, or {@code ""}
   */
  record Entry(List<String> hosts, String method, String path, String action, String target) {
    boolean appliesTo(String host, String m) {
      return method.equals(m) && (hosts.contains("*") || hosts.contains(host));
    }
  }

  /**
   * What a request is.
   *
   * @param entry the entry that matched, if any
   * @param template the path template the evidence records (never the query's values)
   * @param action the action name
   * @param pathTarget the target taken from the path, or {@code ""}
   */
  record Match(Optional<Entry> entry, String template, String action, String pathTarget) {
    boolean needsReceivePack() {
      return entry.isPresent() && entry.get().target().equals("receive-pack");
    }

    /** Whether the target is what the body's GraphQL document is ({@code query} or {@code mutation}). */
    boolean needsGraphql() {
      return entry.isPresent() && entry.get().target().equals("graphql");
    }

    /** The top-level JSON field of the body that names the target ({@code json:model}), or empty. */
    Optional<String> bodyField() {
      return entry.filter(e -> e.target().startsWith("json:")).map(e -> e.target().substring("json:".length()));
    }
  }

  private final List<Entry> entries;
  private final Optional<GithubApiPaths> enterprise;

  private RequestActions(List<Entry> entries, Optional<GithubApiPaths> enterprise) {
    this.entries = List.copyOf(entries);
    this.enterprise = enterprise;
  }

  /**
   * This table, with {@code api.github.com}'s and {@code uploads.github.com}'s entries applying to a
   * GitHub Enterprise host's REST, GraphQL and upload paths as well.
   */
  RequestActions withGithubEnterprise(Optional<GithubApiPaths> paths) {
    return new RequestActions(entries, paths);
  }

  /** The shipped table. */
  static RequestActions shipped() {
    try (InputStream in = RequestActions.class.getResourceAsStream("request-actions.yml")) {
      if (in == null) {
        throw new IllegalStateException("request-actions.yml is missing from the classpath");
      }
      List<Map<String, Object>> raw = new ObjectMapper(new YAMLFactory()).readValue(in, new TypeReference<>() {});
      List<Entry> entries = new ArrayList<>();
      for (Map<String, Object> e : raw) {
        @SuppressWarnings("unchecked")
        List<String> hosts = (List<String>) e.get("hosts");
        String path = (String) e.get("path");
        if (hosts == null || e.get("method") == null || path == null || !path.startsWith("/") || e.get("action") == null) {
          throw new IllegalStateException("request-actions.yml: an entry needs hosts, method, path (from /) and action: " + e);
        }
        entries.add(new Entry(List.copyOf(hosts), (String) e.get("method"), path, (String) e.get("action"),
            (String) e.getOrDefault("target", "")));
      }
      return new RequestActions(entries, Optional.empty());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read request-actions.yml", e);
    }
  }

  /** Every entry, in table order. */
  List<Entry> entries() {
    return entries;
  }

  /**
   * What a request is.
   *
   * @param host the canonical host
   * @param method the request method
   * @param target the origin-form request target ({@code /path?query})
   * @throws IllegalArgumentException naming what is wrong: a method that is not upper-case, a path
   *     {@link #normalised} refuses, or a {@code %2F} whose two readings name different actions
   */
  Match match(String host, String method, String target) {
    if (!UPPER_CASE_METHOD.matcher(method).matches()) {
      // entries name POST, PUT, ...; a server that reads "post" as POST would get an unjudged write
      throw new IllegalArgumentException("a method that is not an upper-case token");
    }
    if (target.indexOf('#') >= 0 || target.indexOf('\\') >= 0) {
      // no client sends a fragment; a server that drops it (or reads \ as /) would run a request
      // whose path this table read as another ("/o/r.git/git-receive-pack#x" as no push at all)
      throw new IllegalArgumentException("a '#' or a '\\', which the server may read otherwise than this table");
    }
    int q = target.indexOf('?');
    String rawPath = q < 0 ? target : target.substring(0, q);
    String query = q < 0 ? "" : target.substring(q + 1);
    if (readsPathParameters(host, method) && hasParameters(rawPath)) {
      // A read on a host that is not GitHub's (a Maven repository's ;jsessionid=...): judged with the
      // parameters left out, and with them as part of their segment; the two readings must agree.
      Match stripped = matchUnsplit(host, method, normalised(withoutParameters(rawPath), false), query);
      Match literal = matchUnsplit(host, method, normalised(rawPath, true), query);
      if (!stripped.action().equals(literal.action())) {
        throw new IllegalArgumentException("a ';' (a path parameter) that makes it " + stripped.action() + " or "
            + literal.action());
      }
      return stripped;
    }
    return matchUnsplit(host, method, normalised(rawPath), query);
  }

  /**
   * Whether a {@code ;} in the path is read as a path parameter rather than refused: only for a
   * safe method (RFC 9110 9.2.1) on a host that is not GitHub's (github.com, its subdomains, the
   * Enterprise host). A write, or anything on GitHub, with a {@code ;} is refused.
   */
  boolean readsPathParameters(String host, String method) {
    boolean github = host.equals("github.com") || host.endsWith(".github.com") || host.endsWith(".githubusercontent.com")
        || enterprise.map(g -> g.host().equals(host)).orElse(false);
    return SAFE_METHODS.contains(method) && !github;
  }

  private static boolean hasParameters(String path) {
    return path.indexOf(';') >= 0 || path.toLowerCase(java.util.Locale.ROOT).contains("%3b");
  }

  /** Each segment without its parameters: from its first {@code ;} (raw or {@code %3B}) to its end. */
  static String withoutParameters(String path) {
    StringBuilder sb = new StringBuilder(path.length());
    for (String segment : path.split("/", -1)) {
      int at = segment.indexOf(';');
      int escaped = segment.toLowerCase(java.util.Locale.ROOT).indexOf("%3b");
      int cut = at < 0 ? escaped : escaped < 0 ? at : Math.min(at, escaped);
      sb.append(sb.length() == 0 && segment.isEmpty() ? "" : "/").append(cut < 0 ? segment : segment.substring(0, cut));
    }
    return sb.length() == 0 ? "/" : sb.toString();
  }

  /** The methods RFC 9110 9.2.1 calls safe. */
  private static final java.util.Set<String> SAFE_METHODS = java.util.Set.of("GET", "HEAD", "OPTIONS", "TRACE");

  private Match matchUnsplit(String host, String method, String full, String query) {
    Match kept = matchNormalised(host, method, full, query);
    if (!full.toLowerCase(java.util.Locale.ROOT).contains("%2f")) {
      return kept;
    }
    // A server may read %2F as / (then /api%2Fv3/... is the Enterprise REST API): both readings are
    // judged; one that names an action wins over one that names none, two different names are refused.
    Match split = matchNormalised(host, method, normalised(full.replaceAll("(?i)%2f", "/")), query);
    if (kept.action().equals(split.action()) || split.action().equals(UNNAMED)) {
      return kept;
    }
    if (kept.action().equals(UNNAMED)) {
      return split;
    }
    throw new IllegalArgumentException("an encoded / (%2F) that makes it " + kept.action() + " or " + split.action());
  }

  private Match matchNormalised(String host, String method, String full, String query) {
    // A trailing / names the same entry: /api/graphql/ is /api/graphql, .../git-receive-pack/ is a push.
    String bare = withoutTrailingSlash(full);
    Optional<GithubApiPaths> ghe = enterprise.filter(g -> g.host().equals(host));
    GithubApiPaths.Matched as = ghe.map(g -> g.asGithub(bare)).orElse(new GithubApiPaths.Matched(host, bare, ""));
    String path = as.path().isEmpty() ? "/" : as.path();
    if (as.host().equals(GithubApiPaths.API_HOST) && GithubApiPaths.isGraphqlVariant(path)) {
      path = "/graphql"; // /graphql.json, /graphql/x: GraphQL, judged by its document
    }
    Matcher byId = REPOSITORY_BY_ID.matcher(path);
    if (as.host().equals(GithubApiPaths.API_HOST) && byId.matches()) {
      // /repositories/{id}/... is /repos/{owner}/{repo}/... by the repository's id: the same entries judge it
      path = "/repos/repository-" + byId.group(1) + "/by-id" + (byId.group(2) == null ? "" : byId.group(2));
    }
    String[] segments = path.substring(1).split("/", -1);
    for (Entry e : entries) {
      if (!e.appliesTo(as.host(), method)) {
        continue;
      }
      Map<String, String> vars = new java.util.HashMap<>();
      if (matches(withoutTrailingSlash(e.path()).substring(1).split("/", -1), 0, segments, 0, vars)) {
        String t = e.target();
        String pathTarget = t.startsWith("{") && t.endsWith("}") ? vars.getOrDefault(t.substring(1, t.length() - 1), "")
            : t.equals("ref") ? refOf(path) : "";
        return new Match(Optional.of(e), as.prefix() + e.path(), e.action(), pathTarget);
      }
    }
    String template = withoutQueryValues(full, query);
    if (ghe.isPresent() && WRITES.contains(method) && ghe.get().underApi(bare)) {
      // the Enterprise host's API paths the table does not name (/api/v3, /api/uploads, ...): judged, not relayed
      return new Match(Optional.empty(), template, GITHUB_API_WRITE, "");
    }
    return new Match(Optional.empty(), template, UNNAMED, "");
  }

  /** GitHub's REST paths by repository id ({@code /repositories/123/pulls/1/merge}), which alias {@code /repos/o/r/...}. */
  private static final Pattern REPOSITORY_BY_ID =
      Pattern.compile("/repositories/([0-9]+)(/.*)?", Pattern.CASE_INSENSITIVE);

  /** The methods the table can name: upper-case tokens (RFC 9110: methods are case-sensitive). */
  private static final java.util.regex.Pattern UPPER_CASE_METHOD = java.util.regex.Pattern.compile("[A-Z][A-Z_-]*");

  /** The action of a write to the GitHub API that no entry names. */
  static final String GITHUB_API_WRITE = "github.api.write";

  private static final java.util.Set<String> WRITES = java.util.Set.of("POST", "PUT", "PATCH", "DELETE");

  private static String withoutTrailingSlash(String path) {
    return path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
  }

  /** The ref an API path names: from its {@code /git/refs/} on, without {@code /git/}. */
  private static String refOf(String path) {
    int at = path.toLowerCase(java.util.Locale.ROOT).indexOf("/git/refs/");
    return at < 0 ? "" : "refs/" + path.substring(at + "/git/refs/".length());
  }

  private static final String UNRESERVED = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";

  /**
   * The path with {@code %XX} of unreserved characters decoded (RFC 3986: the same path to any
   * server), so {@code git%2Dreceive-pack} is {@code git-receive-pack}; other escapes stay.
   *
   * @throws IllegalArgumentException naming what is wrong when the path has an empty segment, a dot
   *     segment, a {@code ;} (raw or {@code %3B}) or a malformed escape: the gateway refuses it rather
   *     than guess what the server reads
   */
  static String normalised(String path) {
    return normalised(path, false);
  }

  /** As {@link #normalised(String)}; {@code parametersAllowed}: a {@code ;} is kept as part of its segment. */
  private static String normalised(String path, boolean parametersAllowed) {
    StringBuilder sb = new StringBuilder(path.length());
    for (int i = 0; i < path.length(); i++) {
      char c = path.charAt(i);
      if (c == '%') {
        int v = i + 2 < path.length() ? hex(path.charAt(i + 1)) * 16 + hex(path.charAt(i + 2)) : -1;
        if (v < 0) {
          throw new IllegalArgumentException("a malformed % escape");
        }
        if (UNRESERVED.indexOf(v) >= 0) {
          sb.append((char) v);
        } else {
          sb.append(path, i, i + 3);
        }
        i += 2;
      } else {
        sb.append(c);
      }
    }
    String decoded = sb.toString();
    String lower = decoded.toLowerCase(java.util.Locale.ROOT);
    if (!parametersAllowed && (decoded.indexOf(';') >= 0 || lower.contains("%3b"))) {
      // a path parameter (;jsessionid=x): servers differ on whether it is part of the segment
      throw new IllegalArgumentException("a ';' (a path parameter, raw or %3B)");
    }
    String[] segments = decoded.substring(1).split("/", -1);
    for (int i = 0; i < segments.length; i++) {
      String s = segments[i];
      if (s.equals(".") || s.equals("..")) {
        throw new IllegalArgumentException("a dot segment (" + s + ")");
      }
      if (s.isEmpty() && segments.length > 1 && i < segments.length - 1) {
        throw new IllegalArgumentException("an empty segment (//)");
      }
    }
    return decoded;
  }

  private static int hex(char c) {
    int d = Character.digit(c, 16);
    return d < 0 ? -4096 : d;
  }

  private static boolean matches(String[] pattern, int p, String[] path, int s, Map<String, String> vars) {
    if (p == pattern.length) {
      return s == path.length;
    }
    String seg = pattern[p];
    if (seg.equals("**")) {
      // one or more segments, then the rest of the pattern
      for (int k = s + 1; k <= path.length; k++) {
        if (matches(pattern, p + 1, path, k, vars)) {
          return true;
        }
      }
      return false;
    }
    if (s == path.length) {
      return false;
    }
    String actual = path[s];
    if (seg.startsWith("{") && seg.endsWith("}")) {
      if (actual.isEmpty()) {
        return false;
      }
      vars.put(seg.substring(1, seg.length() - 1), actual);
    } else if (seg.contains("*")) {
      String[] parts = seg.split("\\*", -1);
      String lower = actual.toLowerCase(java.util.Locale.ROOT);
      if (!lower.startsWith(parts[0].toLowerCase(java.util.Locale.ROOT))
          || !lower.endsWith(parts[parts.length - 1].toLowerCase(java.util.Locale.ROOT))
          || actual.length() < parts[0].length() + parts[parts.length - 1].length()) {
        return false;
      }
    } else if (!seg.equalsIgnoreCase(actual)) {
      return false;
    }
    return matches(pattern, p + 1, path, s + 1, vars);
  }

  /** The path, and the query's names with their values left out: {@code /search?q=&page=}. */
  private static String withoutQueryValues(String path, String query) {
    if (query.isEmpty()) {
      return path;
    }
    StringBuilder sb = new StringBuilder(path).append('?');
    String[] pairs = query.split("&");
    for (int i = 0; i < pairs.length; i++) {
      int eq = pairs[i].indexOf('=');
      sb.append(i == 0 ? "" : "&").append(eq < 0 ? pairs[i] : pairs[i].substring(0, eq)).append('=');
    }
    return sb.toString();
  }
}
