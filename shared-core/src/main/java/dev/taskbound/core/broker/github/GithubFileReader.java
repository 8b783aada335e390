package dev.taskbound.core.broker.github;

import com.fasterxml.jackson.databind.JsonNode;
import dev.taskbound.core.broker.BrokerException;
import dev.taskbound.core.broker.CallFailure;
import dev.taskbound.core.broker.IssuedCredential;
import dev.taskbound.core.broker.Retry;
import dev.taskbound.core.broker.RevocationContext;
import dev.taskbound.core.broker.Secret;
import dev.taskbound.core.broker.UndoRecorder;
import dev.taskbound.core.broker.internal.PlainHttp;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Reads one file of one repository at its default branch's head commit with the GitHub App, the
 * way the org ceiling is read from an organisation's {@code .github} repository:
 *
 * <ol>
 *   <li>mint an installation token for that repository alone with {@code contents: read} ({@link
 *       GithubBroker}: {@code GET /app}, {@code GET /repos/{owner}/{repo}/installation}, {@code POST
 *       /app/installations/{id}/access_tokens} with {@code repositories: [repo]});
 *   <li>{@code GET /repos/{owner}/{repo}} for the default branch, {@code GET
 *       /repos/{owner}/{repo}/git/ref/heads/{branch}} for its head commit, {@code GET
 *       /repos/{owner}/{repo}/contents/{path}?ref={sha}} for the file (base64) at that commit;
 *   <li>revoke the token ({@code DELETE /installation/token}), whatever happened before.
 * </ol>
 *
 * <p>The reads use the JDK's client rather than github-api so that every response body is bounded
 * while it is read, and a file larger than the limit is never downloaded. A 404 on the installation,
 * the repository or the file is "missing" (a result); every other failure is a {@link
 * BrokerException} naming the request. Nothing is kept: the token never leaves this call. Thread-safe
 * for sequential use.
 */
public final class GithubFileReader {
  private static final Pattern SHA = Pattern.compile("[0-9a-f]{40}|[0-9a-f]{64}");
  /** Room for the JSON around a base64 file of the limit (4/3, plus GitHub's line breaks). */
  private static final long RESPONSE_OVERHEAD = 64 * 1024;
  /** Bodies of the small responses (repository, ref). */
  private static final long SMALL_RESPONSE = 256 * 1024;
  /** The most YAML files read from one directory (an org's profiles). */
  public static final int MAX_DIRECTORY_FILES = 64;

  private final String appId;
  private final GithubAppKey key;
  private final URI apiUrl;
  private final Retry retry;
  private final Duration requestTimeout;
  private final HttpClient http;

  /**
   * @param apiUrl as {@link GithubAppConfig#apiUrl()}
   * @param retry bounds for every call (mint, reads, revoke)
   * @param requestTimeout timeout of each request
   */
  public GithubFileReader(String appId, GithubAppKey key, URI apiUrl, Retry retry, Duration requestTimeout) {
    this.appId = Objects.requireNonNull(appId, "appId");
    this.key = Objects.requireNonNull(key, "key");
    this.apiUrl = Objects.requireNonNull(apiUrl, "apiUrl");
    this.retry = Objects.requireNonNull(retry, "retry");
    this.requestTimeout = Objects.requireNonNull(requestTimeout, "requestTimeout");
    this.http = PlainHttp.client(requestTimeout);
  }

  /**
   * Mints a read-only token for {@code owner/repository}, reads {@code path} at the default branch's
   * head, and revokes the token before returning. Nothing is journalled: a process killed between
   * mint and revoke leaves a read-only token to expire within the hour.
   *
   * @param maxBytes files larger than this (by GitHub's reported size) are not downloaded
   * @return the file, or why it is missing
   * @throws BrokerException (exit 122) naming the request that failed, or the revocation
   */
  public GithubFileRead read(String owner, String repository, String path, long maxBytes) {
    return read(owner, repository, path, "", maxBytes, new NoJournal());
  }

  /**
   * As {@link #read(String, String, String, long)}, also reading every {@code .yml}/{@code .yaml}
   * file directly in {@code directory} at the same commit (none when the directory is missing; at
   * most {@value #MAX_DIRECTORY_FILES}), and registering the token's revocation with {@code undo}
   * before it is minted, so that a process killed between mint and revoke leaves an entry a later
   * teardown can revoke; once this call has revoked the token it tells {@code undo} {@link
   * UndoRecorder#completed}.
   *
   * @param directory a directory of the repository, or empty for none
   * @throws BrokerException (exit 122) naming the request that failed, or the revocation
   */
  public GithubFileRead read(String owner, String repository, String path, String directory, long maxBytes,
      UndoRecorder undo) {
    String full = owner + "/" + repository;
    GithubAppConfig config =
        new GithubAppConfig(appId, key, apiUrl, List.of(full), Map.of("contents", "read"));
    Registered registered = new Registered(Objects.requireNonNull(undo, "undo"));
    IssuedCredential token;
    try {
      token = new GithubBroker(config, retry, requestTimeout).issue(registered).get(0);
    } catch (BrokerException e) {
      if (e.status().orElse(0) == 404) {
        return GithubFileRead.missing("no repository " + full + ", or the GitHub App is not installed on it"
            + " (GET /repos/" + full + "/installation: 404)", "");
      }
      throw e;
    }
    BrokerException failure = null;
    try {
      return readWith(token.value(), owner, repository, path, directory, maxBytes);
    } catch (BrokerException e) {
      failure = e;
      throw e;
    } finally {
      try {
        GithubRevoker.revoke(apiUrl, token.value(), RevocationContext.builder().retry(retry)
            .requestTimeout(requestTimeout).build());
        registered.completeAll();
      } catch (BrokerException revokeFailed) {
        if (failure == null) {
          throw revokeFailed;
        }
        failure.addSuppressed(revokeFailed);
      }
    }
  }

  private GithubFileRead readWith(Secret token, String owner, String repository, String path, String directory,
      long maxBytes) {
    String full = owner + "/" + repository;
    String fingerprint = token.fingerprint();
    String repoPath = "/repos/" + encode(owner) + "/" + encode(repository);
    JsonNode repo = get(token, repoPath, SMALL_RESPONSE);
    if (repo == null) {
      return GithubFileRead.missing("no repository " + full + " (GET " + repoPath + ": 404)", fingerprint);
    }
    String branch = repo.path("default_branch").asText("");
    if (branch.isEmpty()) {
      throw unusable("GET " + repoPath, "no default_branch (an empty repository?)");
    }
    String refPath = repoPath + "/git/ref/heads/" + encodePath(branch);
    JsonNode ref = get(token, refPath, SMALL_RESPONSE);
    if (ref == null) {
      return GithubFileRead.missing(full + " has no commit on its default branch " + branch + " (GET " + refPath
          + ": 404)", fingerprint);
    }
    String commit = ref.path("object").path("sha").asText("");
    if (!SHA.matcher(commit).matches()) {
      throw unusable("GET " + refPath, "object.sha is not a commit SHA");
    }
    String contentsPath = contentsPath(repoPath, path, commit);
    FileAt file = file(token, contentsPath, path, maxBytes);
    if (file == null) {
      return GithubFileRead.missing(full + " has no " + path + " at " + branch + " (" + commit + ")"
          + " (GET " + contentsPath + ": 404)", fingerprint);
    }
    if (file.size() > maxBytes) {
      return GithubFileRead.found(branch, commit, new byte[0], file.size(), Map.of(), fingerprint);
    }
    Map<String, byte[]> listed = directory.isEmpty() ? Map.of() : directory(token, repoPath, directory, commit, maxBytes);
    return GithubFileRead.found(branch, commit, file.content(), file.size(), listed, fingerprint);
  }

  /** The YAML files directly in {@code directory} at {@code commit}, by path in name order; none if it is missing. */
  private Map<String, byte[]> directory(Secret token, String repoPath, String directory, String commit,
      long maxBytes) {
    String listPath = contentsPath(repoPath, directory, commit);
    JsonNode listing = get(token, listPath, SMALL_RESPONSE);
    if (listing == null) {
      return Map.of();
    }
    if (!listing.isArray()) {
      throw unusable("GET " + listPath, directory + " is not a directory");
    }
    java.util.TreeMap<String, String> yaml = new java.util.TreeMap<>();
    for (JsonNode entry : listing) {
      String name = entry.path("name").asText("");
      if ("file".equals(entry.path("type").asText()) && (name.endsWith(".yml") || name.endsWith(".yaml"))) {
        yaml.put(name, directory + "/" + name);
      }
    }
    if (yaml.size() > MAX_DIRECTORY_FILES) {
      throw unusable("GET " + listPath, directory + " holds " + yaml.size() + " YAML files; at most "
          + MAX_DIRECTORY_FILES + " are read");
    }
    Map<String, byte[]> files = new java.util.LinkedHashMap<>();
    for (String filePath : yaml.values()) {
      String contentsPath = contentsPath(repoPath, filePath, commit);
      FileAt file = file(token, contentsPath, filePath, maxBytes);
      if (file == null) {
        throw unusable("GET " + contentsPath, filePath + " is listed in " + directory + " but not found");
      }
      if (file.size() > maxBytes) {
        throw unusable("GET " + contentsPath, filePath + " is larger than " + maxBytes + " bytes (" + file.size() + ")");
      }
      files.put(filePath, file.content());
    }
    return files;
  }

  private static String contentsPath(String repoPath, String path, String commit) {
    return repoPath + "/contents/" + encodePath(path) + "?ref=" + commit;
  }

  /** A file's bytes and GitHub's size for it (no bytes when larger than the limit). */
  private record FileAt(byte[] content, long size) {}

  /** The file at {@code contentsPath}, {@code null} for a 404; never downloads more than the limit allows. */
  private FileAt file(Secret token, String contentsPath, String path, long maxBytes) {
    JsonNode file = get(token, contentsPath, maxBytes * 4 / 3 + maxBytes / 30 + RESPONSE_OVERHEAD);
    if (file == null) {
      return null;
    }
    if (!file.isObject() || !"file".equals(file.path("type").asText())) {
      throw unusable("GET " + contentsPath, path + " is not a file (a directory, link or submodule)");
    }
    long size = file.path("size").asLong(-1);
    if (size < 0) {
      throw unusable("GET " + contentsPath, "no size");
    }
    if (size > maxBytes) {
      return new FileAt(new byte[0], size);
    }
    if (!"base64".equals(file.path("encoding").asText())) {
      throw unusable("GET " + contentsPath, "encoding is not base64");
    }
    byte[] content;
    try {
      content = Base64.getMimeDecoder().decode(file.path("content").asText(""));
    } catch (IllegalArgumentException e) {
      throw unusable("GET " + contentsPath, "content is not base64");
    }
    if (content.length != size) {
      throw unusable("GET " + contentsPath, "content has " + content.length + " bytes, size says " + size);
    }
    return new FileAt(content, size);
  }

  /** The JSON of a 200, {@code null} for a 404; other statuses fail with the request named. */
  private JsonNode get(Secret token, String pathAndQuery, long maxBody) {
    String base = apiUrl.toString().replaceAll("/+$", "");
    HttpRequest request = HttpRequest.newBuilder(URI.create(base + pathAndQuery))
        .timeout(requestTimeout)
        .header("Authorization", "token " + token.reveal())
        .header("Accept", "application/vnd.github+json")
        .header("X-GitHub-Api-Version", "2022-11-28")
        .GET()
        .build();
    return retry.run("github", "GET " + pathAndQuery, () -> {
      HttpResponse<InputStream> response = send(request);
      String body = bounded(response.body(), maxBody, pathAndQuery);
      if (response.statusCode() == 404) {
        return null;
      }
      if (response.statusCode() != 200) {
        throw CallFailure.ofStatus(response.statusCode(),
            CallFailure.parseRetryAfter(response.headers().firstValue("Retry-After").orElse(null)),
            PlainHttp.errorText(body));
      }
      return PlainHttp.parse(body);
    });
  }

  private HttpResponse<InputStream> send(HttpRequest request) throws CallFailure {
    try {
      return http.send(request, HttpResponse.BodyHandlers.ofInputStream());
    } catch (IOException e) {
      throw CallFailure.ofNoResponse(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw CallFailure.permanent("interrupted");
    }
  }

  /** The body as text, never reading more than {@code max + 1} bytes. */
  private static String bounded(InputStream in, long max, String what) throws CallFailure {
    try (in) {
      byte[] bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, max + 1));
      if (bytes.length > max) {
        throw CallFailure.permanent("the response is larger than " + max + " bytes");
      }
      return new String(bytes, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw CallFailure.ofNoResponse(e);
    }
  }

  private static BrokerException unusable(String request, String detail) {
    return new BrokerException("github", request, 200, "unusable answer: " + detail);
  }

  private static String encode(String segment) {
    return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private static String encodePath(String path) {
    List<String> out = new ArrayList<>();
    for (String s : path.split("/", -1)) {
      out.add(encode(s));
    }
    return String.join("/", out);
  }

  /** For callers without a journal: the token is revoked before {@link #read} returns, or expires. */
  private static final class NoJournal implements UndoRecorder {
    @Override
    public int register(String step, Map<String, ?> handle) {
      return 0;
    }

    @Override
    public void updateHandle(int id, Map<String, ?> handle) {
      // The token comes back from issue().
    }
  }

  /** Passes registrations on, remembering their ids to mark them completed once the token is revoked. */
  private static final class Registered implements UndoRecorder {
    private final UndoRecorder undo;
    private final List<Integer> ids = new ArrayList<>();

    Registered(UndoRecorder undo) {
      this.undo = undo;
    }

    @Override
    public int register(String step, Map<String, ?> handle) {
      int id = undo.register(step, handle);
      ids.add(id);
      return id;
    }

    @Override
    public void updateHandle(int id, Map<String, ?> handle) {
      undo.updateHandle(id, handle);
    }

    /** The broker revoked a token itself (one broader than asked): the journal must not keep it. */
    @Override
    public void completed(int id) {
      undo.completed(id);
      ids.remove(Integer.valueOf(id));
    }

    void completeAll() {
      ids.forEach(undo::completed);
    }
  }
}
