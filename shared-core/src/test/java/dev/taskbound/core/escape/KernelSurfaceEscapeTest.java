package dev.taskbound.core.escape;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.taskbound.core.policy.SandboxLimits;
import dev.taskbound.core.sandbox.Confinement;
import dev.taskbound.core.sandbox.InitCommand;
import dev.taskbound.core.sandbox.NetnsSandbox;
import dev.taskbound.core.sandbox.SandboxException;
import dev.taskbound.core.sandbox.SandboxIo;
import dev.taskbound.core.sandbox.SandboxLaunch;
import dev.taskbound.core.sandbox.SandboxProcess;
import dev.taskbound.core.sandbox.SandboxTools;
import dev.taskbound.core.sandbox.SeccompProfile;
import dev.taskbound.core.testing.AgentOwner;
import java.io.IOException;
import java.io.InputStream;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11, the kernel surface: the agent's own UTS, IPC and cgroup namespaces, no capability,
 * {@code no_new_privs}, the seccomp filter (every refused call attempted from inside, with the same
 * probe run on the host as an unprivileged user as the control), and the pids limit (a bounded fork
 * bomb while a host sentinel lives). The probe never runs as root: it refuses to.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class KernelSurfaceEscapeTest {
  /** Every call the filter refuses, as the probe labels them; clone3 gets ENOSYS instead. */
  static final List<String> REFUSED = List.of("mount", "umount2", "pivot_root", "open_tree", "move_mount", "fsopen",
      "fsconfig", "fsmount", "fspick", "mount_setattr", "setns", "unshare-user", "unshare-mount", "clone-user",
      "clone-net", "ptrace", "process_vm_readv", "bpf", "perf_event_open", "userfaultfd", "keyctl", "add_key",
      "request_key", "open_by_handle_at", "kexec_load", "kexec_file_load", "init_module", "finit_module",
      "delete_module", "swapon", "swapoff", "reboot", "acct", "quotactl", "io_uring_setup", "pidfd_getfd",
      "socket-vsock", "socket-vsock-high");

  Path dir;
  Path workspace;
  Path probe;
  Process hostSentinel;
  NetnsSandbox sandbox;
  int runs;

  record Run(int status, String out, String err, Map<String, Object> confinement) {}

  @BeforeAll
  void start(@TempDir Path tempDir) throws Exception {
    dir = tempDir;
    workspace = Files.createDirectories(dir.resolve("ws"));
    try (InputStream in = getClass().getResourceAsStream("syscall-probe.py")) {
      probe = Files.write(workspace.resolve("syscall-probe.py"), in.readAllBytes());
    }
    AgentOwner.own(workspace);
    hostSentinel = new ProcessBuilder("sleep", "300").start();
    sandbox = new NetnsSandbox(SandboxTools.defaultSearchPath(System.getenv("PATH")), NetnsSandbox.MASKED_BY_DEFAULT,
        InitCommand.current());
  }

  @AfterAll
  void stop() {
    if (hostSentinel != null) {
      hostSentinel.destroyForcibly();
    }
  }

  private Run agent(SandboxLimits limits, String... command) throws Exception {
    return agent(sandbox, false, limits, command);
  }

  /** @param handOff whether the launcher takes the proxy port (as a session does: the native init runs) */
  private Run agent(NetnsSandbox sandbox, boolean handOff, SandboxLimits limits, String... command) throws Exception {
    int n = ++runs;
    Files.createDirectories(dir.resolve("run" + n));
    SandboxLaunch launch = new SandboxLaunch(List.of(command), workspace, Map.of("PATH", "/usr/bin:/bin"),
        dir.resolve("run" + n).resolve("gateway.sock"), List.of(), Duration.ofSeconds(30),
        new SandboxIo(Redirect.from(Path.of("/dev/null").toFile()), Redirect.to(dir.resolve("out" + n).toFile()),
            Redirect.to(dir.resolve("err" + n).toFile())))
        .withConfinement(Confinement.DEFAULT.withLimits(limits));
    if (handOff) {
      launch = launch.withListenerSink(listener -> {
        try {
          listener.close(); // no gateway here: the agent's connections are refused
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      });
    }
    SandboxProcess p = sandbox.start(launch);
    try {
      if (!p.waitFor(Duration.ofSeconds(90))) {
        throw new AssertionError("the sandbox did not finish within 90 s");
      }
      return new Run(p.waitFor(), Files.readString(dir.resolve("out" + n)), Files.readString(dir.resolve("err" + n)),
          p.confinement());
    } finally {
      p.destroyTree();
    }
  }

  private static Map<String, String> results(String probeOutput) {
    Map<String, String> out = new LinkedHashMap<>();
    probeOutput.lines().map(l -> l.split(" ")).filter(f -> f.length == 2).forEach(f -> out.put(f[0], f[1]));
    return out;
  }

  @Test
  void theAgentHasItsOwnUtsIpcAndCgroupNamespacesNoCapabilityAndNoNewPrivs() throws Exception {
    Map<String, String> host = new LinkedHashMap<>();
    for (String ns : List.of("uts", "ipc", "cgroup", "net", "pid", "mnt", "user")) {
      host.put(ns, Files.readSymbolicLink(Path.of("/proc/self/ns", ns)).toString());
    }

    Run r = agent(SandboxLimits.DEFAULT, "/bin/sh", "-c",
        "for ns in uts ipc cgroup net pid mnt user; do echo \"$ns $(readlink /proc/self/ns/$ns)\"; done;"
            + " grep -E '^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):' /proc/self/status; hostname");

    Map<String, String> inside = new LinkedHashMap<>();
    r.out().lines().map(l -> l.split(" ")).filter(f -> f.length == 2).forEach(f -> inside.put(f[0], f[1]));
    for (String ns : host.keySet()) {
      assertThat(inside.get(ns)).as(ns + " namespace").startsWith(ns + ":[").isNotEqualTo(host.get(ns));
    }
    assertThat(r.out()).contains("CapInh:\t0000000000000000\n", "CapPrm:\t0000000000000000\n",
        "CapEff:\t0000000000000000\n", "CapBnd:\t0000000000000000\n", "CapAmb:\t0000000000000000\n",
        "NoNewPrivs:\t1\n", "Seccomp:\t2\n").endsWith("taskbound\n");
    assertThat(r.confinement()).containsEntry("namespaces", List.of("user", "mount", "pid", "net", "ipc", "uts", "cgroup"));
  }

  /** Opens each of init's /proc files that give away its memory, environment or descriptors (init is $PPID). */
  static final String OPEN_INITS_PROC_FILES = "init=$PPID; for f in mem environ maps auxv fd/0 fd/1; do"
      + " if ( : < /proc/$init/$f ) 2>/dev/null; then echo \"$f opened\"; else echo \"$f refused\"; fi; done;"
      + " if ls /proc/$init/fd >/dev/null 2>&1; then echo 'fd listed'; else echo 'fd refused'; fi";

  @Test
  void theAgentCannotReadTheNativeInitsMemoryEnvironmentOrDescriptors() throws Exception {
    // the control: the same probe against the JVM's init, which Java cannot make non-dumpable
    Run jvm = agent(sandbox.jvmInitOnly(), true, SandboxLimits.DEFAULT, "/bin/sh", "-c", OPEN_INITS_PROC_FILES);

    Run r = agent(sandbox, true, SandboxLimits.DEFAULT, "/bin/sh", "-c", OPEN_INITS_PROC_FILES);

    assertThat(r.confinement()).containsEntry("init", "native");
    assertThat(r.out()).isEqualTo("mem refused\nenviron refused\nmaps refused\nauxv refused\nfd/0 refused\n"
        + "fd/1 refused\nfd refused\n");
    assertThat(jvm.confinement()).containsEntry("init", "jvm");
    assertThat(jvm.out()).as("the probe opens what a dumpable init exposes").contains("environ opened", "fd listed");
  }

  @Test
  void everyRefusedCallFailsWithEpermInsideWhileTheHostControlDiffers() throws Exception {
    Run r = agent(SandboxLimits.DEFAULT, "/usr/bin/python3", probe.toString());
    Map<String, String> host = hostControl();

    Map<String, String> inside = results(r.out());
    assertThat(r.status()).as(r.err()).isZero();
    for (String call : REFUSED) {
      assertThat(inside.get(call)).as(call).isEqualTo("EPERM");
    }
    if (inside.containsKey("iopl")) {
      assertThat(inside).containsEntry("iopl", "EPERM").containsEntry("ioperm", "EPERM");
    }
    assertThat(inside).containsEntry("clone3", "ENOSYS").containsEntry("socket-unix", "ok");
    // without the filter the same calls, same user, answer otherwise: it is the filter that refuses
    assertThat(host).containsEntry("add_key", "ENODEV").containsEntry("request_key", "ENOKEY")
        .doesNotContainEntry("clone3", "ENOSYS").doesNotContainEntry("keyctl", "EPERM")
        .containsEntry("io_uring_setup", "EFAULT").containsEntry("pidfd_getfd", "EBADF")
        .doesNotContainEntry("socket-vsock", "EPERM").doesNotContainEntry("socket-vsock-high", "EPERM");
    SeccompProfile profile = SeccompProfile.current();
    assertThat(r.confinement().get("seccomp")).isEqualTo(
        Map.of("profile", profile.digest(), "architecture", profile.architecture(), "refused_with", "EPERM"));
  }

  /** The probe on the host, as an unprivileged user (the workspace owner when run as root), unfiltered. */
  private Map<String, String> hostControl() throws Exception {
    List<String> cmd = new ArrayList<>();
    if (AgentOwner.root()) {
      cmd.addAll(List.of("setpriv", "--reuid=" + AgentOwner.UID, "--regid=" + AgentOwner.UID, "--clear-groups", "--"));
    }
    cmd.addAll(List.of("/usr/bin/python3", "-")); // the probe on stdin: the test's directory is root's alone
    Process p = new ProcessBuilder(cmd).directory(Path.of("/").toFile()).redirectErrorStream(true)
        .redirectInput(probe.toFile()).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    return results(out);
  }

  /**
   * bwrap's own processes in the sandbox's PID namespace run without the filter (they installed it
   * for their child); writing their memory would be a way around it. The agent may not open it.
   */
  @Test
  void theUnfilteredBwrapProcessesMemoryCannotBeOpenedByTheAgent() throws Exception {
    String script = "import glob, os\n"
        + "for d in sorted(glob.glob('/proc/[0-9]*')):\n"
        + "    if open(d + '/comm').read().strip() != 'bwrap':\n        continue\n"
        + "    try:\n        os.close(os.open(d + '/mem', os.O_RDWR))\n        print('bwrap', 'opened')\n"
        + "    except OSError as e:\n        print('bwrap', 'refused')\n";

    Run r = agent(SandboxLimits.DEFAULT, "/usr/bin/python3", "-c", script);

    assertThat(r.out()).contains("bwrap refused\n").doesNotContain("opened");
  }

  @Test
  void aCallUnderAnotherArchitecturesNumberingKillsTheCaller() throws Exception {
    assumeThat(SeccompProfile.current().architecture()).isEqualTo("x86_64");

    // getpid (39) with the x32 bit: x32 numbering on an x86_64 filter
    Run r = agent(SandboxLimits.DEFAULT, "/bin/sh", "-c",
        "/usr/bin/python3 -c 'import ctypes; ctypes.CDLL(None).syscall(0x40000000 | 39); print(\"survived\")';"
            + " echo \"status=$?\"");

    assertThat(r.out()).doesNotContain("survived").contains("status=159\n"); // 128 + SIGSYS
  }

  /**
   * A memory limit needs a cgroup: where this process can make one, an allocation past it is killed
   * inside the sandbox; where it cannot, the start is refused (never an unlimited agent).
   */
  @Test
  void anAllocationPastTheMemoryLimitIsKilledOrTheStartRefused() throws Exception {
    SandboxLimits limits = new SandboxLimits(OptionalInt.of(SandboxLimits.DEFAULT_PIDS), OptionalLong.of(256L << 20));
    String script = "/usr/bin/python3 -c 'b = b\"x\" * (768 << 20); print(\"allocated\", len(b))'; echo \"status=$?\"";

    Run r;
    try {
      r = agent(limits, "/bin/sh", "-c", script);
    } catch (SandboxException e) {
      assertThat(e.getMessage()).startsWith("sandbox.limits.memory 256Mi cannot be applied: ");
      return;
    }

    assertThat(r.out()).doesNotContain("allocated").contains("status=137\n"); // SIGKILL by the cgroup's OOM killer
    assertThat(hostSentinel.isAlive()).isTrue();
    @SuppressWarnings("unchecked")
    Map<String, Object> applied = (Map<String, Object>) r.confinement().get("limits");
    assertThat(applied).containsEntry("memory", "256Mi");
    assertThat(applied.get("applied_by").toString()).startsWith("cgroup v");
  }

  @Test
  void aForkBombStopsAtThePidsLimitWhileTheHostSentinelLives() throws Exception {
    SandboxLimits limits = new SandboxLimits(OptionalInt.of(128), OptionalLong.empty());
    // bounded: at most 400 forks; each child waits on a pipe the parent closes once it is refused
    String bomb = "import errno, os\n"
        + "r, w = os.pipe()\nkids, refused = 0, None\n"
        + "for _ in range(400):\n"
        + "    try:\n        pid = os.fork()\n"
        + "    except OSError as e:\n        refused = errno.errorcode.get(e.errno)\n        break\n"
        + "    if pid == 0:\n        os.close(w)\n        os.read(r, 1)\n        os._exit(0)\n"
        + "    kids += 1\n"
        + "os.close(w)\nfor _ in range(kids):\n    os.wait()\n"
        + "print('forked', kids, 'refused', refused)\n";

    Run r = agent(limits, "/usr/bin/python3", "-c", bomb);

    assertThat(r.status()).as(r.err()).isZero();
    String[] f = r.out().strip().split(" ");
    assertThat(f[0]).isEqualTo("forked");
    assertThat(Integer.parseInt(f[1])).isBetween(1, 127);
    assertThat(f[3]).isEqualTo("EAGAIN");
    assertThat(hostSentinel.isAlive()).isTrue();
    Process host = new ProcessBuilder("true").start(); // the host can still start processes
    assertThat(host.waitFor(30, TimeUnit.SECONDS)).isTrue();
    @SuppressWarnings("unchecked")
    Map<String, Object> applied = (Map<String, Object>) r.confinement().get("limits");
    assertThat(applied).containsEntry("pids", 128).containsEntry("memory", "none");
    assertThat(applied.get("applied_by").toString()).matches(AgentOwner.root() ? "cgroup v[12] /.*|RLIMIT_NPROC.*" : "RLIMIT_NPROC.*");
  }
}
