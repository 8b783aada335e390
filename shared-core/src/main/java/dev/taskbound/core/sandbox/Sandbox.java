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

  /**
   * The port on {@code 127.0.0.1} inside the sandbox where the agent's connections reach the
   * gateway, when every start binds that same port before the agent exists (so nothing the agent
   * starts can hold it): what Taskbound tells its own clients in the sandbox (the agent's hook,
   * docs/hooks.md) instead of the agent's proxy variables, which the agent can change. Empty when
   * the port is chosen at each start (the {@code proxy} backend, on the host's loopback).
   */
  default java.util.OptionalInt agentProxyPort() {
    return java.util.OptionalInt.empty();
  }
}
