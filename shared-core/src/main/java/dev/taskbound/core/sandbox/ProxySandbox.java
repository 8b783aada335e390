package dev.taskbound.core.sandbox;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The {@code proxy} backend: no namespace at all. The init runs on the host, its proxy port is on
 * the host's {@code 127.0.0.1}, and the agent gets the proxy variables only. Cooperative: a client
 * that ignores the variables connects directly, and hidden paths are not hidden. Use only when the
 * policy says {@code enforcement: cooperative}. Thread-safe.
 *
 * <p>The init is the native one ({@link NativeInit}: not dumpable, so the agent, the same user,
 * can neither read its memory or environment nor take its descriptors) wherever the launcher offers
 * the hand-off and the jar carries it; else the JVM's {@link SandboxInit}, which forwards and which
 * Java cannot make non-dumpable. The init is the process {@link SandboxProcess#pid()} names. The
 * backend confines nothing, so {@link SandboxProcess#confinement()} stays empty (no
 * {@code sandbox.started} event).
 */
public final class ProxySandbox implements Sandbox {
  private final InitCommand init;
  private final Optional<NativeInit> nativeInit; // empty: always the JVM's SandboxInit
  private final Optional<AgentUser> user; // empty: the init and the agent run as this process

  public ProxySandbox() {
    this(InitCommand.current());
  }

  /** @param init how to start {@link SandboxInit} where the native init cannot run */
  public ProxySandbox(InitCommand init) {
    this(init, NativeInit.bundled(System.getProperty("os.arch")));
  }

  private ProxySandbox(InitCommand init, Optional<NativeInit> nativeInit, Optional<AgentUser> user) {
    this.init = Objects.requireNonNull(init, "init");
    this.nativeInit = nativeInit;
    this.user = user;
  }

  private ProxySandbox(InitCommand init, Optional<NativeInit> nativeInit) {
    this(init, nativeInit, Optional.empty());
  }

  /** This backend, but always with the JVM's {@link SandboxInit}: the fallback, for tests and comparisons. */
  ProxySandbox jvmInitOnly() {
    return new ProxySandbox(init, Optional.empty(), user);
  }

  /**
   * This backend as a Taskbound run by the ordinary user {@code as} runs it: the init and the agent
   * as that user with no capabilities ({@code setpriv}, found in {@code searchPath}). For tests,
   * which run as root, of what the agent can do to its init when both are the same user.
   */
  ProxySandbox runningAs(AgentUser as) {
    return new ProxySandbox(init, nativeInit, Optional.of(as));
  }

  /**
   * Starts the init and the agent on the host.
   *
   * @throws SandboxException if it does not start within the start timeout
   */
  @Override
  public SandboxProcess start(SandboxLaunch launch) {
    if (launch.waitForAll()) {
      throw new SandboxException("waiting for every process of the sandbox needs its own PID namespace, which the"
          + " proxy backend does not have; accepted: the netns backend, or a run that ends with its agent");
    }
    return InitLauncher.launch("proxy", launch, control -> asUser(initArgv(launch, control)), user, Map.of());
  }

  private List<String> asUser(List<String> initArgv) {
    if (user.isEmpty()) {
      return initArgv;
    }
    List<String> a = new java.util.ArrayList<>(List.of(
        SandboxTools.find(SandboxTools.defaultSearchPath(null), "setpriv", "util-linux").toString(), "--reuid=" + user.get().uid(),
        "--regid=" + user.get().gid(), "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", "--"));
    a.addAll(initArgv);
    return a;
  }

  /** The native init where the hand-off is offered and its directory executes programs; else the JVM's. */
  private List<String> initArgv(SandboxLaunch launch, Path control) {
    Optional<Path> installed =
        nativeInit.filter(n -> ListenerReceiver.offers(launch)).flatMap(n -> n.installIn(control.getParent()));
    return installed.map(p -> NativeInit.argv(p, control, 0)).orElseGet(() -> init.argv(control.toString()));
  }
}
