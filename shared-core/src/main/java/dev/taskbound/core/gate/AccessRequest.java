package dev.taskbound.core.gate;

import java.util.Objects;

/**
 * An authenticated request of the agent, as an {@link AccessPolicy} sees it.
 *
 * @param action what is asked for
 * @param name the secret's name for {@link AccessAction#SECRET_READ}; {@code github} for {@link
 *     AccessAction#GITHUB_TOKEN_REFRESH}
 */
public record AccessRequest(AccessAction action, String name) {
  public AccessRequest {
    Objects.requireNonNull(action, "action");
    Objects.requireNonNull(name, "name");
  }
}
