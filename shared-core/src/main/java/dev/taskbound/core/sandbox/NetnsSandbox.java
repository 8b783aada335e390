package dev.taskbound.core.sandbox;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The {@code netns} backend: the agent runs in new user, network, PID and mount namespaces. The
 * network namespace has only loopback; {@link SandboxInit} forwards {@code 127.0.0.1:<port>} to
 * the gateway's Unix socket, and nothing else leaves (no route, no DNS). The session's private
 * paths, the Docker socket and {@code /etc/resolv.conf} are covered in a mount namespace made
 * before the user namespace, so the mounts are locked: the agent, root in its user namespace,
 * cannot unmount them. When the outermost process dies, {@code --kill-child} ends the PID
 * namespace and with it every process the agent started.
 *
 * <p>The process chain: {@code unshare --mount} (plus {@code --user --map-root-user} when not
 * root) → {@code sh} mounting over the hidden paths → {@code exec unshare --user --map-root-user
 * --net --pid --fork --kill-child --mount-proc} → {@code sh} bringing {@code lo} up → {@code exec
 * java SandboxInit} as PID 1 → the agent. Thread-safe.
 */
public final class NetnsSandbox implements Sandbox {
  /** What a user can do when the backend is unavailable; ends every preflight message. */
  static final String OPTIONS =
      "Options: run taskbound as root, allow unprivileged user namespaces on this host, use the container"
          + " backend, or use the proxy backend with 'enforcement: cooperative' in the policy (proxy"
          + " variables only, not enforced)";

  /** Files always covered with {@code /dev/null}: the Docker socket and the resolver configuration. */
  public static final List<Path> MASKED_BY_DEFAULT =
      List.of(Path.of("/var/run/docker.sock"), Path.of("/run/docker.sock"), Path.of("/etc/resolv.conf"));

  private static final String STAGE1 =
      "m=$1; n=$2; shift 2\n"
          + "while [ \"$n\" -gt 0 ]; do\n"
          + "  if [ \"$1\" = dir ]; then \"$m\" -t tmpfs -o ro,nosuid,nodev,noexec,mode=000,size=4k taskbound-hidden \"$2\"\n"
          + "  else \"$m\" --bind /dev/null \"$2\"; fi || { echo \"taskbound: cannot hide $2\" >&2; exit 121; }\n"
          + "  shift 2; n=$((n-1))\n"
          + "done\n"
          + "exec \"$@\"\n";
  private static final String STAGE2 =
      "\"$1\" link set lo up || { echo 'taskbound: cannot bring up lo' >&2; exit 121; }; shift; exec \"$@\"";

  private final String searchPath;
  private final List<Path> masked;
  private final InitCommand init;
  private final Path sysctls;
  private volatile SandboxTools checkedTools; // preflight passed once for this instance

  /**
   * The default: tools from the system directories only (a caller's PATH must not choose the
   * programs that build the sandbox, often as root), the default masks, this JVM.
   */
  public NetnsSandbox() {
    this(SandboxTools.defaultSearchPath(null), MASKED_BY_DEFAULT, InitCommand.current());
  }

  /**
   * @param searchPath where to look for {@code unshare}, {@code ip}, {@code mount}, {@code sh}
   * @param masked files to cover with {@code /dev/null} in every sandbox, in addition to each
   *     launch's hidden paths (missing ones are skipped)
   * @param init how to start {@link SandboxInit}
   */
  public NetnsSandbox(String searchPath, List<Path> masked, InitCommand init) {
    this(searchPath, masked, init, Path.of("/proc/sys"));
  }

  NetnsSandbox(String searchPath, List<Path> masked, InitCommand init, Path sysctls) {
    this.searchPath = Objects.requireNonNull(searchPath, "searchPath");
    this.masked = List.copyOf(masked);
    this.init = Objects.requireNonNull(init, "init");
    this.sysctls = sysctls;
  }

  /**
   * Checks, with the system directories as the tools search path, that this host can create the
   * sandbox.
   *
   * @throws SandboxException naming the cause and the options
   */
  public static void preflight() {
    preflight(SandboxTools.defaultSearchPath(null), Path.of("/proc/sys"), isRoot());
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
    SandboxTools tools = SandboxTools.locate(searchPath);
    if (!root) {
      refuseIf(sysctls, "kernel/apparmor_restrict_unprivileged_userns", "1",
          "AppArmor restricts unprivileged user namespaces on this host (sysctl kernel.apparmor_restrict_unprivileged_userns=1)");
      refuseIf(sysctls, "kernel/unprivileged_userns_clone", "0",
          "unprivileged user namespaces are disabled on this host (sysctl kernel.unprivileged_userns_clone=0)");
    }
    refuseIf(sysctls, "user/max_user_namespaces", "0",
        "user namespaces are disabled on this host (sysctl user.max_user_namespaces=0)");
    probe(tools);
    return tools;
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

  private static void probe(SandboxTools tools) {
    List<String> cmd =
        List.of(tools.unshare().toString(), "--user", "--map-root-user", "--net", "--mount", "--pid", "--fork", "true");
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
   * @throws SandboxException if preflight fails, a hidden path would hide the gateway socket, the
   *     setup fails, or the agent is not started within the start timeout
   */
  @Override
  public SandboxProcess start(SandboxLaunch launch) {
    boolean root = isRoot();
    SandboxTools tools = checkedTools;
    if (tools == null) {
      tools = preflight(searchPath, sysctls, root);
      checkedTools = tools;
    }
    Path socket = launch.gatewaySocket().toAbsolutePath();
    for (Path hidden : launch.hiddenPaths()) {
      if (socket.startsWith(hidden.toAbsolutePath())) {
        throw new SandboxException(
            "hidden path " + hidden + " contains the gateway socket " + socket + "; the agent must reach the socket");
      }
    }
    List<String> covers = new ArrayList<>();
    addCovers(covers, launch.hiddenPaths());
    addCovers(covers, masked);
    SandboxTools located = tools;
    return InitLauncher.launch("netns", launch, control -> argv(located, root, covers, control), false);
  }

  private static void addCovers(List<String> covers, List<Path> paths) {
    for (Path p : paths) {
      Path abs = p.toAbsolutePath();
      kind(abs).ifPresent(k -> {
        covers.add(k);
        covers.add(abs.toString());
      });
    }
  }

  private static Optional<String> kind(Path p) {
    if (Files.isDirectory(p)) {
      return Optional.of("dir");
    }
    return Files.exists(p) ? Optional.of("file") : Optional.empty();
  }

  private List<String> argv(SandboxTools tools, boolean root, List<String> covers, Path control) {
    List<String> a = new ArrayList<>();
    a.add(tools.unshare().toString());
    if (!root) {
      a.addAll(List.of("--user", "--map-root-user")); // lets an unprivileged user mount in stage 1
    }
    a.addAll(List.of("--mount", "--propagation", "private", "--", tools.sh().toString(), "-c", STAGE1, "taskbound-sandbox"));
    a.add(tools.mount().toString());
    a.add(String.valueOf(covers.size() / 2));
    a.addAll(covers);
    a.addAll(List.of(tools.unshare().toString(), "--user", "--map-root-user", "--net", "--pid", "--fork", "--kill-child", "--mount-proc", "--"));
    a.addAll(List.of(tools.sh().toString(), "-c", STAGE2, "taskbound-init", tools.ip().toString()));
    a.addAll(init.argv(control.toString()));
    return a;
  }
}
