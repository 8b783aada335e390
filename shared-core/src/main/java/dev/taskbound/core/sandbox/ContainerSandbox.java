package dev.taskbound.core.sandbox;

import dev.taskbound.core.policy.Protection;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The {@code container} backend: two containers that share one network namespace holding only
 * loopback.
 *
 * <ol>
 *   <li>The <b>forwarder</b> container ({@code --network none}, read-only root, no capabilities,
 *       running as the owner of the gateway socket) runs {@link ContainerForwarder} from Taskbound's
 *       classes (mounted read-only) on {@code 127.0.0.1:<port>}. Only the gateway socket's
 *       directory is mounted into it, read-only.
 *   <li>The <b>agent</b> container joins it with {@code --network container:<forwarder>}: loopback
 *       only, no DNS, no route. It gets the workspace (at the same path), the launch's agent paths
 *       (read-only, at the same path: the session's credential and registry files), the launch's
 *       read-only paths inside the workspace (the policy files), the agent's environment plus
 *       {@link ProxyEnvironment}, and nothing else of the host's or Taskbound's: never the Docker or
 *       containerd socket, never the gateway socket.
 * </ol>
 *
 * <p>The agent container has the same floor as the netns backend ({@link ContainerFloor}): it runs
 * as the launch's {@link Confinement#user()}, else the workspace's owner, never uid 0 (a workspace
 * owned by root is refused before any container exists); every capability dropped,
 * {@code no-new-privileges}, Docker's default seccomp profile (preflight refuses a daemon without
 * one), a read-only root with a private {@code /tmp} and a fresh {@code HOME} on tmpfs, the
 * launch's process and memory limits ({@link Confinement#limits()}), and the configured OCI
 * runtime (preflight refuses one the daemon does not offer, naming those it does). Run as root,
 * Taskbound gives the session's files the agent's variables point at to the agent's user, as the
 * netns backend does ({@link RuntimeAccess}).
 *
 * <p>Secrets stay off command lines and out of files: each variable is passed as {@code -e NAME}
 * and the {@code docker} CLI reads its value from its own environment. Not passed: {@code PATH}
 * (the image's own applies), {@code HOSTNAME}, and {@code DOCKER_*} (the agent gets no Docker
 * access). Images are never pulled ({@code --pull never}). The agent container runs under the
 * daemon's init ({@code --init}), which passes signals on to the agent and reaps orphans.
 *
 * <p>When Taskbound itself runs in a container ({@link ContainerConfig#runningIn()}, e.g. the GitHub
 * Action), the daemon still resolves mount sources on the host: every mounted path goes through
 * that container's own mounts ({@link ContainerSelf}), and the forwarder runs from that container's
 * image, which has a Java runtime and Taskbound's classes (mounted instead only when they sit on one
 * of its mounts).
 *
 * <p>Containers are named {@code taskbound-<random>-forwarder} / {@code -agent} and labelled
 * {@value #LABEL}{@code =<random>}; {@link SandboxProcess#handle()} records both names, and
 * {@link #remove(Map)} removes them from another process. Thread-safe.
 */
public final class ContainerSandbox implements Sandbox {
  /** The label on both containers of one sandbox; its value is the sandbox's random id. */
  public static final String LABEL = "dev.taskbound.sandbox";

  static final String OPTIONS =
      "Options: start the Docker daemon (or point DOCKER_HOST at a running one), use the netns backend,"
          + " or use the proxy backend with 'enforcement: cooperative' in the policy (proxy variables only,"
          + " not enforced)";

  private static final Duration CLI_TIMEOUT = Duration.ofSeconds(30);
  private static final String GATEWAY_DIR = "/run/taskbound/gateway";
  private static final String CODE_MOUNT = "/opt/taskbound/code";
  private static final String IMAGE_FORMAT = AgentImage.FORMAT;

  private final SecureRandom random = new SecureRandom();
  /** Hardened OCI runtimes, strongest first: gVisor, then Kata Containers (regulated work, docs/policy.md). */
  public static final List<String> HARDENED_RUNTIMES = List.of("runsc", "kata-runtime", "kata");

  private volatile ContainerConfig config; // its runtime may be chosen by preflight (preferRuntimes)
  private volatile List<String> preferredRuntimes = List.of();
  private final DockerCli docker;
  private volatile boolean checked; // preflight passed once for this instance
  private volatile ContainerSelf self; // set by preflight when Taskbound runs in a container
  private volatile DaemonFacts daemon; // set by preflight
  private volatile AgentImage agentImage; // set by preflight
  private final Path passwd = Path.of("/etc/passwd");
  private static final Path PROC = Path.of("/proc");
  private final ContainerOwner owner; // on every container we make: a later start removes them once we are gone

  public ContainerSandbox(ContainerConfig config) {
    this.config = Objects.requireNonNull(config, "config");
    this.docker = new DockerCli(config.dockerBinary(), config.endpoint());
    this.owner = ContainerOwner.current(config.runningIn(), PROC);
  }

  public ContainerConfig config() {
    return config;
  }

  /** The configured forwarder port: bound (by the forwarder or the agent container's init) before the agent starts. */
  @Override
  public java.util.OptionalInt agentProxyPort() {
    return java.util.OptionalInt.of(config.forwarderPort());
  }

  /**
   * When the configuration names no runtime, preflight picks the first of {@code runtimes} the
   * daemon offers (regulated work asks for {@link #HARDENED_RUNTIMES}); with none offered, the
   * daemon's default. Call before {@link #preflight}.
   */
  public void preferRuntimes(List<String> runtimes) {
    preferredRuntimes = List.copyOf(runtimes);
  }

  /** The runtime named, else the first preferred one offered, else empty (the daemon's default). */
  static java.util.Optional<String> chooseRuntime(java.util.Optional<String> named, Set<String> offered, List<String> preferred) {
    return named.isPresent() ? named : preferred.stream().filter(offered::contains).findFirst();
  }

  /**
   * Checks that the {@code docker} CLI exists, the daemon answers, and both images are present
   * locally. Never falls back to another backend.
   *
   * @throws SandboxException naming the cause ({@code cannot reach the Docker daemon at ENDPOINT:
   *     ...}, a missing CLI, a missing image) and the options
   */
  public void preflight() {
    preflight(Confinement.DEFAULT);
  }

  /**
   * As {@link #preflight()}, for launches with {@code confinement}: a daemon without seccomp passes
   * only when the launch may go without the filter ({@code sandbox.allowReduced: [seccomp]}).
   *
   * @throws SandboxException as {@link #preflight()}
   */
  public void preflight(Confinement confinement) {
    if (!Files.isExecutable(config.dockerBinary())) {
      throw new SandboxException(
          "the container sandbox needs the docker CLI, which is not at " + config.dockerBinary()
              + " (Debian/Ubuntu package docker.io or docker-ce-cli). " + OPTIONS);
    }
    // The questions are independent: asked all at once, answered in this order.
    Optional<String> runningIn = config.runningIn();
    List<String> images = new ArrayList<>(List.of(config.agentImage()));
    if (runningIn.isEmpty() && !config.forwarderImage().equals(config.agentImage())) {
      // Inside a container the forwarder runs from that container's image, which the daemon holds
      // while the container runs.
      images.add(config.forwarderImage());
    }
    List<List<String>> queries = new ArrayList<>(List.of(List.of("version", "--format", "{{.Server.Version}}"), DaemonFacts.QUERY));
    runningIn.ifPresent(c -> queries.add(ContainerSelf.query(c)));
    images.forEach(image -> queries.add(List.of("image", "inspect", "--format", IMAGE_FORMAT, image)));
    List<DockerCli.Result> answers = docker.runAll(CLI_TIMEOUT, queries);
    DockerCli.Result version = answers.get(0);
    if (!version.ok()) {
      throw new SandboxException(
          "cannot reach the Docker daemon at " + config.endpoint() + ": " + version.oneLine() + ". " + OPTIONS);
    }
    DaemonFacts facts = DaemonFacts.answered(answers.get(1), config.endpoint());
    java.util.Optional<String> runtime = chooseRuntime(config.runtime(), facts.runtimes(), preferredRuntimes);
    if (config.runtime().isEmpty() && runtime.isPresent()) {
      config = config.toBuilder().runtime(runtime.get()).build();
    }
    facts.requireFloor(config.runtime(), config.endpoint(), confinement);
    ContainerSelf inspected = runningIn.map(c -> ContainerSelf.answered(answers.get(2), c, config.endpoint())).orElse(null);
    int first = runningIn.isPresent() ? 3 : 2;
    AgentImage agentFacts = null;
    for (int i = 0; i < images.size(); i++) {
      String image = images.get(i);
      DockerCli.Result found = answers.get(first + i);
      if (!found.ok()) {
        throw new SandboxException(
            "the container sandbox needs the image '" + image + "', which the Docker daemon at " + config.endpoint()
                + " does not have (images are never pulled): build or load it first (scripts/docker-test-env.sh"
                + " builds " + ContainerConfig.DEFAULT_FORWARDER_IMAGE + ")");
      }
      if (image.equals(config.agentImage())) {
        agentFacts = AgentImage.parse(found.output(), image, config.endpoint());
      }
    }
    self = inspected;
    daemon = facts;
    agentImage = agentFacts;
    checked = true;
  }

  /**
   * What no mount may meet, as this process sees it: the engine's well-known paths (on the host),
   * and the socket the daemon is reached by, as configured and where it leads (a rootless daemon's
   * {@code /run/user/1000/docker.sock}, Docker Desktop's): a read-only bind does not stop a
   * {@code connect()}.
   */
  private List<Path> enginePaths() {
    List<Path> engine = new ArrayList<>(self == null ? ContainerFloor.ENGINE_PATHS : List.of());
    config.socketPath().ifPresent(sock -> {
      engine.add(sock.toAbsolutePath().normalize());
      try {
        engine.add(sock.toRealPath());
      } catch (java.io.IOException | SecurityException gone) {
        // the daemon answered the preflight through it: a socket that vanished since is no mount's
      }
    });
    return engine;
  }

  /**
   * A path of ours as the daemon must name it in a mount: the host path when we run in a container,
   * never one meeting the host engine's paths (a mount of our container's may show the host's socket
   * under another name).
   */
  private String hostPath(String what, Path path) {
    ContainerSelf s = self;
    String host = mountable(what, s == null ? path : s.requireHostPath(what, path));
    if (s != null) {
      Path onHost = Path.of(host);
      for (Path engine : ContainerFloor.ENGINE_PATHS) {
        if (onHost.startsWith(engine) || engine.startsWith(onHost)) {
          throw new SandboxException("the " + what + " " + path + " is the host's " + onHost + ", which "
              + (onHost.startsWith(engine) ? "lies within" : "contains") + " the container engine's " + engine
              + "; the agent must never reach it. Accepted: a path that neither contains nor lies within it");
        }
      }
    }
    return host;
  }

  /**
   * Runs the preflight once per instance, starts the forwarder container, waits until it listens,
   * creates the agent container and starts it attached. Returns once the agent container runs;
   * on any failure both containers are removed.
   *
   * @throws SandboxException if preflight fails, the workspace would expose the Docker socket, a
   *     container cannot be created, or the forwarder does not listen within the start timeout
   */
  @Override
  public SandboxProcess start(SandboxLaunch launch) {
    if (launch.waitForAll()) {
      throw new SandboxException("waiting for every process of the sandbox needs its own PID namespace, which the"
          + " container backend does not have; accepted: the netns backend, or a run that ends with its agent");
    }
    if (!checked) {
      preflight(launch.confinement());
    }
    // what Taskbound processes killed before their teardown left, removed beside this start
    CompletableFuture<Integer> swept = CompletableFuture.supplyAsync(this::removeLeftovers).exceptionally(e -> 0);
    try {
      return startSandbox(launch);
    } finally {
      swept.join(); // never fails; bounded by the CLI's timeout
    }
  }

  private SandboxProcess startSandbox(SandboxLaunch launch) {
    // each launch by its own confinement: one that may not go without the filter never runs without it
    List<Protection> off = daemon.requireFloor(config.runtime(), config.endpoint(), launch.confinement());
    Path workDir = launch.workDir().toAbsolutePath().normalize();
    config.socketPath().ifPresent(sock -> {
      if (sock.toAbsolutePath().normalize().startsWith(workDir)) {
        throw new SandboxException(
            "the workspace " + workDir + " contains the Docker socket " + sock + "; the agent must never reach it."
                + " Choose a workspace that does not contain it");
      }
    });
    if (self == null) {
      for (Path engine : ContainerFloor.ENGINE_PATHS) {
        if (engine.startsWith(workDir)) {
          throw new SandboxException("the workspace " + workDir + " contains the container engine's " + engine
              + "; the agent must never reach it. Choose a workspace that does not contain it");
        }
      }
    }
    hostPath("workspace", workDir); // fails here, before any container exists, if the daemon cannot mount it
    HardLinkedHidden.refuse(launch.hiddenPaths(), workDir); // a hidden file's other name would show it
    // what the agent sees of the host: decided, and every source checked, before any container exists
    ContainerMounts view = ContainerMounts.plan(workDir, launch.agentPaths(), launch.confinement(), launch.hiddenPaths(),
        enginePaths(), InitCommand.current().hostPaths());
    launch.confinement().requireNoLinks(); // after the engine's paths, which name their own refusal
    List<String> mounts = view.args(this::hostPath, ContainerSandbox::mountable);
    // Never root: the policy's user, else the workspace's owner (whose files the agent's then are).
    AgentUser user = launch.confinement().user().orElseGet(() -> AgentUser.ownerOf(workDir, passwd));
    if (NetnsSandbox.isRoot()) {
      RuntimeAccess.grant(launch.agentPaths(), user); // the session's files its variables point at
    }
    ContainerFloor floor = new ContainerFloor(user, daemon.effectiveRuntime(config.runtime()), config.agentImage(),
        agentImage.digest(), config, launch.confinement().limits(), daemon.remapsUsers(),
        !launch.confinement().mayGoWithout().isEmpty(), off);
    String id = HexFormat.of().formatHex(randomBytes());
    String agent = "taskbound-" + id + "-agent";
    Optional<NativeInit> handsOver = handOffInit(launch);
    if (handsOver.isPresent()) {
      Optional<SandboxProcess> started = startHandingOver(launch, workDir, id, agent, floor, view, mounts, handsOver.get());
      if (started.isPresent()) {
        return started.get();
      }
    }
    String forwarder = "taskbound-" + id + "-forwarder";
    Map<String, String> handle = new LinkedHashMap<>();
    handle.put("backend", "container");
    handle.put("endpoint", config.endpoint());
    handle.put("forwarder", forwarder);
    handle.put("agent", agent);
    ContainerSandboxProcess process =
        new ContainerSandboxProcess(this, handle, status -> explainNotFound(status, agent, launch));
    // The agent container is created while the forwarder starts (the daemon resolves
    // 'container:<forwarder>' when the agent starts, not when it is created); it starts once the
    // forwarder listens.
    AgentCreate create = agentCreate(launch, workDir, id, agent, "container:" + forwarder, floor, mounts, List.of(),
        launch.command());
    CompletableFuture<DockerCli.Result> created = docker.async(CLI_TIMEOUT, create.env(), create.args());
    try {
      long deadline = System.nanoTime() + launch.startTimeout().toNanos();
      process.forwarderStarted(startForwarder(launch, id, forwarder, deadline));
      requireCreated(created.join(), create);
      process.confined(floor.describe(view.readOnly(), view.readWrite(), view.hidden()));
      process.agentStarted(startAgent(launch, agent));
      return process;
    } catch (RuntimeException e) {
      created.join(); // bounded by the CLI's timeout; removed below, never created after the removal
      process.destroyTree();
      throw e instanceof SandboxException ? e : new SandboxException("cannot start the container sandbox: " + e.getMessage(), e);
    }
  }

  /**
   * The native init that lets the agent container hand its own proxy port to the gateway, when this
   * launch can use it: the launch takes the listener and this JVM can receive it, the jar carries an
   * init for the image's architecture, and the agent runs under runc or crun (a runtime such as
   * gVisor keeps sockets in its own network stack, which cannot pass a descriptor to the host).
   * Empty: the forwarder container.
   */
  private Optional<NativeInit> handOffInit(SandboxLaunch launch) {
    if (!ListenerReceiver.offers(launch) || !HANDS_OVER.contains(daemon.effectiveRuntime(config.runtime()))) {
      return Optional.empty();
    }
    return NativeInit.bundled(agentImage.architecture());
  }

  /** The runtimes under which the agent container's init hands its listener over (see {@link #handOffInit}). */
  private static final Set<String> HANDS_OVER = Set.of("runc", "io.containerd.runc.v2", "crun");
  private static final String INIT_TARGET = "/run/taskbound-init";
  private static final String HANDOFF_TARGET = "/run/taskbound-handoff.sock";

  /**
   * One container: the agent container in a network namespace of its own ({@code --network none}),
   * whose first process (under Docker's init) is the native init, bind-mounted read-only. It binds
   * the proxy port, hands the listener to this JVM through a one-connection socket bind-mounted
   * beside it (one per launch, beside the gateway socket), and execs the agent (the image's
   * entrypoint, then the command, as Docker would). Returns once the init has handed the port over
   * (or the container ended first: its status then says why, e.g. 121 from the init); the copies
   * of the init and the socket are removed at once (the container's mounts keep what they need).
   *
   * @return empty when the init cannot be executed where the daemon can mount it ({@code noexec}):
   *     the forwarder container then
   * @throws SandboxException if a container cannot be created or the init does not hand over within
   *     the start timeout (the container is removed)
   */
  private Optional<SandboxProcess> startHandingOver(SandboxLaunch launch, Path workDir, String id, String agent,
      ContainerFloor floor, ContainerMounts view, List<String> mounts, NativeInit init) {
    Path socketDir = launch.gatewaySocket().toAbsolutePath().getParent();
    Path initCopy = socketDir.resolve("init-" + id);
    Path handoffPath = socketDir.resolve("handoff-" + id + ".sock");
    Map<String, String> handle = new LinkedHashMap<>();
    handle.put("backend", "container");
    handle.put("endpoint", config.endpoint());
    handle.put("agent", agent);
    ContainerSandboxProcess process =
        new ContainerSandboxProcess(this, handle, status -> explainNotFound(status, agent, launch));
    try {
      if (init.installAs(initCopy).isEmpty()) {
        return Optional.empty();
      }
      try (ListenerReceiver handoff = ListenerReceiver.offer(launch, handoffPath)) {
        if (handoff == null) {
          return Optional.empty();
        }
        // the init runs as the agent's user; only this container sees the socket (its directory is private)
        Files.setPosixFilePermissions(handoffPath, java.nio.file.attribute.PosixFilePermissions.fromString("rw-rw-rw-"));
        List<String> all = new ArrayList<>(mounts);
        all.addAll(List.of(
            "--mount", "type=bind,source=" + hostPath("sandbox's native init", initCopy) + ",target=" + INIT_TARGET + ",readonly",
            "--mount", "type=bind,source=" + hostPath("hand-off socket", handoffPath) + ",target=" + HANDOFF_TARGET + ",readonly"));
        List<String> command = new ArrayList<>(agentImage.entrypoint());
        command.addAll(launch.command());
        List<String> argv = NativeInit.containerArgv(INIT_TARGET, HANDOFF_TARGET, config.forwarderPort(), command);
        AgentCreate create = agentCreate(launch, workDir, id, agent, "none", floor, all, List.of("--entrypoint", argv.get(0)),
            argv.subList(1, argv.size()));
        long deadline = System.nanoTime() + launch.startTimeout().toNanos();
        requireCreated(docker.run(CLI_TIMEOUT, create.env(), create.args()), create);
        process.confined(floor.describe(view.readOnly(), view.readWrite(), view.hidden(),
            "net (its own: loopback only, the proxy port handed to the gateway)"));
        Process cli = startAgent(launch, agent);
        process.agentStarted(cli);
        if (!handoff.awaitFrom(cli, deadline, launch.startTimeout()) && cli.isAlive()) {
          throw new SandboxException("the agent container did not hand its proxy port over within the start timeout;"
              + " it was removed");
        }
        return Optional.of(process);
      }
    } catch (IOException e) {
      process.destroyTree();
      throw new SandboxException("cannot start the container sandbox: " + e.getMessage(), e);
    } catch (RuntimeException e) {
      process.destroyTree();
      throw e instanceof SandboxException ? e : new SandboxException("cannot start the container sandbox: " + e.getMessage(), e);
    } finally {
      try {
        Files.deleteIfExists(initCopy);
      } catch (IOException e) {
        // removed with the session's runtime directory
      }
    }
  }

  /**
   * Accepts the agent container's creation; one the daemon refused while the forwarder did not exist
   * yet (a daemon that resolves the network container at creation) is created again now that it does.
   */
  private void requireCreated(DockerCli.Result created, AgentCreate create) {
    DockerCli.Result r = created.ok() ? created : docker.run(CLI_TIMEOUT, create.env(), create.args());
    if (!r.ok()) {
      throw new SandboxException("cannot create the agent container from image '" + config.agentImage() + "': " + r.oneLine());
    }
  }

  private byte[] randomBytes() {
    byte[] b = new byte[6];
    random.nextBytes(b);
    return b;
  }

  /** A path as a {@code --mount} value takes it: its syntax is comma-separated, so commas are refused. */
  private static String mountable(String what, Path path) {
    String s = path.toString();
    if (s.indexOf(',') >= 0 || s.indexOf('"') >= 0 || s.indexOf('\n') >= 0) {
      throw new SandboxException(
          "the container sandbox cannot mount the " + what + " " + s + ": the path contains a comma, quote or newline;"
              + " accepted: paths without them");
    }
    return s;
  }

  private List<String> labels(String id) {
    List<String> a = new ArrayList<>(List.of("--label", LABEL + "=" + id, "--label", ContainerOwner.LABEL + "=" + owner.value()));
    config.labels().forEach((k, v) -> a.addAll(List.of("--label", k + "=" + v)));
    return a;
  }

  private Process startForwarder(SandboxLaunch launch, String id, String name, long deadline) {
    Path socket = launch.gatewaySocket().toAbsolutePath();
    String owner;
    try {
      owner = Files.getAttribute(socket, "unix:uid") + ":" + Files.getAttribute(socket, "unix:gid");
    } catch (IOException | UnsupportedOperationException e) {
      throw new SandboxException("cannot read the owner of the gateway socket " + socket + ": " + e.getMessage(), e);
    }
    List<String> args = new ArrayList<>(List.of("run", "--name", name));
    args.addAll(labels(id));
    args.addAll(List.of(
        "--pull", "never", "--network", "none", "--read-only", "--cap-drop", "ALL",
        // exec: junixsocket loads its native code from a file it writes to /tmp (ListenerHandoff)
        "--security-opt", "no-new-privileges", "--user", owner, "--tmpfs", "/tmp:size=16m,exec",
        "--mount", "type=bind,source=" + hostPath("gateway socket's directory", socket.getParent()) + ",target="
            + GATEWAY_DIR + ",readonly"));
    Path ownCode = config.forwarderCode().toAbsolutePath();
    ContainerSelf s = self;
    String code;
    if (s != null && s.hostPath(ownCode).isEmpty()) {
      code = mountable("forwarder code", ownCode); // in the image we run from, which the forwarder runs too
    } else {
      code = CODE_MOUNT + (Files.isDirectory(ownCode) ? "" : ".jar");
      args.addAll(List.of("--mount", "type=bind,source=" + hostPath("forwarder code", ownCode) + ",target=" + code + ",readonly"));
    }
    // junixsocket hands the listener over; in a build its jars are not inside Taskbound's own code.
    List<String> classPath = new ArrayList<>(List.of(code));
    boolean canHandOver = mountLibraries(args, ownCode, classPath);
    args.addAll(List.of("--entrypoint", config.forwarderJava(), s != null ? s.image() : config.forwarderImage()));
    args.addAll(InitCommand.FAST_START);
    args.addAll(List.of("-cp", String.join(":", classPath), ContainerForwarder.class.getName(),
        GATEWAY_DIR + "/" + socket.getFileName(), String.valueOf(config.forwarderPort())));
    // The hand-off socket sits next to the gateway's, in the directory the forwarder has mounted.
    Path handoffPath = socket.getParent().resolve("handoff-" + id + ".sock");
    try (ListenerReceiver handoff = canHandOver ? offerHandoff(launch, handoffPath) : null) {
      if (handoff != null) {
        args.add(GATEWAY_DIR + "/" + handoff.path().getFileName());
      }
      Process p;
      try {
        p = docker.builder(args, Map.of()).redirectErrorStream(true).redirectInput(Redirect.from(new java.io.File("/dev/null"))).start();
      } catch (IOException e) {
        throw new SandboxException("cannot run " + config.dockerBinary() + ": " + e.getMessage(), e);
      }
      awaitReady(p, deadline);
      if (handoff != null) {
        collect(handoff, p, launch);
      }
      return p;
    }
  }

  /**
   * Mounts junixsocket's jars into the forwarder where they are not part of {@code ownCode} (a
   * build's class path rather than the shaded jar), adding them to {@code classPath}.
   *
   * @return false if one cannot be mounted: the forwarder then only forwards
   */
  private boolean mountLibraries(List<String> args, Path ownCode, List<String> classPath) {
    List<String> mounts = new ArrayList<>();
    int n = 0;
    for (Path jar : ListenerHandoff.libraryLocations()) {
      if (jar.equals(ownCode)) {
        continue;
      }
      String target = CODE_MOUNT + "-lib" + (n++) + ".jar";
      try {
        mounts.addAll(List.of("--mount", "type=bind,source=" + hostPath("junixsocket library", jar) + ",target=" + target + ",readonly"));
      } catch (SandboxException notMountable) {
        return false;
      }
      classPath.add(target);
    }
    args.addAll(mounts);
    return true;
  }

  private static ListenerReceiver offerHandoff(SandboxLaunch launch, Path path) {
    try {
      return ListenerReceiver.offer(launch, path);
    } catch (IOException e) {
      return null; // the forwarder forwards
    }
  }

  private static void collect(ListenerReceiver handoff, Process forwarder, SandboxLaunch launch) {
    try {
      handoff.collect(forwarder, launch.startTimeout());
    } catch (IOException e) {
      // nothing was taken: the forwarder forwards
    }
  }

  /** Reads the forwarder's output until its ready line; then keeps draining it in the background. */
  private void awaitReady(Process p, long deadline) {
    BufferedReader reader = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    StringBuilder seen = new StringBuilder();
    CompletableFuture<Boolean> ready = CompletableFuture.supplyAsync(() -> {
      try {
        String line;
        while ((line = reader.readLine()) != null) {
          if (line.startsWith(ContainerForwarder.READY)) {
            return true;
          }
          synchronized (seen) {
            if (seen.length() < 2000) {
              seen.append(line.strip()).append("; ");
            }
          }
        }
      } catch (IOException e) {
        // the CLI is gone
      }
      return false;
    });
    boolean ok;
    try {
      ok = ready.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      throw new SandboxException("the container sandbox's forwarder did not listen within the start timeout; it was removed");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SandboxException("interrupted while starting the container sandbox's forwarder");
    } catch (ExecutionException e) {
      ok = false;
    }
    if (!ok) {
      String why;
      synchronized (seen) {
        why = seen.toString().strip();
      }
      throw new SandboxException("the container sandbox's forwarder did not start: " + (why.isEmpty() ? "no output" : why));
    }
    CompletableFuture.runAsync(() -> {
      try (reader) {
        while (reader.readLine() != null) {
          // nothing else is expected; draining keeps the CLI from blocking
        }
      } catch (IOException e) {
        // gone
      }
    });
  }

  /** The {@code docker create} of the agent container: its arguments and the variables the CLI passes on. */
  private record AgentCreate(List<String> args, Map<String, String> env) {}

  /**
   * The {@code docker create} of the agent container under the floor, on {@code network}
   * ({@code none}, or {@code container:<forwarder>}), with {@code entrypoint} flags (none: the
   * image's) and {@code command}.
   */
  private AgentCreate agentCreate(SandboxLaunch launch, Path workDir, String id, String name, String network,
      ContainerFloor floor, List<String> mounts, List<String> entrypoint, List<String> command) {
    Map<String, String> env = agentEnvironment(launch.environment());
    env.putAll(floor.environment());
    List<String> args = new ArrayList<>(List.of("create", "--name", name));
    args.addAll(labels(id));
    args.addAll(List.of("--pull", "never", "--network", network, "--init"));
    args.addAll(floor.args());
    args.addAll(mounts);
    for (Map.Entry<Path, Path> placed : new java.util.TreeMap<>(launch.placed()).entrySet()) {
      // the agent's managed settings and hook (docs/hooks.md), at the path the agent reads them from
      Path host = placed.getValue().toAbsolutePath().normalize();
      args.addAll(List.of("--mount", "type=bind,source=" + hostPath("agent's hook files", host) + ",target="
          + placed.getKey() + ",readonly"));
    }
    args.addAll(List.of("--workdir", workDir.toString()));
    // the agent reads the launch's stdin, as in the other backends; never --tty: the daemon reads
    // detach keys (ctrl-p ctrl-q) only on a TTY's input, so whoever feeds the agent's stdin cannot
    // detach the CLI and end the run with 0 while the agent runs on
    args.add("--interactive");
    // The proxy settings go on the command line, never in the CLI's own environment: with a tcp://
    // daemon the CLI would send the create request, every --env value in it, through that proxy.
    Map<String, String> cliEnv = new LinkedHashMap<>();
    env.forEach((k, v) -> {
      if (PROXY_VARIABLES.contains(k.toLowerCase(Locale.ROOT))) {
        args.addAll(List.of("--env", k + "=" + v));
      } else {
        args.addAll(List.of("--env", k));
        cliEnv.put(k, v);
      }
    });
    args.addAll(entrypoint);
    // by the id the preflight inspected and the evidence records: the name may be re-tagged since
    args.add(agentImage.digest());
    args.addAll(command);
    return new AgentCreate(List.copyOf(args), Map.copyOf(cliEnv));
  }

  /** Variables a client (the docker CLI among them) takes its proxy from, in lower case. */
  static final Set<String> PROXY_VARIABLES = Set.of("http_proxy", "https_proxy", "all_proxy", "no_proxy",
      "ftp_proxy");

  /** The variables the agent container gets: the launch's, the proxy's; see the class comment. */
  private Map<String, String> agentEnvironment(Map<String, String> base) {
    Map<String, String> env = new LinkedHashMap<>();
    ProxyEnvironment.forAgent(base, config.forwarderPort()).forEach((k, v) -> {
      String upper = k.toUpperCase(Locale.ROOT);
      if (!k.equals("PATH") && !k.equals("HOSTNAME") && !upper.startsWith("DOCKER_") && !k.contains("=")) {
        env.put(k, v);
      }
    });
    return env;
  }

  private Process startAgent(SandboxLaunch launch, String name) {
    List<String> args = List.of("start", "--attach", "--interactive", name);
    try {
      ProcessBuilder pb = docker.builder(args, Map.of());
      pb.command(launch.io().commandLine(pb.command())); // a terminal of its own: the docker client holds it
      return pb
          .redirectInput(launch.io().stdin())
          .redirectOutput(launch.io().stdout())
          .redirectError(launch.io().stderr())
          .start();
    } catch (IOException e) {
      throw new SandboxException("cannot run " + config.dockerBinary() + ": " + e.getMessage(), e);
    }
  }

  /** The exit status the daemon recorded for a container that has ended, if it still exists. */
  OptionalInt exitStatus(String container) {
    DockerCli.Result r =
        docker.run(CLI_TIMEOUT, List.of("container", "inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", container));
    String[] f = r.output().strip().split(" ");
    if (!r.ok() || f.length != 2 || f[0].equals("running")) {
      return OptionalInt.empty();
    }
    try {
      return OptionalInt.of(Integer.parseInt(f[1]));
    } catch (NumberFormatException e) {
      return OptionalInt.empty();
    }
  }

  /**
   * After exit 127 of a bare command name, adds one line naming the {@code PATH} the agent container
   * searched. The container's init ({@code --init}) looks the command up in the image's {@code PATH}
   * as a shell would ({@code execvp}) and names the command in its own line; the host's {@code PATH}
   * never applies there, which is what a user coming from the other backends needs to know.
   */
  private void explainNotFound(int status, String container, SandboxLaunch launch) {
    String command = launch.command().get(0);
    if (status != 127 || command.contains("/")) {
      return;
    }
    DockerCli.Result env = docker.run(
        CLI_TIMEOUT, List.of("container", "inspect", "--format", "{{range .Config.Env}}{{println .}}{{end}}", container));
    String path = env.ok()
        ? env.output().lines().filter(l -> l.startsWith("PATH=")).map(l -> l.substring(5)).findFirst()
            .orElse(ExecutableLookup.DEFAULT_PATH)
        : "(unknown: " + env.oneLine() + ")";
    String line = "taskbound: the agent exited 127; if '" + ExecutableLookup.Printable.of(command)
        + "' was not found: the agent container searched the image's PATH=" + ExecutableLookup.Printable.of(path)
        + " (the host's PATH does not apply in the container backend)" + System.lineSeparator();
    Redirect err = launch.io().stderr();
    try {
      if (err.file() != null) {
        Files.writeString(err.file().toPath(), line, StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.APPEND);
      } else if (err == Redirect.INHERIT) {
        System.err.print(line);
      }
    } catch (IOException e) {
      // the hint is a courtesy; the exit status already says 127
    }
  }

  /** Sends a signal to a container's main process ({@code docker kill}); a gone container is ignored. */
  void signal(String container, String signal) {
    docker.run(CLI_TIMEOUT, List.of("kill", "--signal", signal, container));
  }

  /**
   * Removes the containers named in a handle from {@link SandboxProcess#handle()} ({@code docker rm
   * -f}), also from a process that did not start them. Idempotent: containers already gone count as
   * removed.
   *
   * @param handle the recorded handle; its {@code endpoint} must be this instance's
   * @throws SandboxException if the daemon cannot be reached or refuses to remove a container, with
   *     the daemon's message
   */
  public void remove(Map<String, String> handle) {
    List<String> names = new ArrayList<>();
    for (String key : List.of("agent", "forwarder")) {
      String name = handle.get(key);
      if (name != null) {
        if (!name.matches("taskbound-[0-9a-f]+-(agent|forwarder)")) {
          throw new IllegalArgumentException("not a Taskbound container name: " + name);
        }
        names.add(name);
      }
    }
    if (names.isEmpty()) {
      return;
    }
    List<String> args = new ArrayList<>(List.of("rm", "--force", "--volumes"));
    args.addAll(names);
    requireRemoved(names, docker.run(CLI_TIMEOUT, args));
  }

  /**
   * Removes the containers of this backend, running or not, whose maker is gone: a Taskbound killed
   * before its teardown ran (each container carries its maker as {@link ContainerOwner}). A
   * container whose maker lives, or cannot be judged from here (another boot, PID namespace or
   * machine), stays. Every {@link #start} does this beside its own start; {@code teardown --session}
   * does it after removing a dead session's containers. Never fails: what cannot be listed or
   * removed stays for the next start.
   *
   * @return how many containers were removed
   */
  public int removeLeftovers() {
    List<DockerCli.Result> answers = docker.runAll(CLI_TIMEOUT, List.of(
        List.of("ps", "--all", "--no-trunc", "--filter", "label=" + ContainerOwner.LABEL,
            "--format", "{{.ID}}\t{{.Label \"" + ContainerOwner.LABEL + "\"}}"),
        List.of("ps", "--no-trunc", "--format", "{{.ID}}\t{{.Names}}")));
    if (!answers.get(0).ok() || !answers.get(1).ok()) {
      return 0;
    }
    Set<String> running = new java.util.HashSet<>();
    answers.get(1).output().lines().forEach(l -> running.addAll(List.of(l.strip().split("\t"))));
    List<String> gone = new ArrayList<>();
    for (String line : answers.get(0).output().lines().toList()) {
      String[] f = line.strip().split("\t", 2);
      if (f.length == 2 && f[0].matches("[0-9a-f]{12,64}") && new ContainerOwner(f[1]).isGone(running, PROC)) {
        gone.add(f[0]);
      }
    }
    if (gone.isEmpty()) {
      return 0;
    }
    List<String> args = new ArrayList<>(List.of("rm", "--force", "--volumes"));
    args.addAll(gone);
    DockerCli.Result r = docker.run(CLI_TIMEOUT, args);
    return r.ok() ? gone.size() : (int) gone.stream().filter(id -> !r.output().contains(id)).count();
  }

  /**
   * Removes every container, running or not, that carries the label {@code key=value}: the undo a
   * session can journal <em>before</em> {@link #start} when it put its own label on the containers
   * ({@link ContainerConfig.Builder#label}), so that a Taskbound process killed during start leaves
   * nothing behind. Idempotent.
   *
   * @return how many containers were removed
   * @throws SandboxException if the daemon cannot be reached or refuses, with its message
   */
  public int removeLabelled(String key, String value) {
    if (!key.matches("[a-z0-9][a-z0-9._-]{0,127}") || value.indexOf('\n') >= 0) {
      throw new IllegalArgumentException("bad label " + key);
    }
    DockerCli.Result found =
        docker.run(CLI_TIMEOUT, List.of("ps", "--all", "--quiet", "--filter", "label=" + key + "=" + value));
    if (!found.ok()) {
      throw new SandboxException("cannot list the containers labelled " + key + "=" + value + " at " + config.endpoint()
          + ": " + found.oneLine());
    }
    List<String> ids = found.output().strip().isEmpty() ? List.of() : List.of(found.output().strip().split("\\s+"));
    if (ids.isEmpty()) {
      return 0;
    }
    List<String> args = new ArrayList<>(List.of("rm", "--force", "--volumes"));
    args.addAll(ids);
    DockerCli.Result r = docker.run(CLI_TIMEOUT, args);
    requireRemoved(ids, r);
    return ids.size();
  }

  private void requireRemoved(List<String> names, DockerCli.Result r) {
    if (r.ok()) {
      return;
    }
    for (String line : r.output().split("\n")) {
      String l = line.strip();
      if (!l.isEmpty() && !l.contains("No such container") && !l.contains("is already in progress")) {
        throw new SandboxException("cannot remove the containers " + names + " at " + config.endpoint() + ": " + r.oneLine());
      }
    }
  }
}
