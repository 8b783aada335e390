package dev.taskbound.core.policy;

import dev.taskbound.core.SafeText;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Where an org ceiling lives on GitHub: {@code github:<owner>/<repository>/<path>}, normally {@code
 * github:acme/.github/taskbound/ceiling.yml} (the organisation's {@code .github} repository, which
 * only its owners write to). Parsed, not fetched: reading it needs the host's GitHub App. Immutable,
 * value equality, {@link #toString} gives back the parsed form.
 */
public final class GithubPolicyLocation {
  /** The prefix that marks a GitHub location where a ceiling path is accepted. */
  public static final String PREFIX = "github:";
  /** The repository an organisation's defaults live in. */
  public static final String ORG_REPOSITORY = ".github";
  /** Where the org ceiling lives in that repository. */
  public static final String CEILING_PATH = "taskbound/ceiling.yml";

  private static final Pattern OWNER = Pattern.compile("[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})");
  private static final Pattern REPOSITORY = Pattern.compile("[A-Za-z0-9._-]{1,100}");
  private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9._-]{1,255}");
  private static final int MAX_PATH = 1024;
  private static final String ACCEPTED =
      "accepted: github:OWNER/.github/taskbound/ceiling.yml (OWNER/REPOSITORY/PATH, PATH ending in .yml or .yaml)";

  private final String owner;
  private final String repository;
  private final String path;

  private GithubPolicyLocation(String owner, String repository, String path) {
    this.owner = owner;
    this.repository = repository;
    this.path = path;
  }

  /** Whether {@code text} is meant as a GitHub location (it starts with {@value #PREFIX}). */
  public static boolean isGithub(String text) {
    return text.startsWith(PREFIX);
  }

  /** The org ceiling of {@code owner}: {@code github:<owner>/.github/taskbound/ceiling.yml}. */
  public static GithubPolicyLocation orgCeiling(String owner) {
    return parse(PREFIX + owner + "/" + ORG_REPOSITORY + "/" + CEILING_PATH);
  }

  /**
   * Parses {@code github:OWNER/REPOSITORY/PATH}.
   *
   * @throws PolicyException (exit 120) naming the part that is wrong and the accepted form
   */
  public static GithubPolicyLocation parse(String text) {
    Objects.requireNonNull(text, "text");
    if (!isGithub(text)) {
      throw invalid(text, "does not start with " + PREFIX);
    }
    List<String> parts = List.of(text.substring(PREFIX.length()).split("/", -1));
    if (parts.size() < 3) {
      throw invalid(text, "names no file");
    }
    if (!OWNER.matcher(parts.get(0)).matches()) {
      throw invalid(text, "owner " + SafeText.quoted(parts.get(0)) + " is not a GitHub account name");
    }
    String repo = parts.get(1);
    if (!REPOSITORY.matcher(repo).matches() || repo.equals(".") || repo.equals("..")) {
      throw invalid(text, "repository " + SafeText.quoted(repo) + " is not a repository name");
    }
    List<String> segments = parts.subList(2, parts.size());
    for (String s : segments) {
      if (!SEGMENT.matcher(s).matches() || s.equals(".") || s.equals("..")) {
        throw invalid(text, "path segment " + SafeText.quoted(s) + " is not accepted (letters, digits, . _ -; no . or ..)");
      }
    }
    String path = String.join("/", segments);
    if (path.length() > MAX_PATH || !(path.endsWith(".yml") || path.endsWith(".yaml"))) {
      throw invalid(text, "path " + SafeText.quoted(path) + " is not a YAML file of at most " + MAX_PATH + " characters");
    }
    return new GithubPolicyLocation(parts.get(0), repo, path);
  }

  private static PolicyException invalid(String text, String problem) {
    return new PolicyException("--ceiling " + SafeText.quoted(text) + ": " + problem + "; " + ACCEPTED);
  }

  /** The account, e.g. {@code acme}. */
  public String owner() {
    return owner;
  }

  /** The repository's name without its owner, e.g. {@code .github}. */
  public String repository() {
    return repository;
  }

  /** {@code owner/repository}, e.g. {@code acme/.github}. */
  public String fullRepository() {
    return owner + "/" + repository;
  }

  /** The file's path in the repository, e.g. {@code taskbound/ceiling.yml}. */
  public String path() {
    return path;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof GithubPolicyLocation l && l.owner.equals(owner) && l.repository.equals(repository)
        && l.path.equals(path);
  }

  @Override
  public int hashCode() {
    return Objects.hash(owner, repository, path);
  }

  /** {@code github:owner/repository/path}, as parsed. */
  @Override
  public String toString() {
    return PREFIX + owner + "/" + repository + "/" + path;
  }
}
