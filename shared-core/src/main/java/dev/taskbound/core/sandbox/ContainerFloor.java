package dev.taskbound.core.sandbox;

import dev.taskbound.core.policy.Protection;
import dev.taskbound.core.policy.SandboxLimits;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The agent container's host confinement, the container backend's counterpart of the netns floor:
 * as {@code docker create} flags and as the {@code sandbox.started} description. The agent runs as
 * an unprivileged user (never uid 0) with every capability dropped, {@code no_new_privs}, Docker's
 * default seccomp profile (never {@code unconfined}), a read-only root, a private {@code /tmp} and a
 * fresh home on tmpfs, a process limit and, when set, a memory limit, under the chosen OCI runtime.
 * What it sees of the host is only what {@link ContainerSandbox} mounts: the workspace, this
 * session's files, read-only files inside the workspace. Immutable.
 *
 * @param user who the agent runs as
 * @param runtime the runtime the daemon runs the agent with (the policy's, or the daemon's default)
 * @param image the agent image as named
 * @param imageDigest the image's content digest ({@code sha256:...}, Docker's image id)
 * @param config the backend's settings (the runtime)
 * @param limits the launch's resource limits ({@code sandbox.limits})
 * @param userNamespace whether the daemon remaps users ({@code userns-remap}): the agent's uid is
 *     then a different host uid
 * @param reduced whether the launch may go without a protection ({@code sandbox.confinement: reduced})
 * @param off the protections actually off: {@link Protection#SECCOMP} when the daemon has no filter
 *     and the launch allowed that; the container backend never needs to take off the others (it
 *     always runs the agent as an unprivileged uid, and needs no user namespace of its own)
 */
record ContainerFloor(
    AgentUser user,
    String runtime,
    String image,
    String imageDigest,
    ContainerConfig config,
    SandboxLimits limits,
    boolean userNamespace,
    boolean reduced,
    List<Protection> off) {
  /** The agent's fresh home: an empty tmpfs owned by the agent's user. */
  static final String HOME = "/home/agent";

  ContainerFloor {
    Objects.requireNonNull(user, "user");
    Objects.requireNonNull(runtime, "runtime");
    Objects.requireNonNull(image, "image");
    Objects.requireNonNull(imageDigest, "imageDigest");
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(limits, "limits");
    off = List.copyOf(off);
  }

  /** The floor with nothing off. */
  ContainerFloor(AgentUser user, String runtime, String image, String imageDigest, ContainerConfig config, SandboxLimits limits,
      boolean userNamespace) {
    this(user, runtime, image, imageDigest, config, limits, userNamespace, false, List.of());
  }

  /** The {@code docker create} flags of the floor. */
  List<String> args() {
    List<String> a = new ArrayList<>(List.of(
        "--user", user.uid() + ":" + user.gid(),
        "--cap-drop", "ALL",
        "--security-opt", "no-new-privileges",
        "--read-only",
        // its own cgroup namespace: /proc/self/cgroup names no host path (Docker's default only on cgroup v2)
        "--cgroupns", "private",
        // exec: build tools run what they unpack there; nosuid, nodev as for every tmpfs of Docker's
        "--tmpfs", "/tmp:rw,nosuid,nodev,exec,mode=1777",
        "--tmpfs", HOME + ":rw,nosuid,nodev,exec,mode=0700,uid=" + user.uid() + ",gid=" + user.gid()));
    a.addAll(ContainerSysfs.args()); // no host block device or device names under /sys
    limits.pids().ifPresent(n -> a.addAll(List.of("--pids-limit", String.valueOf(n))));
    limits.memoryBytes().ifPresent(m -> a.addAll(List.of(
        "--memory", String.valueOf(m), "--memory-swap", String.valueOf(m)))); // no swap beyond the limit
    config.runtime().ifPresent(r -> a.addAll(List.of("--runtime", r)));
    return a;
  }

  /** The variables the floor sets in the agent's environment. */
  Map<String, String> environment() {
    return Map.of("HOME", HOME, "USER", user.name(), "LOGNAME", user.name());
  }

  /**
   * The {@code sandbox.started} fields, named as the netns backend names them.
   *
   * @param readOnly paths the agent sees read-only (the image's root, files bound read-only)
   * @param readWrite paths it may write besides its private ones (the workspace)
   * @param hidden paths covered inside what is mounted
   */
  Map<String, Object> describe(List<String> readOnly, List<String> readWrite, List<String> hidden) {
    return describe(readOnly, readWrite, hidden, "net (the forwarder's: loopback only)");
  }

  /** As above, naming the network namespace the agent container has ({@code network}). */
  Map<String, Object> describe(List<String> readOnly, List<String> readWrite, List<String> hidden, String network) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("uid", user.uid());
    m.put("gid", user.gid());
    m.put("user", user.name());
    List<String> ns = new ArrayList<>(List.of("mount", "pid", "ipc", "uts", "cgroup", network));
    if (userNamespace) {
      ns.add(0, "user (the daemon's userns-remap)");
    }
    m.put("namespaces", ns);
    m.put("capabilities", "none (--cap-drop ALL)");
    m.put("no_new_privs", true);
    Map<String, Object> seccomp = new LinkedHashMap<>();
    boolean filtered = !off.contains(Protection.SECCOMP);
    seccomp.put("profile", filtered ? "docker default" : "none");
    seccomp.put("refused_with", filtered ? "EPERM" : "nothing: no filter (reduced confinement)");
    m.put("seccomp", seccomp);
    m.put("confinement", reduced ? "reduced" : "full");
    m.put("protections_off", off.stream().map(Protection::yamlName).toList());
    if (!filtered) {
      m.put("reduced_because", "the Docker daemon runs containers without a seccomp filter");
    }
    m.put("read_only_root", true);
    Map<String, Object> fs = new LinkedHashMap<>();
    List<String> ro = new ArrayList<>(List.of("/ (the image " + image + ")"));
    ro.addAll(readOnly);
    fs.put("read_only", ro);
    fs.put("read_write", List.copyOf(readWrite));
    fs.put("hidden", List.copyOf(hidden));
    fs.put("private", List.of("/tmp", HOME, "/dev (Docker's minimal set)", "/proc (own PID namespace)",
        "/sys (allow-list: " + String.join(", ", ContainerSysfs.BOUND_BACK) + " and the container's cgroups)"));
    m.put("filesystem", fs);
    Map<String, Object> applied = new LinkedHashMap<>();
    applied.put("pids", limits.pids().isPresent() ? (Object) limits.pids().getAsInt() : "none");
    applied.put("memory", limits.memoryText());
    applied.put("applied_by", "docker --pids-limit/--memory (the container's cgroup)");
    m.put("limits", applied);
    m.put("runtime", runtime);
    m.put("image", image);
    m.put("image_digest", imageDigest);
    return m;
  }

  /** Paths of the host a workspace must never contain: the container engine's sockets and state. */
  static final List<Path> ENGINE_PATHS = List.of(Path.of("/var/run/docker.sock"), Path.of("/run/docker.sock"),
      Path.of("/run/containerd"), Path.of("/var/run/docker"), Path.of("/run/docker"), Path.of("/var/lib/docker"),
      Path.of("/var/lib/containerd"));
}
