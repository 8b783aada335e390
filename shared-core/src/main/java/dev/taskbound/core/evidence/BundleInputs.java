package dev.taskbound.core.evidence;

import java.nio.file.Path;
import java.util.Objects;

/**
 * What goes into an evidence bundle. JSON strings are copied verbatim; a null optional input is
 * left out of the bundle.
 *
 * @param events the session's events.jsonl (required)
 * @param jwksJson the public JWK Set holding the sealing key and the identity key (see {@link
 *     JwkSets#merge}); required
 * @param effectivePolicyJson the effective policy, or null
 * @param identityClaimsJson the identity's claims (never the token), or null
 * @param teardownJson the teardown report, or null
 */
public record BundleInputs(
    Path events,
    String jwksJson,
    String effectivePolicyJson,
    String identityClaimsJson,
    String teardownJson) {
  public BundleInputs {
    Objects.requireNonNull(events, "events");
    Objects.requireNonNull(jwksJson, "jwksJson");
  }
}
