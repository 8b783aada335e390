package dev.taskbound.core.sandbox;

import dev.taskbound.core.policy.Protection;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * The {@code netns} backend: the agent runs confined by bubblewrap in new user, network, PID,
 * mount, IPC, UTS and cgroup namespaces, as an unprivileged host user, with every capability
 * dropped from its bounding set and {@code no_new_privs} set. The network namespace has only
 * loopback; {@link SandboxInit} binds the agent's proxy port there ({@link #AGENT_PROXY_PORT}) and hands it to the gateway,
 * and nothing else leaves (no route, no DNS). The filesystem view is built from an allow-list
 * ({@link FilesystemView}): the host read-only, the workspace writable, a private {@code /tmp} and
 * home, an empty tmpfs over homes, runtime sockets and container engines' state, a minimal
 * {@code /dev}, a fresh {@code /proc}; only this session's runtime directory, read-only.
 *
 * <p>Run as root, Taskbound never lets the agent be root: bwrap builds the namespaces and mounts
 * with root's privileges, then the agent's identity is applied inside ({@link #agentIdentity}): the
 * launch's {@link Confinement#user()}, else the workspace's owner; never uid 0. Run as an ordinary
 * user, the agent is that user, and bwrap's own user namespace holds the mounts.
 *
 * <p>The process chain: {@code bwrap} (outside) → {@code bwrap} (PID 1 inside, reaping) → [as root:
 * {@code setpriv} → {@code bwrap} (the agent's user namespace)] → init ({@link NativeInit}, else
 * {@code java SandboxInit}) → the agent. No one in the sandbox can make another user namespace ({@code --disable-userns}). When the outermost process dies,
 * {@code --die-with-parent} ends the PID namespace and with it every process the agent started.
 * Thread-safe.
 */
public final class NetnsSandbox implements Sandbox {
  /** What a user can do when the backend is unavailable; ends every preflight message. */
  static final String OPTIONS =
      "Options: install bubblewrap and allow unprivileged user namespaces on this host (needed as root too: the agent"
          + " runs as an unprivileged user), use the container backend, or use the proxy backend with 'enforcement:"
          + " cooperative' in the policy (proxy variables only, not enforced); as root, where the Ceiling allows it"
          + " (sandbox.allowReduced: [user-namespace]), 'sandbox.confinement: reduced' runs the agent without its own"
          + " user namespace";

  /** Files always covered with {@code /dev/null}: the Docker socket and the resolver configuration. */
  public static final List<Path> MASKED_BY_DEFAULT =
      List.of(Path.of("/var/run/docker.sock"), Path.of("/run/docker.sock"), Path.of("/etc/resolv.conf"));

  /**
   * The agent's proxy port on the sandbox's own loopback: fixed, and bound by init before the agent
   * starts, so that Taskbound can tell its own clients there (the agent's hook, docs/hooks.md)
   * where the gateway is without the agent's proxy variables, and nothing the agent starts can hold
   * that port instead.
   */
  public static final int AGENT_PROXY_PORT = 3128;

  @Override
  public java.util.OptionalInt agentProxyPort() {
    return java.util.OptionalInt.of(AGENT_PROXY_PORT);
  }

  /** The namespaces every agent gets, as recorded in the evidence. */
  static final List<String> NAMESPACES = List.of("user", "mount", "pid", "net", "ipc", "uts", "cgroup");

  private final String searchPath;
  private final List<Path> masked;
  private final InitCommand init;
  private final Optional<NativeInit> nativeInit; // empty: always the JVM's SandboxInit
  private final Path sysctls;
  private final Path passwd;
  private final String osArch;
  private final Path cgroupRoot;
  private volatile SandboxTools checkedTools; // preflight passed once for this instance

  /**
   * The default: tools from the system directories only (a caller's PATH must not choose the
   * programs that build the sandbox, often as root), the default masks, this JVM.
   */
  public NetnsSandbox() {
    this(SandboxTools.defaultSearchPath(null), MASKED_BY_DEFAULT, InitCommand.current());
  }

  /**
   * @param searchPath where to look for {@code bwrap} and {@code setpriv}
   * @param masked files to cover with {@code /dev/null} in every sandbox, in addition to each
   *     launch's hidden paths (missing ones are skipped)
   * @param init how to start {@link SandboxInit}
   */
  public NetnsSandbox(String searchPath, List<Path> masked, InitCommand init) {
    this(searchPath, masked, init, Path.of("/proc/sys"));
  }

  NetnsSandbox(String searchPath, List<Path> masked, InitCommand init, Path sysctls) {
    this(searchPath, masked, init, sysctls, System.getProperty("os.arch"));
  }

  /** @param osArch the architecture whose seccomp profile applies, as {@code os.arch} names it */
  NetnsSandbox(String searchPath, List<Path> masked, InitCommand init, Path sysctls, String osArch) {
    this(searchPath, masked, init, sysctls, osArch, NativeInit.bundled(osArch), Path.of("/sys/fs/cgroup"));
  }

  private NetnsSandbox(String searchPath, List<Path> masked, InitCommand init, Path sysctls, String osArch,
      Optional<NativeInit> nativeInit, Path cgroupRoot) {
    this.searchPath = Objects.requireNonNull(searchPath, "searchPath");
    this.masked = List.copyOf(masked);
    this.init = Objects.requireNonNull(init, "init");
    this.sysctls = sysctls;
    this.passwd = Path.of("/etc/passwd");
    this.osArch = osArch;
    this.cgroupRoot = cgroupRoot;
    this.nativeInit = nativeInit;
  }

  /**
   * This sandbox, but always starting the agent with the JVM's {@link SandboxInit}: what happens
   * where the native init is unavailable (see {@link NativeInit}). For tests and comparisons.
   */
  public NetnsSandbox jvmInitOnly() {
    return new NetnsSandbox(searchPath, masked, init, sysctls, osArch, Optional.empty(), cgroupRoot);
  }

  /** This sandbox, with the agent's limits' cgroups made under {@code root} instead of {@code /sys/fs/cgroup}. For tests. */
  NetnsSandbox withCgroupRoot(Path root) {
    return new NetnsSandbox(searchPath, masked, init, sysctls, osArch, nativeInit, root);
  }

  /**
   * Checks, with the system directories as the tools search path, that this host can create the
   * sandbox for {@code confinement}: the tools and the sysctls; the probe too where its outcome
   * decides how the agent runs (as root, with a confinement that may go without the user
   * namespace). Elsewhere the start itself is the probe: a start that fails runs it then, to say
   * why ({@link #start}).
   *
   * @throws SandboxException naming the cause and the options
   */
  public static void preflight(Confinement confinement) {
    preflight(confinement, SandboxTools.defaultSearchPath(null), Path.of("/proc/sys"), isRoot());
  }

  /**
   * Whether the agent's view starts {@code path} empty whatever the host holds there ({@code /tmp},
   * {@code /home}, {@code /var/lib/jenkins}, ...): only what a launch binds back is seen in it.
   */
  public static boolean viewStartsEmpty(Path path) {
    return FilesystemView.isPrivate(path.toAbsolutePath().normalize());
  }

  /** As {@link #preflight(Confinement)}, with the tools' search path, the sysctl directory and root given. */
  static void preflight(Confinement confinement, String searchPath, Path sysctls, boolean root) {
    if (!probeDecides(root, confinement)) {
      check(searchPath, sysctls);
      return;
    }
    try {
      preflight(searchPath, sysctls, root);
    } catch (SandboxException full) {
      withoutUserNamespace(searchPath); // the launch may go without it, as the start's host() decides again
    }
  }

  /** The tools, where a root launch without the user namespace is possible: its own probe passes. */
  private static SandboxTools withoutUserNamespace(String searchPath) {
    SandboxTools located = SandboxTools.locate(searchPath);
    probe(located, true, false);
    return located;
  }

  /** Whether the probe's outcome chooses the launch: only where the reduced confinement may follow a failure. */
  private static boolean probeDecides(boolean root, Confinement confinement) {
    return root && confinement.allowsWithout(Protection.USER_NAMESPACE);
  }

  /**
   * Checks that the tools exist, that no sysctl forbids the user namespace, and that a probe
   * {@code unshare --user --map-root-user --net --mount --pid --fork true} succeeds.
   *
   * @param sysctls normally {@code /proc/sys}
   * @param root whether Taskbound runs as root (the sysctls restrict only unprivileged users)
   * @return the located tools
   * @throws SandboxException naming the cause (the missing tool, the sysctl, the probe's error) and
   *     the options
   */
  static SandboxTools preflight(String searchPath, Path sysctls, boolean root) {
    String key = searchPath + '\0' + sysctls + '\0' + root;
    SandboxTools passed = PASSED_PREFLIGHTS.get(key);
    if (passed != null) {
      return passed; // the open's check already ran the probe; the start does not run it again
    }
    SandboxTools tools = check(searchPath, sysctls);
    probe(tools, root, true);
    PASSED_PREFLIGHTS.put(key, tools);
    return tools;
  }

  /**
   * What can be known without starting anything: the tools exist and no sysctl forbids the user
   * namespace.
   *
   * @return the located tools
   * @throws SandboxException naming the missing tool or the sysctl, and the options
   */
  static SandboxTools check(String searchPath, Path sysctls) {
    SandboxTools tools = SandboxTools.locate(searchPath);
    // Root too: bwrap makes the user namespace after setpriv has become the unprivileged agent user.
    refuseIf(sysctls, "kernel/unprivileged_userns_clone", "0",
        "unprivileged user namespaces are disabled on this host (sysctl kernel.unprivileged_userns_clone=0)");
    refuseIf(sysctls, "user/max_user_namespaces", "0",
        "user namespaces are disabled on this host (sysctl user.max_user_namespaces=0)");
    return tools;
  }

  /**
   * Preflights that passed in this process, by search path, sysctl directory and root. A probe costs
   * a bwrap start (~40 ms); the session's open checks ahead and each start would check again. A host
   * that changes under a run still fails the start itself, with bwrap's own message.
   */
  private static final Map<String, SandboxTools> PASSED_PREFLIGHTS = new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * The tools, and whether the agent gets its own user namespace: always, unless the full preflight
   * fails as root and the launch may go without one ({@link Protection#USER_NAMESPACE}); then a
   * probe without it must pass. Only there does a probe run before the start: elsewhere the start
   * is the probe (a bwrap chain as long as the probe's, ~40 ms of a 2-core host's CPU at every
   * run's open), and one that fails runs the probe after, for its message ({@link #explain}).
   */
  private Host host(boolean root, Confinement confinement) {
    SandboxTools tools = checkedTools;
    if (tools != null) {
      return new Host(tools, Optional.empty(), true);
    }
    if (!probeDecides(root, confinement)) {
      return new Host(check(searchPath, sysctls), Optional.empty(), false);
    }
    try {
      tools = preflight(searchPath, sysctls, root);
      checkedTools = tools;
      return new Host(tools, Optional.empty(), true);
    } catch (SandboxException full) {
      return new Host(withoutUserNamespace(searchPath), Optional.of(full.getMessage()), true);
    }
  }

  /**
   * @param withoutUserNamespace why the agent runs without its own user namespace, if it does
   * @param proven whether a probe or an earlier start showed this host can create the sandbox
   */
  private record Host(SandboxTools tools, Optional<String> withoutUserNamespace, boolean proven) {}

  /**
   * A start that failed before any probe ran: the probe's failure, which names the cause (user
   * namespaces refused, AppArmor, seccomp) and the options, with the start's as suppressed; the
   * start's own failure where the probe passes (the host can create sandboxes: something else failed).
   */
  private static SandboxException explain(SandboxException failed, SandboxTools tools, boolean root) {
    if (Thread.currentThread().isInterrupted()) {
      return failed; // a stop or the TTL ended the start: the probe would only say it was interrupted
    }
    try {
      probe(tools, root, true);
      return failed;
    } catch (SandboxException cause) {
      cause.addSuppressed(failed);
      return cause;
    }
  }

  private static void refuseIf(Path sysctls, String name, String badValue, String cause) {
    Path file = sysctls.resolve(name);
    try {
      if (Files.isReadable(file) && Files.readString(file, StandardCharsets.US_ASCII).strip().equals(badValue)) {
        throw new SandboxException("the netns sandbox cannot be created: " + cause + ". " + OPTIONS);
      }
    } catch (IOException e) {
      // unreadable: the probe will tell
    }
  }

  private static void probe(SandboxTools tools, boolean root, boolean userns) {
    List<String> cmd = bwrap(tools, root, true);
    cmd.addAll(List.of("--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev", "--"));
    if (root) {
      cmd.addAll(agentIdentity(tools, 65534, 65534, userns)); // nobody: the user namespace is made unprivileged, as for the agent
    }
    cmd.add(SandboxTools.system("true", "coreutils").toString()); // by bwrap's PATH, the caller's: never a bare name
    String error;
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.PIPE).start();
      p.getOutputStream().close();
      byte[] out = p.getInputStream().readNBytes(4096);
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        error = "it did not finish within 10 s";
      } else if (p.exitValue() == 0) {
        return;
      } else {
        error = "it exited with status " + p.exitValue() + ": " + new String(out, StandardCharsets.UTF_8).strip().replace('\n', ' ');
      }
    } catch (IOException e) {
      error = e.getMessage();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      error = "interrupted";
    }
    throw new SandboxException(
        "the netns sandbox cannot be created: the probe '" + String.join(" ", cmd) + "' failed (" + error + "). " + OPTIONS);
  }

  /** Whether this process runs with real uid 0. */
  static boolean isRoot() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("Uid:")) {
          return line.split("\\s+")[1].equals("0");
        }
      }
    } catch (IOException e) {
      // not Linux: the probe fails with its own message
    }
    return false;
  }

  /**
   * Runs the preflight, then starts the agent as described in the class comment.
   *
   * @throws SandboxException if preflight fails, the agent's user would be root or cannot be
   *     applied, a hidden path would hide the gateway socket, the setup fails (bwrap's own message
   *     is on the job's stderr), or the agent is not started within the start timeout
   */
  @Override
  public SandboxProcess start(SandboxLaunch launch) {
    boolean root = isRoot();
    Host host = host(root, launch.confinement());
    SandboxTools tools = host.tools();
    boolean userns = host.withoutUserNamespace().isEmpty();
    Path socket = launch.gatewaySocket().toAbsolutePath();
    for (Path hidden : launch.hiddenPaths()) {
      if (socket.equals(hidden.toAbsolutePath())) {
        throw new SandboxException("hidden path " + hidden + " is the gateway socket; the agent must reach the socket");
      }
    }
    Optional<SeccompProfile> seccomp = ReducedSeccomp.profile(osArch, launch.confinement()); // none: fail closed, unless reduced
    Path workDir = launch.workDir().toAbsolutePath().normalize();
    HardLinkedHidden.refuse(launch.hiddenPaths(), workDir); // a hidden file's other name would show it
    AgentUser user = root ? launch.confinement().user().orElseGet(() -> AgentUser.ownerOf(workDir, passwd)) : currentUser();
    if (root) {
      // the gateway socket and the files the agent's variables point at become the agent user's
      List<Path> granted = new ArrayList<>(launch.agentPaths());
      granted.add(socket);
      RuntimeAccess.grant(granted, user);
    }
    launch.confinement().requireNoLinks();
    List<Path> readOnly = new ArrayList<>(launch.confinement().readOnly());
    readOnly.addAll(launch.agentPaths());
    readOnly.add(socket); // of this session's runtime directory, only the socket and the files above
    readOnly.addAll(init.hostPaths());
    List<Path> hidden = new ArrayList<>(launch.hiddenPaths());
    hidden.addAll(masked);
    List<Path> readWrite = launch.confinement().readWrite();
    refuseWritableTaskbound(readWrite, init.hostPaths());
    Map<String, String> env = new TreeMap<>(launch.environment());
    env.put("HOME", FilesystemView.AGENT_HOME.toString());
    env.put("USER", user.name());
    env.put("LOGNAME", user.name());
    Map<String, Object> described = new LinkedHashMap<>();
    described.put("uid", user.uid());
    described.put("gid", user.gid());
    described.put("user", user.name());
    // as root setpriv clears them; an unprivileged user namespace cannot (setgroups is denied in it)
    described.put("supplementary_groups", root ? List.of() : supplementaryGroups(user.gid()));
    described.put("namespaces", userns ? NAMESPACES : NAMESPACES.subList(1, NAMESPACES.size()));
    described.put("capabilities", "none (bounding set empty)");
    described.put("no_new_privs", true);
    described.put("filesystem", Map.of()); // the view the launch builds, below: its place in the record kept
    described.put("seccomp", ReducedSeccomp.describe(seccomp, osArch));
    described.put("confinement", launch.confinement().mayGoWithout().isEmpty() ? "full" : "reduced");
    List<String> off = new ArrayList<>();
    if (!userns) {
      off.add(Protection.USER_NAMESPACE.yamlName());
    }
    if (seccomp.isEmpty()) {
      off.add(Protection.SECCOMP.yamlName());
    }
    described.put("protections_off", off);
    List<String> because = new ArrayList<>();
    host.withoutUserNamespace().ifPresent(because::add);
    ReducedSeccomp.because(seccomp, osArch).ifPresent(because::add);
    if (!because.isEmpty()) {
      described.put("reduced_because", String.join("; ", because));
    }
    AgentLimits limits = AgentLimits.apply(launch.confinement().limits(), cgroupRoot, Path.of("/proc/self/cgroup"),
        "taskbound-" + ProcessHandle.current().pid() + "-" + Long.toHexString(System.nanoTime()));
    described.put("limits", limits.describe());
    SandboxTools located = tools;
    SandboxProcess started;
    try {
      started = InitLauncher.launch("netns", launch.withEnvironment(env),
          control -> {
            List<Path> withControl = new ArrayList<>(readOnly);
            withControl.add(control.getParent()); // the launcher's private sockets, made just now
            Path empty = emptyFile(control.getParent());
            Optional<Path> installed = nativeInit.flatMap(n -> n.installIn(control.getParent()));
            // with the native init at hand, the policy's paths and the working directory are opened
            // without following a link and bound from those descriptors (see FilesystemView.held);
            // without it, by name. The working directory too: a session exec's was checked by its
            // real path, and the agent of a concurrent exec could swap a link in after the check
            Optional<java.util.Set<Path>> held = installed.map(i -> policyPaths(launch.confinement(), workDir));
            FilesystemView inside =
                FilesystemView.build(Path.of("/"), workDir, readWrite, withControl, hidden, empty, limits.views(), launch.placed(), held);
            // built once, with the launch's own directory: what the agent is shown, as recorded
            described.put("filesystem", inside.describe());
            described.put("paths_bound_by", installed.isPresent() ? "descriptor" : "name");
            Path profile = seccomp.map(f -> f.writeTo(control.getParent())).orElse(Path.of("/dev/null"));
            // the native init does the setup shell's job itself: one process fewer on the start path
            List<String> a = new ArrayList<>(installed.map(i -> NativeInit.setupArgv(i, inside.held(), limits.joinFiles(), profile))
                .orElseGet(() -> setup(profile, limits)));
            a.addAll(limits.prlimit(searchPath));
            a.addAll(argv(located, root, userns, seccomp.isPresent(), user, inside, workDir,
                initArgv(launch, control, installed.filter(i -> ListenerReceiver.offers(launch)), described),
                !launch.io().newSession().isEmpty()));
            return a;
          }, root ? Optional.of(user) : Optional.empty(), described);
    } catch (SandboxException e) {
      limits.remove();
      throw host.proven() ? e : explain(e, tools, root);
    } catch (RuntimeException | Error e) {
      limits.remove();
      throw e;
    }
    if (userns) {
      checkedTools = tools; // a start with the user namespace is as good a proof as the probe
    }
    ProcessHandle.of(started.pid()).ifPresentOrElse(h -> h.onExit().thenRun(limits::remove), limits::remove);
    return started;
  }

  /**
   * The native init where this jar carries one, the launcher offers the hand-off it needs and the
   * launch's private directory executes programs; else the JVM's. Records which in
   * {@code described} (read by the launcher only after this ran).
   */
  private List<String> initArgv(SandboxLaunch launch, Path control, Optional<Path> installed, Map<String, Object> described) {
    described.put("init", installed.isPresent() ? NativeInit.NATIVE : NativeInit.JVM);
    return installed.map(p -> NativeInit.argv(p, control, AGENT_PROXY_PORT))
        .orElseGet(() -> init.argv(control.toString(), Integer.toString(AGENT_PROXY_PORT)));
  }

  /** The working directory and the policy's read-only and read-write paths: checked for links, and where the agent may write. */
  private static java.util.Set<Path> policyPaths(Confinement confinement, Path workDir) {
    java.util.Set<Path> out = new java.util.HashSet<>();
    out.add(workDir.toAbsolutePath().normalize());
    confinement.readOnly().forEach(p -> out.add(p.toAbsolutePath().normalize()));
    confinement.readWrite().forEach(p -> out.add(p.toAbsolutePath().normalize()));
    return out;
  }

  /**
   * A policy's read-write path at or under what runs the sandbox (the Taskbound jar or classes, the
   * JDK of {@link SandboxInit}) would let the agent change the next run's code: refused.
   */
  private static void refuseWritableTaskbound(List<Path> readWrite, List<Path> taskbound) {
    for (Path w : readWrite) {
      Path abs = w.toAbsolutePath().normalize();
      for (Path t : taskbound) {
        Path own = t.toAbsolutePath().normalize();
        if (abs.startsWith(own)) {
          throw new SandboxException("the read-write path " + w + " lies within " + own + ", which runs the sandbox and"
              + " stays read-only; accepted: a path outside Taskbound's jar, classes and JDK");
        }
      }
    }
  }

  /**
   * What runs first without the native init, as the user Taskbound runs as: a POSIX shell that joins
   * the agent's cgroups, opens the seccomp profile on descriptor 3 (bwrap's {@code --seccomp 3} reads
   * it; Java cannot hand a child a descriptor of its choosing) and execs the rest ({@code prlimit}
   * when pids are limited by rlimit, then bwrap). Values travel as arguments, never inside the
   * script. With the native init, {@link NativeInit#setupArgv} does the same without the shell.
   */
  private List<String> setup(Path profile, AgentLimits limits) {
    List<String> a = new ArrayList<>(List.of(SandboxTools.find(searchPath, "sh", "dash").toString(), "-c", SETUP_SCRIPT,
        "taskbound-setup", profile.toString(), Integer.toString(limits.joinFiles().size())));
    limits.joinFiles().forEach(f -> a.add(f.toString()));
    return a;
  }

  /** {@code $1}: the profile; {@code $2}: how many cgroup.procs files follow; then the command. */
  static final String SETUP_SCRIPT = "profile=$1; n=$2; shift 2; "
      + "while [ \"$n\" -gt 0 ]; do echo $$ > \"$1\" || exit 121; shift; n=$((n - 1)); done; "
      + "exec 3< \"$profile\"; exec \"$@\"";

  /** An empty read-only file in the launch's private directory, to cover hidden files with. */
  private static Path emptyFile(Path dir) {
    try {
      Path empty = Files.createFile(dir.resolve("empty"));
      Files.setPosixFilePermissions(empty, java.nio.file.attribute.PosixFilePermissions.fromString("r--r--r--"));
      return empty;
    } catch (IOException e) {
      throw new SandboxException("cannot create the empty file that covers hidden files in " + dir + ": " + e.getMessage());
    }
  }

  /** The user this process runs as: the agent's user when Taskbound is not root. */
  private AgentUser currentUser() {
    int[] ids = ids();
    return AgentUser.resolve(ids[0] + ":" + ids[1], "the user running taskbound", passwd);
  }

  private static int[] ids() {
    int uid = -1;
    int gid = -1;
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("Uid:")) {
          uid = Integer.parseInt(line.split("\\s+")[1]);
        } else if (line.startsWith("Gid:")) {
          gid = Integer.parseInt(line.split("\\s+")[1]);
        }
      }
    } catch (IOException | RuntimeException e) {
      throw new SandboxException("cannot read this process's uid and gid from /proc/self/status: " + e.getMessage());
    }
    return new int[] {uid, gid};
  }

  /**
   * This process's supplementary groups (the {@code Groups:} line of {@code /proc/self/status}) other
   * than {@code primary}: run as an ordinary user, the agent keeps them, for the host's files.
   */
  static List<Long> supplementaryGroups(int primary) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("Groups:")) {
          // as unsigned 32-bit ids: nfsnobody is 4294967294
          return java.util.Arrays.stream(line.substring("Groups:".length()).trim().split("\\s+"))
              .filter(g -> !g.isEmpty()).map(Long::valueOf).filter(g -> g != Integer.toUnsignedLong(primary)).toList();
        }
      }
    } catch (IOException | RuntimeException e) {
      throw new SandboxException("cannot read this process's groups from /proc/self/status: " + e.getMessage());
    }
    return List.of();
  }

  /** bwrap's namespaces: as root it makes no user namespace of its own (see {@link #agentIdentity}). */
  private static List<String> bwrap(SandboxTools tools, boolean root, boolean newSession) {
    List<String> a = new ArrayList<>(List.of(tools.bwrap().toString()));
    if (!root) {
      a.addAll(List.of("--unshare-user", "--disable-userns"));
    }
    a.addAll(List.of("--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup", "--die-with-parent"));
    // A new session: no controlling terminal, so the agent cannot push keystrokes into the caller's
    // terminal with TIOCSTI for its shell to run after the session (bubblewrap's CVE-2017-5226).
    // Not on a pseudo-terminal of the agent's own (SandboxIo.terminal): TIOCSTI there only types
    // into the agent's own input, and the agent keeps that terminal as its /dev/tty.
    if (newSession) {
      a.add("--new-session");
    }
    if (!root) {
      a.addAll(List.of("--cap-drop", "ALL"));
    }
    return a;
  }

  /**
   * As root, bwrap builds everything with the host's privileges (so the mounts, {@code /proc}
   * included, belong to the initial user namespace and are locked for the agent, and paths under
   * root's home can be bound); then the agent's identity is made inside: {@code setpriv} becomes the
   * agent's user, and a second, unprivileged bwrap gives it a user namespace mapping only that user
   * to itself, in which it may create no further one, with every capability dropped and
   * {@code no_new_privs}. Each step execs the next; the inner bwrap forks init once more.
   */
  private static List<String> agentIdentity(SandboxTools tools, int uid, int gid, boolean userns) {
    if (!userns) {
      // reduced (sandbox.allowReduced: user-namespace): setpriv alone drops every capability
      return List.of(tools.setpriv().toString(), "--reuid=" + uid, "--regid=" + gid, "--clear-groups",
          "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--");
    }
    return List.of(tools.setpriv().toString(), "--reuid=" + uid, "--regid=" + gid, "--clear-groups", "--",
        tools.bwrap().toString(), "--unshare-user", "--disable-userns", "--dev-bind", "/", "/", "--die-with-parent",
        "--cap-drop", "ALL", "--");
  }

  /**
   * bwrap reads the seccomp program from descriptor 3, opened by the native init's setup ({@link
   * NativeInit#setupArgv}) or {@link #SETUP_SCRIPT}, and closes it.
   */
  private static final List<String> SECCOMP_FD = List.of("--seccomp", "3");

  private List<String> argv(SandboxTools tools, boolean root, boolean userns, boolean filtered, AgentUser user, FilesystemView view,
      Path workDir, List<String> initArgv, boolean ownTerminal) {
    List<String> a = bwrap(tools, root, !ownTerminal);
    if (filtered && (!root || !userns)) {
      // the agent's own bwrap applies the filter (as root: the inner one; reduced, without the
      // agent's user namespace: this one, before setpriv drops to the agent's uid)
      a.addAll(SECCOMP_FD);
    }
    a.addAll(List.of("--hostname", "taskbound"));
    a.addAll(view.args());
    a.addAll(List.of("--chdir", workDir.toString(), "--"));
    if (root) {
      List<String> identity = new ArrayList<>(agentIdentity(tools, user.uid(), user.gid(), userns));
      if (userns && filtered) {
        identity.addAll(identity.size() - 1, SECCOMP_FD); // before the inner bwrap's "--"
      }
      a.addAll(identity);
    }
    a.addAll(initArgv);
    return a;
  }
}
