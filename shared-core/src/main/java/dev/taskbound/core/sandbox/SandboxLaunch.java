package dev.taskbound.core.sandbox;

import java.nio.channels.ServerSocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * What to run in a sandbox. Immutable.
 *
 * @param command the agent's command line; not empty; run without a shell
 * @param workDir the agent's working directory
 * @param environment the agent's environment, already scrubbed of host tokens; the proxy
 *     variables of {@link ProxyEnvironment} are added to it. Passed to the sandbox over a private
 *     socket, never on a command line or in a file
 * @param gatewaySocket the gateway's Unix socket; must not lie under a hidden path
 * @param hiddenPaths paths the agent must not see (the session's keys, journal, evidence): each
 *     directory is covered by an empty read-only tmpfs, each file by {@code /dev/null}; missing
 *     paths are skipped
 * @param startTimeout how long the sandbox may take to have the agent started
 * @param io where the agent's standard streams go
 * @param waitForAll whether the sandbox lasts until every process in it has exited ({@link #withWaitForAll()})
 * @param agentPaths host paths the agent must see at the same path, read-only: the session's
 *     credential and registry files that its variables point at. The {@code netns} and {@code proxy}
 *     backends show the host's filesystem anyway; the {@code container} backend mounts each one
 *     that exists; none may lie under a hidden path
 * @param listenerSink who takes over the sandbox's listening socket and serves the agent's
 *     connections on it directly (the gateway, {@code Gateway::serveFrom}), saving a relay per
 *     connection; called on a background thread, at most once, usually within ~150 ms of the
 *     start. With {@code null}, the {@code proxy} backend, or a JVM that cannot take the socket
 *     ({@link #listenerSinkUnavailable()}), the sandbox relays each connection to
 *     {@code gatewaySocket} instead
 * @param confinement who the agent runs as and which extra host paths it sees ({@link Confinement});
 *     the {@code netns} and {@code container} backends apply it (the container backend refuses,
 *     with a {@link SandboxException}, a path it must not mount); the {@code proxy} backend confines nothing
 * @param placed host directories the agent sees read-only at another path (sandbox path to host
 *     path), see {@link #withPlaced}
 */
public record SandboxLaunch(
    List<String> command,
    Path workDir,
    Map<String, String> environment,
    Path gatewaySocket,
    List<Path> hiddenPaths,
    Duration startTimeout,
    SandboxIo io,
    boolean waitForAll,
    List<Path> agentPaths,
    Consumer<ServerSocketChannel> listenerSink,
    Confinement confinement,
    Map<Path, Path> placed) {

  public SandboxLaunch {
    command = List.copyOf(command);
    if (command.isEmpty()) {
      throw new IllegalArgumentException("empty command");
    }
    Objects.requireNonNull(workDir, "workDir");
    environment = Map.copyOf(environment);
    Objects.requireNonNull(gatewaySocket, "gatewaySocket");
    hiddenPaths = List.copyOf(hiddenPaths);
    Objects.requireNonNull(startTimeout, "startTimeout");
    if (startTimeout.isNegative() || startTimeout.isZero()) {
      throw new IllegalArgumentException("startTimeout must be positive: " + startTimeout);
    }
    Objects.requireNonNull(io, "io");
    agentPaths = List.copyOf(agentPaths);
    Objects.requireNonNull(confinement, "confinement");
    placed = Map.copyOf(placed);
    for (Path inside : placed.keySet()) {
      if (!inside.isAbsolute() || !inside.normalize().equals(inside) || inside.getNameCount() < 2) {
        throw new IllegalArgumentException("a placed path must be absolute, normalised and below a top-level directory: " + inside);
      }
    }
  }

  /** A launch that places nothing at other paths ({@link #withPlaced}). */
  public SandboxLaunch(List<String> command, Path workDir, Map<String, String> environment, Path gatewaySocket,
      List<Path> hiddenPaths, Duration startTimeout, SandboxIo io, boolean waitForAll, List<Path> agentPaths,
      Consumer<ServerSocketChannel> listenerSink, Confinement confinement) {
    this(command, workDir, environment, gatewaySocket, hiddenPaths, startTimeout, io, waitForAll, agentPaths, listenerSink,
        confinement, Map.of());
  }

  /**
   * This launch, with host directories shown read-only at other paths inside the sandbox
   * (sandbox path to host path): the agent's managed settings and hook ({@code /etc/claude-code},
   * docs/hooks.md). What the host has at such a path is hidden behind it. The {@code netns} and
   * {@code container} backends apply it; the {@code proxy} backend cannot.
   */
  public SandboxLaunch withPlaced(Map<Path, Path> paths) {
    return new SandboxLaunch(command, workDir, environment, gatewaySocket, hiddenPaths, startTimeout, io, waitForAll, agentPaths,
        listenerSink, confinement, paths);
  }

  /** A launch whose connections are relayed to {@code gatewaySocket} ({@link #withListenerSink}). */
  public SandboxLaunch(
      List<String> command,
      Path workDir,
      Map<String, String> environment,
      Path gatewaySocket,
      List<Path> hiddenPaths,
      Duration startTimeout,
      SandboxIo io,
      boolean waitForAll,
      List<Path> agentPaths) {
    this(command, workDir, environment, gatewaySocket, hiddenPaths, startTimeout, io, waitForAll, agentPaths, null, Confinement.DEFAULT);
  }

  /** A launch that ends when the agent itself exits (what remains in the sandbox is killed). */
  public SandboxLaunch(
      List<String> command,
      Path workDir,
      Map<String, String> environment,
      Path gatewaySocket,
      List<Path> hiddenPaths,
      Duration startTimeout,
      SandboxIo io) {
    this(command, workDir, environment, gatewaySocket, hiddenPaths, startTimeout, io, false, List.of());
  }

  /**
   * This launch, but lasting until every process in the sandbox has exited, not only the agent: for
   * hosts such as Jenkins' durable {@code sh}, whose wrapper backgrounds the real script. The exit
   * status stays the agent's. Only backends with their own PID namespace support it.
   */
  public SandboxLaunch withWaitForAll() {
    return new SandboxLaunch(command, workDir, environment, gatewaySocket, hiddenPaths, startTimeout, io, true, agentPaths, listenerSink, confinement, placed);
  }

  /** This launch, with {@code paths} shown to the agent read-only at the same path ({@link #agentPaths()}). */
  public SandboxLaunch withAgentPaths(List<Path> paths) {
    return new SandboxLaunch(command, workDir, environment, gatewaySocket, hiddenPaths, startTimeout, io, waitForAll, paths, listenerSink, confinement, placed);
  }

  /** This launch, with the sandbox's listening socket handed to {@code sink} ({@link #listenerSink()}). */
  public SandboxLaunch withListenerSink(Consumer<ServerSocketChannel> sink) {
    return new SandboxLaunch(command, workDir, environment, gatewaySocket, hiddenPaths, startTimeout, io, waitForAll, agentPaths, sink, confinement, placed);
  }

  /** This launch, with the host confinement's user and extra paths ({@link #confinement()}). */
  public SandboxLaunch withConfinement(Confinement c) {
    return new SandboxLaunch(command, workDir, environment, gatewaySocket, hiddenPaths, startTimeout, io, waitForAll, agentPaths, listenerSink, c, placed);
  }

  /** This launch with another environment (a backend sets the agent's home and user). */
  SandboxLaunch withEnvironment(Map<String, String> env) {
    return new SandboxLaunch(command, workDir, env, gatewaySocket, hiddenPaths, startTimeout, io, waitForAll, agentPaths, listenerSink, confinement, placed);
  }

  /**
   * Why a {@link #listenerSink()} would never be called in this JVM, or empty when it can take a
   * sandbox's listening socket: it needs {@code --add-opens java.base/sun.nio.ch=ALL-UNNAMED}
   * (the shaded jar's manifest gives it). The sandbox then relays each connection instead.
   */
  public static java.util.Optional<String> listenerSinkUnavailable() {
    return ListenerHandoff.unavailable();
  }

  /** A launch whose agent shares the caller's standard streams. */
  public SandboxLaunch(
      List<String> command,
      Path workDir,
      Map<String, String> environment,
      Path gatewaySocket,
      List<Path> hiddenPaths,
      Duration startTimeout) {
    this(command, workDir, environment, gatewaySocket, hiddenPaths, startTimeout, SandboxIo.INHERIT);
  }

  /** The environment is not printed: it may hold credentials. */
  @Override
  public String toString() {
    return "SandboxLaunch[command=" + command + ", workDir=" + workDir + ", environment=" + environment.keySet()
        + " (values hidden), gatewaySocket=" + gatewaySocket + ", hiddenPaths=" + hiddenPaths
        + ", startTimeout=" + startTimeout + ", waitForAll=" + waitForAll + ", listenerSink=" + (listenerSink != null)
        + ", confinement=" + confinement + "]";
  }
}
