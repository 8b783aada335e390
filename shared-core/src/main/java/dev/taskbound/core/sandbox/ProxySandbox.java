package dev.taskbound.core.sandbox;

import java.util.Objects;

/**
 * The {@code proxy} backend: no namespace at all. {@link SandboxInit} runs on the host, its
 * forwarder listens on the host's {@code 127.0.0.1}, and the agent gets the proxy variables only.
 * Cooperative: a client that ignores the variables connects directly, and hidden paths are not
 * hidden. Use only when the policy says {@code enforcement: cooperative}. Thread-safe.
 */
public final class ProxySandbox implements Sandbox {
  private final InitCommand init;

  public ProxySandbox() {
    this(InitCommand.current());
  }

  public ProxySandbox(InitCommand init) {
    this.init = Objects.requireNonNull(init, "init");
  }

  /**
   * Starts {@link SandboxInit} and the agent on the host.
   *
   * @throws SandboxException if it does not start within the start timeout
   */
  @Override
  public SandboxProcess start(SandboxLaunch launch) {
    if (launch.waitForAll()) {
      throw new SandboxException("waiting for every process of the sandbox needs its own PID namespace, which the"
          + " proxy backend does not have; accepted: the netns backend, or a run that ends with its agent");
    }
    return InitLauncher.launch("proxy", launch, control -> init.argv(control.toString()), 0, java.util.Optional.empty(), java.util.Map.of());
  }
}
