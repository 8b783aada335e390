package dev.taskbound.core.gate;

import dev.taskbound.core.broker.Secret;
import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The session's on-request secrets: those the policy keeps out of the agent's environment and
 * serves through the agent API. Called on the API's worker threads, possibly concurrently. A
 * {@link dev.taskbound.core.TaskboundException} thrown by {@link #get} is reported to the agent
 * as {@code 502} with its message (which by contract holds no secret value); any other exception
 * as a bare {@code 500}.
 */
public interface SecretProvider {
  /** No on-request secrets. */
  SecretProvider NONE = of(Map.of());

  /** The secret called {@code name}, or empty. */
  Optional<Secret> get(String name);

  /** The names {@link #get} knows, for the error that answers an unknown name. */
  Set<String> names();

  /** A provider over a fixed map (copied). */
  static SecretProvider of(Map<String, Secret> secrets) {
    Map<String, Secret> copy = Map.copyOf(secrets);
    Set<String> names = Collections.unmodifiableSet(new TreeMap<>(copy).keySet());
    return new SecretProvider() {
      @Override
      public Optional<Secret> get(String name) {
        return Optional.ofNullable(copy.get(name));
      }

      @Override
      public Set<String> names() {
        return names;
      }
    };
  }
}
