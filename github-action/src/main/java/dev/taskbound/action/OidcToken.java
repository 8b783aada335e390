package dev.taskbound.action;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;

/**
 * Fetches the job's GitHub Actions OIDC token for an audience ({@code GET
 * $ACTIONS_ID_TOKEN_REQUEST_URL&audience=X} with {@code Authorization: bearer
 * $ACTIONS_ID_TOKEN_REQUEST_TOKEN}, answer {@code {"value": "<jwt>"}}) and writes it to a 0600 file
 * for the core, which logs in to Vault with it ({@code TASKBOUND_VAULT_JWT_FILE}). What it fetches is
 * only a candidate: a job's own {@code env:} can set the pair when the runner does not, so nothing of
 * the token is used (or written) before {@link OidcTokenVerifier} accepts it. The request pair
 * and the token stay with the action and the core; the file lives under the runner's home, which the
 * agent's container does not mount. Stateless.
 */
final class OidcToken {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private OidcToken() {}

  /**
   * The token for {@code audience}.
   *
   * @throws ActionInputException with one line saying what is missing or what the runner answered
   */
  static String fetch(Map<String, String> env, String audience) {
    String url = env.getOrDefault("ACTIONS_ID_TOKEN_REQUEST_URL", "");
    String bearer = env.getOrDefault("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "");
    if (url.isBlank() || bearer.isBlank()) {
      throw new ActionInputException(java.util.List.of("input 'oidc-audience' is set but the job has no OIDC token to give:"
          + " add 'permissions: id-token: write' to the job"));
    }
    String target = url + (url.contains("?") ? "&" : "?") + "audience=" + URLEncoder.encode(audience, StandardCharsets.UTF_8);
    try {
      HttpResponse<String> response = HttpClient.newBuilder().connectTimeout(TIMEOUT).build().send(
          HttpRequest.newBuilder(URI.create(target)).timeout(TIMEOUT).header("Authorization", "bearer " + bearer)
              .header("Accept", "application/json").GET().build(),
          HttpResponse.BodyHandlers.ofString());
      JsonNode value = response.statusCode() == 200 ? new ObjectMapper().readTree(response.body()).path("value") : null;
      if (value == null || !value.isTextual() || value.asText().isBlank()) {
        throw new ActionInputException(java.util.List.of("the runner's OIDC token endpoint answered HTTP "
            + response.statusCode() + " without a token for audience '" + audience + "'"));
      }
      return value.asText();
    } catch (IOException e) {
      throw new ActionInputException(java.util.List.of("cannot fetch the job's OIDC token: " + e.getMessage()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ActionInputException(java.util.List.of("interrupted while fetching the job's OIDC token"));
    }
  }

  /** Writes {@code token} to a new 0600 file in {@code dir} (created 0700) and returns it. */
  static Path write(Path dir, String token) throws IOException {
    Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    Path file = Files.createTempFile(dir, "oidc-", ".jwt", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(file, token, StandardCharsets.UTF_8);
    return file;
  }
}
