package dev.taskbound.action;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Whether a GitHub environment's protection rules stood for a person's approval before the job ran,
 * asked of GitHub's REST API ({@code GET /repos/{owner}/{repo}/environments/{name}}). A job naming an
 * environment that does not exist gets one created without protection rules, and an existing one
 * may have none that involve a person; its name alone proves no approval. Counted as protected:
 * a {@code required_reviewers} rule with at least one reviewer and {@code prevent_self_review: true}
 * (else the person who started the run, who may have written {@code environment:} into the workflow,
 * approves their own run).
 *
 * <p>The API and repository are the runner's {@code GITHUB_API_URL} and {@code GITHUB_REPOSITORY},
 * which the runner sets after the step's own {@code env:}; the token is the {@code github-token}
 * input (the job's {@code GITHUB_TOKEN} by default; the endpoint needs {@code actions: read}). It is
 * sent without redirects and never passed to the core. Immutable and thread-safe.
 */
final class EnvironmentProtection {
  /** The input holding the token the action reads the environment with. */
  static final String TOKEN_INPUT = "github-token";

  private static final Duration TIMEOUT = Duration.ofSeconds(30);
  private static final Pattern REPOSITORY = Pattern.compile("[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+");
  private static final String FIX = "; with its required reviewers and 'Prevent self-review' set (Settings > Environments),"
      + " GitHub holds the job until another person approves it";

  private final Map<String, String> env;

  /** The check for this run, from the runner's variables and the {@code github-token} input in {@code env}. */
  EnvironmentProtection(Map<String, String> env) {
    this.env = Map.copyOf(Objects.requireNonNull(env, "env"));
  }

  /**
   * Why {@code environment} does not count as approved by a person; empty when it does.
   *
   * @return one line naming the environment, what GitHub answered or what is missing, and what to do
   */
  Optional<String> refusal(String environment) {
    String refused = "environment '" + environment + "' grants no approval (every approve rule is denied): ";
    String token = env.getOrDefault(ActionInputs.variableFor(TOKEN_INPUT), "").strip();
    if (token.isEmpty()) {
      return Optional.of(refused + "input '" + TOKEN_INPUT + "' is empty, so its protection rules cannot be read; leave it"
          + " at its default (${{ github.token }}) and give the job 'permissions: actions: read'");
    }
    String repository = env.getOrDefault("GITHUB_REPOSITORY", "").strip();
    if (!REPOSITORY.matcher(repository).matches()) {
      return Optional.of(refused + "the runner's GITHUB_REPOSITORY is '" + repository + "', not OWNER/REPO");
    }
    Optional<URI> api = apiUrl(env.getOrDefault("GITHUB_API_URL", "").strip());
    if (api.isEmpty()) {
      return Optional.of(refused + "the runner's GITHUB_API_URL is not an https:// URL (http:// only on loopback)");
    }
    URI url = URI.create(api.get() + "/repos/" + repository + "/environments/"
        + URLEncoder.encode(environment, StandardCharsets.UTF_8).replace("+", "%20"));
    HttpResponse<String> response;
    try {
      response = HttpClient.newBuilder().connectTimeout(TIMEOUT).followRedirects(HttpClient.Redirect.NEVER).build().send(
          HttpRequest.newBuilder(url).timeout(TIMEOUT).header("Accept", "application/vnd.github+json")
              .header("X-GitHub-Api-Version", "2022-11-28").header("Authorization", "Bearer " + token).GET().build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      return Optional.of(refused + "its protection rules cannot be read from " + url + " ("
          + Objects.requireNonNullElse(e.getMessage(), e.getClass().getSimpleName()) + ")");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.of(refused + "interrupted while reading its protection rules from " + url);
    }
    int status = response.statusCode();
    if (status == 404) {
      return Optional.of(refused + "GitHub answered 404 for " + url + ": it does not exist in " + repository + " (a job"
          + " naming it got one created without protection rules) or input '" + TOKEN_INPUT + "' cannot read it (needs"
          + " 'permissions: actions: read'); create it with required reviewers" + FIX);
    }
    if (status != 200) {
      return Optional.of(refused + "its protection rules cannot be read: GitHub answered HTTP " + status + " for " + url
          + (status == 401 || status == 403 ? " (input '" + TOKEN_INPUT + "' needs 'permissions: actions: read')" : ""));
    }
    JsonNode answer;
    JsonNode rules;
    try {
      answer = new ObjectMapper().readTree(response.body());
      rules = answer.path("protection_rules");
    } catch (IOException e) {
      return Optional.of(refused + "GitHub's answer from " + url + " is not JSON");
    }
    List<String> types = new ArrayList<>();
    for (JsonNode rule : rules) {
      String type = rule.path("type").asText("");
      types.add(type);
      if (type.equals("required_reviewers") && rule.path("reviewers").isArray() && !rule.path("reviewers").isEmpty()) {
        if (rule.path("prevent_self_review").asBoolean(false)) {
          // GitHub's default lets repository admins deploy past the reviewers: no second person then
          JsonNode bypass = answer.path("can_admins_bypass");
          return bypass.isBoolean() && !bypass.booleanValue() ? Optional.empty()
              : Optional.of(refused + "repository administrators may bypass its required reviewers (can_admins_bypass is"
                  + " not false); turn off 'Allow administrators to bypass configured protection rules'" + FIX);
        }
        return Optional.of(refused + "its required reviewers may approve a run they started themselves (prevent_self_review"
            + " is not true)" + FIX);
      }
    }
    return Optional.of(refused + "it has no required reviewers (its protection rules: "
        + (types.isEmpty() ? "none" : String.join(", ", types)) + "), so GitHub ran the job without a person's approval" + FIX);
  }

  private static Optional<URI> apiUrl(String value) {
    try {
      URI uri = new URI(value.endsWith("/") ? value.substring(0, value.length() - 1) : value);
      String scheme = Objects.requireNonNullElse(uri.getScheme(), "").toLowerCase(Locale.ROOT);
      String host = Objects.requireNonNullElse(uri.getHost(), "");
      boolean plain = uri.getRawUserInfo() == null && uri.getRawQuery() == null && uri.getRawFragment() == null;
      boolean secure = scheme.equals("https") || scheme.equals("http") && OidcTokenVerifier.loopback(host);
      return !host.isEmpty() && plain && secure ? Optional.of(uri) : Optional.empty();
    } catch (URISyntaxException e) {
      return Optional.empty();
    }
  }
}
