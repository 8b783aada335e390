package dev.taskbound.core.gate;

/**
 * Receives every request that reached an agent API endpoint, authenticated or not, with its
 * outcome; the session turns these into evidence events ({@code secret.accessed} with the name
 * and fingerprint). A {@link AccessEvent.Outcome#GRANTED} event is delivered <em>before</em> the
 * value is sent: if the listener throws, the agent gets {@code 500} and no value, so nothing is
 * handed out unrecorded. Called on the API's worker threads, possibly concurrently.
 */
@FunctionalInterface
public interface AccessListener {
  /** Records nothing. */
  AccessListener NONE = event -> {};

  void accessed(AccessEvent event);
}
