package dev.taskbound.action;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.taskbound.core.policy.GithubPolicyLocation;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * The org ceiling in the Action (issue 17). With a GitHub App configured, the core is told to read
 * the ceiling from the organisation's {@code .github} repository ({@code --ceiling
 * github:${GITHUB_REPOSITORY_OWNER}/.github/taskbound/ceiling.yml}); the repository's policy files
 * then only narrow it. There is no silent fallback: a missing org ceiling fails the step (120, from
 * the core) unless input {@code ceiling: repository} asks for the repository's own ceiling, which the
 * core accepts only where no org ceiling exists or the org ceiling sets {@code allowRepositoryCeiling:
 * true}. The step summary then says which ceiling applied, or plainly that none did. The core decides;
 * this class only translates. Stateless.
 */
final class OrgCeilingStep {
  /** The input choosing where the ceiling comes from. */
  static final String INPUT = "ceiling";
  static final String ORG = "org";
  static final String REPOSITORY = "repository";

  private static final Pattern OWNER = Pattern.compile("[A-Za-z0-9][A-Za-z0-9-]{0,38}");

  private OrgCeilingStep() {}

  /**
   * Whether the run asked for the repository's own ceiling ({@code ceiling: repository}).
   *
   * @throws ActionInputException if the input is neither empty, {@code org} nor {@code repository}
   */
  static boolean repositoryCeiling(Map<String, String> env) {
    String value = Optional.ofNullable(env.get(ActionInputs.variableFor(INPUT))).map(String::strip).orElse("");
    switch (value.toLowerCase(Locale.ROOT)) {
      case "", ORG:
        return false;
      case REPOSITORY:
        return true;
      default:
        throw new ActionInputException(List.of("input 'ceiling' is '" + value + "': accepted values are 'org' (the"
            + " default: the organisation's .github repository holds the ceiling) or 'repository' (the repository's"
            + " own ceiling, only where no org ceiling exists or the org ceiling allows it)"));
    }
  }

  /** Whether the core will have a GitHub App: then the org ceiling is read. */
  static boolean appConfigured(Map<String, String> coreEnv) {
    String id = coreEnv.get("TASKBOUND_GITHUB_APP_ID");
    return id != null && !id.isBlank();
  }

  /**
   * {@code runArguments} with {@code --ceiling github:OWNER/.github/taskbound/ceiling.yml} (and
   * {@code --repository-ceiling} when asked for) before the agent command, when the App is
   * configured; unchanged otherwise.
   *
   * @throws ActionInputException if the organisation cannot be told from the runner's variables
   */
  static List<String> withOrgCeiling(List<String> runArguments, Map<String, String> env, Map<String, String> coreEnv) {
    boolean repository = repositoryCeiling(env);
    if (!appConfigured(coreEnv)) {
      return runArguments;
    }
    requireTheRunnersApi(env, coreEnv);
    List<String> extra = new ArrayList<>(List.of("--ceiling", GithubPolicyLocation.orgCeiling(owner(env)).toString()));
    if (repository) {
      extra.add("--repository-ceiling");
    }
    int end = runArguments.indexOf("--");
    List<String> args = new ArrayList<>(runArguments.subList(0, end < 0 ? runArguments.size() : end));
    args.addAll(extra);
    if (end >= 0) {
      args.addAll(runArguments.subList(end, runArguments.size()));
    }
    return List.copyOf(args);
  }

  /**
   * The org ceiling is read only from the runner's own GitHub ({@code GITHUB_API_URL}): a
   * {@code github-api-url} naming another server let a workflow serve any file as the org ceiling,
   * which the summary then showed as applied (review finding). Compared without a trailing slash.
   *
   * @throws ActionInputException naming both when they differ
   */
  private static void requireTheRunnersApi(Map<String, String> env, Map<String, String> coreEnv) {
    String given = Optional.ofNullable(coreEnv.get("TASKBOUND_GITHUB_API_URL")).map(String::strip).orElse("");
    if (given.isEmpty()) {
      return; // the core takes the runner's
    }
    String runners = Optional.ofNullable(env.get("GITHUB_API_URL")).map(String::strip).orElse("");
    if (!withoutTrailingSlash(given).equals(withoutTrailingSlash(runners))) {
      throw new ActionInputException(List.of("github-api-url '" + given + "' is not the runner's GITHUB_API_URL '" + runners
          + "': with a GitHub App the org ceiling is read, and only from the runner's own GitHub; accepted: leave"
          + " github-api-url empty, or give the runner's"));
    }
  }

  private static String withoutTrailingSlash(String url) {
    return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }

  private static String owner(Map<String, String> env) {
    String owner = Optional.ofNullable(env.get("GITHUB_REPOSITORY_OWNER")).map(String::strip).orElse("");
    if (owner.isEmpty()) {
      String repository = Optional.ofNullable(env.get("GITHUB_REPOSITORY")).orElse("");
      owner = repository.contains("/") ? repository.substring(0, repository.indexOf('/')) : "";
    }
    if (!OWNER.matcher(owner).matches()) {
      throw new ActionInputException(List.of("cannot tell the organisation whose .github repository holds the org"
          + " ceiling: GITHUB_REPOSITORY_OWNER is '" + owner + "'; the runner sets it on every job"));
    }
    return owner;
  }

  /**
   * One Markdown paragraph for the step summary: the org ceiling that applied (source, commit,
   * digest), or plainly that none applied and why. Read from the bundle's {@code policy.org_ceiling}
   * event. Without an App no org ceiling is read (docs/platform-teams.md), and the summary says so:
   * silence read as if one had applied (review finding). Nothing without a bundle (the run failed
   * before it; the step's log has the one-line error).
   */
  static Optional<String> summary(Optional<Path> bundle, Map<String, String> coreEnv) {
    if (!appConfigured(coreEnv)) {
      return bundle.map(b -> NO_APP);
    }
    Optional<JsonNode> event = bundle.flatMap(OrgCeilingStep::orgCeilingEvent);
    if (event.isEmpty()) {
      return Optional.empty();
    }
    JsonNode data = event.get().path("data");
    if (data.path("applied").asBoolean(false)) {
      return Optional.of("**Org ceiling**: `" + text(data, "source") + "` at `" + text(data, "branch") + "` commit `"
          + text(data, "commit") + "` (`" + text(data, "digest") + "`); the repository's policy could only narrow it.\n");
    }
    return Optional.of("**No org ceiling applied**: " + text(data, "missing") + "; the repository's policy files"
        + " decide (`ceiling: repository`).\n");
  }

  /** The summary's line when no App is configured, so no org ceiling was read. */
  static final String NO_APP = "**No org ceiling**: no GitHub App is configured (`github-app-id`), so none was read;"
      + " the repository's policy files ran under Taskbound's built-in ceiling (docs/platform-teams.md).\n";

  /** Event values are shown as code: backticks would end it, so they go. */
  private static String text(JsonNode data, String field) {
    return data.path(field).asText("").replace("`", "'").replaceAll("[\\r\\n]", " ");
  }

  private static Optional<JsonNode> orgCeilingEvent(Path bundle) {
    try (ZipFile zip = new ZipFile(bundle.toFile())) {
      ZipEntry events = zip.getEntry("events.jsonl");
      if (events == null) {
        return Optional.empty();
      }
      ObjectMapper json = new ObjectMapper();
      for (String line : new String(zip.getInputStream(events).readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
        if (!line.isBlank()) {
          JsonNode event = json.readTree(line);
          if ("policy.org_ceiling".equals(event.path("type").asText())) {
            return Optional.of(event);
          }
        }
      }
      return Optional.empty();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read evidence bundle " + bundle, e);
    }
  }
}
