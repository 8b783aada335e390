package dev.taskbound.core.identity;

import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What to put in a task identity. {@code claims} are the extra top-level JWT claims, by convention
 * snake_case: {@code repository}, {@code run_url}, {@code profile}, {@code policy_digest}, {@code
 * scopes} (a list of granted scope names). Values may be strings, numbers, booleans, lists and maps
 * of those. The registered claims ({@code sub aud exp iat jti iss nbf}) and {@code task}, {@code
 * session} are set by the issuer and may not appear in {@code claims}. Values are validated by
 * {@link IdentityIssuer#mint}, which knows the clock; the record only copies {@code claims} (a null
 * map means none) and keeps its order.
 *
 * @param trustDomain the SPIFFE trust domain, such as {@code ci.example.org}
 * @param task the approved task
 * @param session this session
 * @param audience the single {@code aud} value the relying party checks
 * @param expiresAt when the token expires; at most 24 hours ahead and no later than the session's
 *     TTL end (the caller passes that end)
 * @param claims extra claims, see above
 */
public record IdentityRequest(
    String trustDomain,
    TaskId task,
    SessionId session,
    String audience,
    Instant expiresAt,
    Map<String, Object> claims) {

  public IdentityRequest {
    Objects.requireNonNull(task, "task");
    Objects.requireNonNull(session, "session");
    Objects.requireNonNull(expiresAt, "expiresAt");
    claims = claims == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(claims));
  }
}
