package dev.taskbound.core.gate;

import java.util.Objects;
import java.util.Optional;

/**
 * One request to the agent API and how it ended, for the evidence log. Holds names and
 * fingerprints only, never a value.
 *
 * @param action what was asked for; empty when the request did not name a known endpoint
 * @param name the secret's name, {@code github} for a token refresh, empty when unknown
 * @param outcome how it ended
 * @param detail one line: the deny reason, the error, or empty
 * @param fingerprint for {@link Outcome#GRANTED}, the fingerprint of what was handed out
 */
public record AccessEvent(
    Optional<AccessAction> action, String name, Outcome outcome, String detail, Optional<String> fingerprint) {

  /** How a request ended. */
  public enum Outcome {
    /** The value was handed out (after this event was recorded). */
    GRANTED,
    /** The {@link AccessPolicy} denied it. */
    DENIED,
    /** The {@link AccessPolicy} asked for approval and could not wait for one: refused. */
    APPROVAL_REQUIRED,
    /** No on-request secret has that name. */
    NOT_FOUND,
    /** The provider or refresher failed. */
    FAILED,
    /** The request lacked a valid capability. */
    UNAUTHENTICATED
  }

  public AccessEvent {
    Objects.requireNonNull(action, "action");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(outcome, "outcome");
    Objects.requireNonNull(detail, "detail");
    Objects.requireNonNull(fingerprint, "fingerprint");
  }
}
