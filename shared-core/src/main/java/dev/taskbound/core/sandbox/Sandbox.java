package dev.taskbound.core.sandbox;

/**
 * A way to run the agent so that its only way out is the session's gateway. One implementation per
 * backend ({@code netns}, {@code container}, {@code proxy}). Implementations are
 * thread-safe and hold no per-launch state.
 */
public interface Sandbox {
  /**
   * Starts the agent in a new sandbox and returns once the forwarder is listening and the agent
   * process has been started. On failure nothing is left running.
   *
   * @throws SandboxException if the sandbox cannot be created or does not start within
   *     {@link SandboxLaunch#startTimeout()}
   */
  SandboxProcess start(SandboxLaunch launch);
}
