package dev.taskbound.core.broker.vault;

import com.fasterxml.jackson.databind.JsonNode;
import dev.taskbound.core.broker.CallFailure;
import dev.taskbound.core.broker.Secret;
import dev.taskbound.core.broker.internal.PlainHttp;
import io.github.jopenlibs.vault.EnvironmentLoader;
import io.github.jopenlibs.vault.Vault;
import io.github.jopenlibs.vault.VaultConfig;
import io.github.jopenlibs.vault.VaultException;
import io.github.jopenlibs.vault.response.VaultResponse;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * Vault calls: the vault-java-driver where it has the call, the JDK's HttpClient where it lacks
 * one (revoke-accessor, wrapped reads). Failures become {@link CallFailure}s quoting only Vault's
 * {@code errors} text. The driver's own retries stay off; {@link dev.taskbound.core.broker.Retry}
 * retries. The driver does not expose response headers, so a 429 from a driver call is retried
 * with backoff rather than its {@code Retry-After}; the plain-HTTP calls honour it.
 */
final class VaultCalls {
  /** Never read VAULT_ADDR / VAULT_TOKEN from the process environment (the host's, not ours). */
  private static final EnvironmentLoader NO_ENVIRONMENT = new EnvironmentLoader() {
    private static final long serialVersionUID = 1L;

    @Override
    public String loadVariable(String name) {
      return null;
    }
  };

  /**
   * The driver logs "The Namespace ... has been bound" at INFO through java.util.logging on every
   * driver it builds, which lands on the CLI's stderr between the run's own lines. Only its warnings
   * are worth a person's attention. Held here: java.util.logging keeps loggers weakly, and a logger
   * collected with its level would come back at INFO.
   */
  static final java.util.logging.Logger DRIVER_LOG = quieted(java.util.logging.Logger.getLogger("io.github.jopenlibs.vault"));

  private static java.util.logging.Logger quieted(java.util.logging.Logger logger) {
    logger.setLevel(java.util.logging.Level.WARNING);
    return logger;
  }

  private final VaultConnection connection;
  private final Duration timeout;
  private final HttpClient http;

  VaultCalls(VaultConnection connection, Duration timeout) {
    this.connection = connection;
    this.timeout = timeout;
    this.http = PlainHttp.client(timeout);
  }

  VaultConnection connection() {
    return connection;
  }

  /** A driver for one call chain; {@code token} may be null (login), {@code kvVersion} 1 or 2. */
  Vault driver(Secret token, int kvVersion, int mountDepth) throws CallFailure {
    try {
      int seconds = (int) Math.max(1, timeout.toSeconds());
      VaultConfig config = new VaultConfig()
          .environmentLoader(NO_ENVIRONMENT)
          .address(connection.address().toString())
          .openTimeout(seconds)
          .readTimeout(seconds)
          .engineVersion(kvVersion)
          .prefixPathDepth(mountDepth);
      if (connection.namespace().isPresent()) {
        config.nameSpace(connection.namespace().get());
      }
      if (token != null) {
        config.token(token.reveal());
      }
      return Vault.create(config.build(), kvVersion);
    } catch (VaultException e) {
      throw CallFailure.permanent("invalid driver configuration");
    }
  }

  /** A driver call and its failure mapping. */
  @FunctionalInterface
  interface DriverCall<T> {
    T run() throws VaultException;
  }

  static <T> T call(DriverCall<T> body) throws CallFailure {
    try {
      T result = body.run();
      // Some driver reads return non-2xx responses instead of throwing.
      if (result instanceof VaultResponse response && response.getRestResponse() != null
          && response.getRestResponse().getStatus() / 100 != 2) {
        byte[] bytes = response.getRestResponse().getBody();
        throw CallFailure.ofStatus(response.getRestResponse().getStatus(), Optional.empty(),
            PlainHttp.errorText(bytes == null ? "" : new String(bytes, java.nio.charset.StandardCharsets.UTF_8)));
      }
      return result;
    } catch (VaultException e) {
      throw failure(e);
    }
  }

  /** Status from the driver's exception; detail only from the body's {@code errors} array. */
  static CallFailure failure(VaultException e) {
    int status = e.getHttpStatusCode();
    if (status <= 0) {
      Throwable root = e;
      for (Throwable t = e; t != null; t = t.getCause()) {
        if (t instanceof java.io.IOException) {
          return CallFailure.ofNoResponse(e);
        }
        root = t;
      }
      return CallFailure.permanent("unusable response (" + root.getClass().getSimpleName() + ")");
    }
    String message = e.getMessage() == null ? "" : e.getMessage();
    // The driver puts the body either after "Response body:" or as the whole message.
    int body = message.indexOf("Response body:");
    String detail = PlainHttp.errorText(body < 0 ? message : message.substring(body + "Response body:".length()));
    if (status / 100 == 2) {
      detail = "unusable response (expected application/json with the documented fields)";
    }
    return CallFailure.ofStatus(status, Optional.empty(), detail);
  }

  /** Sends a request with the token and namespace headers and returns the response, any status. */
  HttpResponse<String> send(String method, String apiPath, Secret token, Map<String, ?> body,
      Map<String, String> extraHeaders) throws CallFailure {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(connection.address() + "/v1/" + apiPath))
        .timeout(timeout)
        .header("X-Vault-Token", token.reveal())
        .header("X-Vault-Request", "true");
    connection.namespace().ifPresent(ns -> request.header("X-Vault-Namespace", ns));
    extraHeaders.forEach(request::header);
    if (body != null) {
      request.header("Content-Type", "application/json").method(method, PlainHttp.json(body));
    } else {
      request.method(method, HttpRequest.BodyPublishers.noBody());
    }
    return PlainHttp.send(http, request.build());
  }

  /** {@code POST /v1/auth/token/revoke-accessor}; an unknown accessor counts as revoked. */
  void revokeAccessor(Secret token, String accessor) throws CallFailure {
    HttpResponse<String> response = send("POST", "auth/token/revoke-accessor", token, Map.of("accessor", accessor), Map.of());
    if (response.statusCode() / 100 == 2 || alreadyGone(response)) {
      return;
    }
    throw PlainHttp.failure(response);
  }

  /**
   * {@code POST /v1/sys/leases/revoke {lease_id}} (Vault takes POST as PUT). Plain HTTP rather than
   * the driver, whose error for this call drops the response body: a failure keeps Vault's {@code
   * errors} text, as the token and login revocations do.
   */
  void revokeLease(Secret token, String leaseId) throws CallFailure {
    HttpResponse<String> response = send("POST", "sys/leases/revoke", token, Map.of("lease_id", leaseId), Map.of());
    if (response.statusCode() / 100 == 2) {
      return;
    }
    throw PlainHttp.failure(response);
  }

  /** A response-wrapping token and its accessor ({@code wrap_info.token}, {@code wrap_info.accessor}). */
  record WrappingToken(Secret token, String accessor) {}

  /**
   * A wrapped read: the single-use wrapping token of {@code GET /v1/<apiPath>}, with its accessor.
   * The accessor is required: a wrapping token is an orphan, so revoking it by accessor is the only
   * way to end it before its TTL.
   */
  WrappingToken readWrapped(Secret token, String apiPath, Duration ttl) throws CallFailure {
    HttpResponse<String> response = send("GET", apiPath, token, null, Map.of("X-Vault-Wrap-TTL", ttl.toSeconds() + "s"));
    if (response.statusCode() != 200) {
      throw PlainHttp.failure(response);
    }
    JsonNode wrapInfo = PlainHttp.parse(response.body()).path("wrap_info");
    JsonNode wrapToken = wrapInfo.path("token");
    if (!wrapToken.isTextual() || wrapToken.asText().isEmpty()) {
      throw CallFailure.permanent("the response has no wrap_info.token");
    }
    JsonNode accessor = wrapInfo.path("accessor");
    if (!accessor.isTextual() || accessor.asText().isEmpty()) {
      throw CallFailure.permanent("the response has no wrap_info.accessor, without which the wrapping token"
          + " could not be revoked at teardown");
    }
    return new WrappingToken(Secret.of(wrapToken.asText()), accessor.asText());
  }

  private static boolean alreadyGone(HttpResponse<String> response) {
    String errors = PlainHttp.errorText(response.body()).toLowerCase(java.util.Locale.ROOT);
    return response.statusCode() == 400 && (errors.contains("invalid accessor") || errors.contains("not found"));
  }
}
