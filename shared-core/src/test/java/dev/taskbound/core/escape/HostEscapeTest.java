package dev.taskbound.core.escape;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.taskbound.core.sandbox.Confinement;
import dev.taskbound.core.sandbox.InitCommand;
import dev.taskbound.core.sandbox.NetnsSandbox;
import dev.taskbound.core.sandbox.SandboxException;
import dev.taskbound.core.sandbox.SandboxIo;
import dev.taskbound.core.sandbox.SandboxLaunch;
import dev.taskbound.core.sandbox.SandboxProcess;
import dev.taskbound.core.sandbox.SandboxTools;
import dev.taskbound.core.session.AgentEnvironment;
import dev.taskbound.core.testing.AgentOwner;
import java.io.IOException;
import java.lang.ProcessBuilder.Redirect;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11: the netns sandbox confines the host, not only the network. Each case is an agent trying
 * to reach beyond its workspace, checked from inside (the attempt fails) and from the host (no
 * marker file, no secret in the output). As root (as CI runs), the agent is the workspace's
 * unprivileged owner. Nothing here writes outside the test's temporary directory: the host-side
 * checks only look for markers the agent would have made, and {@code /proc/sys} is only ever
 * checked with {@code test -w}, never written.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class HostEscapeTest {
  static final String SECRET = "sentinel-secret-4b1d";
  static final String MARKER = "tb-escape-marker-4b1d";

  Path dir;
  Path workspace;
  Path appKey;
  Path policy;
  Path runtime;
  Path otherSession;
  ServerSocketChannel otherGateway;
  Process hostSentinel;
  NetnsSandbox sandbox;
  int runs;

  record Run(int status, String out, String err) {}

  @BeforeAll
  void start(@TempDir Path tempDir) throws Exception {
    dir = tempDir;
    workspace = AgentOwner.own(Files.createDirectories(dir.resolve("ws")));
    // the worst cases: a secret file of root's and the App key inside the workspace itself
    Files.writeString(workspace.resolve("root-only.txt"), SECRET + "-root\n");
    Files.setPosixFilePermissions(workspace.resolve("root-only.txt"), PosixFilePermissions.fromString("rw-------"));
    appKey = Files.writeString(workspace.resolve("app-key.pem"), SECRET + "-key\n");
    policy = Files.writeString(workspace.resolve("taskbound.yml"), "apiVersion: taskbound.dev/v1\n");
    if (AgentOwner.root()) {
      for (Path p : List.of(appKey, policy)) {
        Files.setAttribute(p, "unix:uid", AgentOwner.UID, LinkOption.NOFOLLOW_LINKS); // even the agent's own
      }
    }
    // this session's runtime directory and another live session's, side by side
    runtime = Files.createDirectories(dir.resolve("run/tb-this"));
    otherSession = Files.createDirectories(dir.resolve("run/tb-other"));
    Files.writeString(otherSession.resolve(".npmrc"), "//npm.test/:_authToken=" + SECRET + "-npm\n");
    otherGateway = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    otherGateway.bind(UnixDomainSocketAddress.of(otherSession.resolve("gateway.sock")));
    hostSentinel = new ProcessBuilder("sleep", "300").start();
    sandbox = new NetnsSandbox(SandboxTools.defaultSearchPath(System.getenv("PATH")), NetnsSandbox.MASKED_BY_DEFAULT,
        InitCommand.current());
  }

  @AfterAll
  void stop() throws IOException {
    if (hostSentinel != null) {
      hostSentinel.destroyForcibly();
    }
    if (otherGateway != null) {
      otherGateway.close();
    }
  }

  private Run bash(String script) throws Exception {
    return bash(script, Map.of("PATH", "/usr/local/bin:/usr/bin:/bin"));
  }

  private Run bash(String script, Map<String, String> env) throws Exception {
    int n = ++runs;
    SandboxLaunch launch = new SandboxLaunch(List.of("/bin/bash", "-c", script), workspace, env,
        runtime.resolve("gateway.sock"), List.of(appKey, dir.resolve("run")), Duration.ofSeconds(20),
        new SandboxIo(Redirect.from(Path.of("/dev/null").toFile()), Redirect.to(dir.resolve("out" + n).toFile()),
            Redirect.to(dir.resolve("err" + n).toFile())))
        .withConfinement(new Confinement(Optional.empty(), List.of(policy), List.of()));
    SandboxProcess p = sandbox.start(launch);
    try {
      if (!p.waitFor(Duration.ofSeconds(60))) {
        throw new AssertionError("the sandbox did not finish within 60 s");
      }
      Run r = new Run(p.waitFor(), Files.readString(dir.resolve("out" + n)), Files.readString(dir.resolve("err" + n)));
      assertThat(r.out() + r.err()).as("no secret ever reaches the agent's output").doesNotContain(SECRET);
      return r;
    } finally {
      p.destroyTree();
    }
  }

  @Test
  void theAgentIsNeverRootAndHoldsNoCapability() throws Exception {
    Run r = bash("id -u; grep -E '^(CapEff|CapBnd|NoNewPrivs)' /proc/self/status; echo done");

    int expected = AgentOwner.root() ? AgentOwner.UID : (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    assertThat(r.out()).isEqualTo(expected + "\nCapEff:\t0000000000000000\nCapBnd:\t0000000000000000\nNoNewPrivs:\t1\ndone\n");
  }

  @Test
  void secretsOfRootTheAppKeyAndShadowCannotBeRead() throws Exception {
    Run r = bash("for f in root-only.txt app-key.pem /etc/shadow; do cat $f; echo \"$f=$?\"; done; wc -c < app-key.pem");

    assertThat(r.out()).contains("root-only.txt=1\n", "/etc/shadow=1\n", "app-key.pem=0\n").endsWith("\n0\n");
  }

  /** Host paths are checked with {@code test -w} only, so a broken sandbox would still write nothing there. */
  @Test
  void hostDirectoriesThePolicyAndTheTaskboundJarCannotBeWritten() throws Exception {
    List<Path> targets = new ArrayList<>(List.of(Path.of("/etc"), Path.of("/etc/cron.d"), Path.of("/root"),
        Path.of("/usr/local/bin"), Path.of(System.getProperty("user.home"), ".cache/taskbound")));
    for (String entry : InitCommand.current().classPath().split(":")) {
      targets.add(Path.of(entry));
    }
    StringBuilder script = new StringBuilder();
    for (Path t : targets) {
      script.append("test -w '").append(t).append("' && echo WRITABLE ").append(t).append("; ");
    }
    script.append("echo x >> taskbound.yml 2>/dev/null && echo WROTE policy; touch /root/" + MARKER + " 2>/dev/null; echo done");

    Run r = bash(script.toString());

    assertThat(r.out()).isEqualTo("done\n");
    assertThat(Path.of("/root", MARKER)).doesNotExist();
    assertThat(policy).hasContent("apiVersion: taskbound.dev/v1");
  }

  @Test
  void noSetuidFileOfRootAppearsOnTheHost() throws Exception {
    Run r = bash("cp /bin/true ./suid && chmod 4755 ./suid; cp /bin/true /tmp/suid && chmod 4755 /tmp/suid; ls -ln ./suid | cut -d' ' -f3");

    assertThat(r.out().strip()).isNotEqualTo("0");
    try (Stream<Path> all = Files.walk(dir)) {
      assertThat(all.filter(Files::isRegularFile).filter(HostEscapeTest::setuidRoot).toList()).isEmpty();
    }
    assertThat(Path.of("/tmp/suid")).as("the agent's /tmp is its own").doesNotExist();
  }

  @Test
  void kernelSettingsAndTheHostnameAreNotWritable() throws Exception {
    // check only: never write to /proc/sys
    Run r = bash("for f in /proc/sys/kernel/core_pattern /proc/sys/kernel/hostname /sys/kernel/uevent_helper; do"
        + " test -w $f && echo \"WRITABLE $f\"; done; hostname; echo done");

    assertThat(r.out()).isEqualTo("taskbound\ndone\n");
  }

  @Test
  void unmountingProcInAChildNamespaceShowsNoHostProcess() throws Exception {
    Run r = bash("unshare --mount --propagation private sh -c 'umount -l /proc; ls /proc' 2>/dev/null;"
        + " unshare -Urm sh -c 'umount -l /proc; ls /proc' 2>/dev/null; ls /proc; echo done");

    assertThat(r.out()).endsWith("done\n").doesNotContain("\n" + hostSentinel.pid() + "\n");
  }

  @Test
  void mountUnshareAndSetnsAreRefused() throws Exception {
    Run r = bash("mount -t tmpfs x /mnt 2>/dev/null && echo MOUNTED; unshare -U true 2>/dev/null && echo USERNS;"
        + " unshare -m true 2>/dev/null && echo MOUNTNS; nsenter -t 1 -m true 2>/dev/null && echo SETNS; echo done");

    assertThat(r.out()).isEqualTo("done\n");
  }

  /**
   * The host's cgroup tree names every cgroup on the host (other sessions', containers') and lists
   * host pids in their {@code cgroup.procs}; inside, {@code /sys/fs/cgroup} holds only the agent's
   * own cgroups, read-only, at the hierarchies' mount points.
   */
  @Test
  void theHostsCgroupTreeIsHiddenAndOnlyTheAgentsOwnCgroupIsSeen() throws Exception {
    Path hostProcs = hostCgroupProcs(hostSentinel.pid());
    assertThat(Files.readAllLines(hostProcs)).as("control: the host's tree lists the sentinel")
        .contains(Long.toString(hostSentinel.pid()));

    Run r = bash("ls -R /sys/fs/cgroup | grep -c -e taskbound- -e docker;"
        + " touch /sys/fs/cgroup/x 2>/dev/null && echo WROTE; echo pids:;"
        + " find /sys \\( -name cgroup.procs -o -name tasks -o -name cgroup.threads \\) -print0 2>/dev/null"
        + " | timeout 20 xargs -0 cat 2>/dev/null; echo end; cat /sys/fs/cgroup/pids/pids.max 2>/dev/null; echo done");

    assertThat(r.out()).startsWith("0\npids:\n").endsWith("done\n").doesNotContain("WROTE");
    List<String> pids = r.out().substring(r.out().indexOf("pids:\n") + 6, r.out().indexOf("end\n")).lines().toList();
    assertThat(pids).as("only the sandbox's own processes, as its PID namespace numbers them")
        .doesNotContain(Long.toString(hostSentinel.pid()), Long.toString(ProcessHandle.current().pid()))
        .allSatisfy(pid -> assertThat(pid).matches("[0-9]{1,3}"));
    if (Files.isRegularFile(Path.of("/sys/fs/cgroup/pids/cgroup.procs")) && AgentOwner.root()) {
      // as root on a cgroup v1 host the pids limit is a cgroup of the agent's own, which it sees as a container would
      assertThat(r.out()).endsWith("end\n4096\ndone\n");
    }
  }

  /** The host's {@code cgroup.procs} file listing {@code pid}: its pids (v1) or unified (v2) cgroup. */
  private static Path hostCgroupProcs(long pid) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "cgroup"))) {
      String[] f = line.split(":", 3);
      if (f[1].equals("pids")) {
        return Path.of("/sys/fs/cgroup/pids" + f[2].replaceFirst("/$", ""), "cgroup.procs");
      }
    }
    String v2 = Files.readAllLines(Path.of("/proc", Long.toString(pid), "cgroup")).get(0).split(":", 3)[2];
    return Path.of("/sys/fs/cgroup" + v2.replaceFirst("/$", ""), "cgroup.procs");
  }

  /** A policy path that holds an emptied directory (a Ceiling's {@code readOnly: [/var]}) does not bring it back. */
  @Test
  void anEmptiedDirectoryInsideAPolicyPathStaysEmpty() throws Exception {
    assumeThat(Path.of("/var/lib/docker")).as("a host with container engine state").isDirectory();
    int n = ++runs;
    SandboxLaunch launch = new SandboxLaunch(List.of("/bin/sh", "-c",
        "ls -A /var/lib/docker | wc -l; stat -c %a /var/lib/docker /var/tmp; test -d /var/lib/dpkg && echo var-shown"),
        workspace, Map.of("PATH", "/usr/bin:/bin"), runtime.resolve("gateway.sock"), List.of(appKey, dir.resolve("run")),
        Duration.ofSeconds(20), new SandboxIo(Redirect.from(Path.of("/dev/null").toFile()),
            Redirect.to(dir.resolve("out" + n).toFile()), Redirect.to(dir.resolve("err" + n).toFile())))
        .withConfinement(new Confinement(Optional.empty(), List.of(policy, Path.of("/var")), List.of()));
    SandboxProcess p = sandbox.start(launch);
    try {
      assertThat(p.waitFor(Duration.ofSeconds(60))).isTrue();
    } finally {
      p.destroyTree();
    }

    assertThat(Files.readString(dir.resolve("out" + n)).lines().toList()).as(Files.readString(dir.resolve("err" + n)))
        .as("the empty tmpfs (0755), not the host's directories (0710, 1777)").containsExactly("0", "755", "755", "var-shown");
  }

  @Test
  void containerEngineAndRuntimeSocketsCannotBeReached() throws Exception {
    Run r = bash("for s in /var/run/docker.sock /run/docker.sock /run/containerd/containerd.sock"
        + " /var/run/docker/containerd/containerd.sock; do test -S $s && echo \"SOCKET $s\"; done;"
        + " find /run /var/run -type s 2>/dev/null; echo done");

    assertThat(r.out()).isEqualTo("done\n");
  }

  /** Review finding: a daemon's socket outside /run (Incus, LXD) could be connected to through the read-only /var. */
  @Test
  void daemonSocketsOutsideRunAndTheHostsLogsAreNotThere() throws Exception {
    Path incus = Path.of("/var/lib/incus");
    assumeThat(Files.exists(incus, LinkOption.NOFOLLOW_LINKS)).as("a host without Incus").isFalse();
    assumeThat(Files.isWritable(Path.of("/var/lib"))).as("root, to place a daemon's socket").isTrue();
    Files.createDirectories(incus);
    try (ServerSocketChannel daemon = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      Path socket = incus.resolve("unix.socket");
      daemon.bind(UnixDomainSocketAddress.of(socket));
      Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rwxrwxrwx"));

      Run r = bash("test -S " + socket + " && echo \"SOCKET " + socket + "\"; echo \"logs: $(ls -A /var/log | wc -l)\";"
          + " find /var -type s 2>/dev/null; echo done");

      assertThat(r.out()).isEqualTo("logs: 0\ndone\n");
    } finally {
      Files.deleteIfExists(incus.resolve("unix.socket"));
      Files.deleteIfExists(incus);
    }
  }

  @Test
  void anotherSessionsRuntimeDirectoryIsInvisible() throws Exception {
    Run r = bash("ls " + otherSession + " 2>&1; cat " + otherSession.resolve(".npmrc") + " 2>/dev/null;"
        + " test -S " + otherSession.resolve("gateway.sock") + " && echo SOCKET; echo done");

    assertThat(r.out()).endsWith("done\n").doesNotContain("SOCKET").contains("No such file or directory");
  }

  @Test
  void noBlockDeviceExistsInside() throws Exception {
    Run r = bash("find / -xdev -type b 2>/dev/null; find /dev -type b 2>/dev/null; ls /dev | tr '\\n' ' '; echo");

    assertThat(r.out().strip()).isEqualTo("core fd full null ptmx pts random shm stderr stdin stdout tty urandom zero");
  }

  /**
   * The host's {@code /sys} showed its network interfaces (its {@code /sys/class/net}, not the
   * sandbox's), block devices and every device: only the CPUs, NUMA nodes, transparent huge page
   * settings and the agent's own cgroups are left, read-only.
   */
  @Test
  void sysShowsNoHostNetworkInterfaceNorBlockDevice() throws Exception {
    List<String> hostNetifs;
    try (Stream<Path> s = Files.list(Path.of("/sys/class/net"))) {
      hostNetifs = s.map(p -> p.getFileName().toString()).toList();
    }

    Run r = bash("ls /sys | tr '\\n' ' '; echo; ls /sys/class/net /sys/block /sys/devices/virtual/net /sys/dev 2>&1 | grep -c 'No such file';"
        + " find /sys -name 'eth*' -o -name 'veth*' -o -name 'docker*' -o -name 'vd[a-z]' -o -name 'sd[a-z]' -o -name 'loop[0-9]*' | wc -l;"
        + " touch /sys/x 2>/dev/null || echo read-only");

    assertThat(hostNetifs).as("the control: the host has interfaces besides lo").anyMatch(n -> !n.equals("lo"));
    assertThat(r.out()).as(r.err()).isEqualTo("devices fs kernel \n4\n0\nread-only\n");
  }

  /** Positive control for the allow-listed {@code /sys}: the tools that count CPUs still count them. */
  @Test
  void nprocAndTheJvmStillCountTheCpus() throws Exception {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Files.writeString(workspace.resolve("Cpus.java"),
        "class Cpus { public static void main(String[] a) { System.out.println(Runtime.getRuntime().availableProcessors()); } }\n");
    String hostAll = hostOutput("nproc", "--all");
    String host = hostOutput("nproc");
    String online = Files.readString(Path.of("/sys/devices/system/cpu/online"));

    Run r = bash("nproc; nproc --all; cat /sys/devices/system/cpu/online; '" + java + "' -XX:-UsePerfData Cpus.java");

    assertThat(r.out()).as(r.err()).isEqualTo(host + hostAll + online + Runtime.getRuntime().availableProcessors() + "\n");
  }

  private static String hostOutput(String... command) throws Exception {
    Process p = new ProcessBuilder(command).redirectError(Redirect.DISCARD).start();
    String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
    return out;
  }

  @Test
  void hsperfdataAndTheHostsTmpAreNotShared() throws Exception {
    Run r = bash("ls /tmp | grep -c hsperfdata; echo done");

    assertThat(r.out()).isEqualTo("0\ndone\n");
  }

  @Test
  void aWorkspaceOwnedByRootIsRefusedBeforeTheAgentStarts() throws Exception {
    assumeThat(AgentOwner.root()).as("only root can own a workspace for someone else").isTrue();
    Path rootOwned = Files.createDirectories(dir.resolve("root-ws"));
    SandboxLaunch launch = new SandboxLaunch(List.of("touch", MARKER), rootOwned, Map.of(), runtime.resolve("gateway.sock"),
        List.of(), Duration.ofSeconds(20));

    org.assertj.core.api.Assertions.assertThatThrownBy(() -> sandbox.start(launch))
        .isInstanceOf(SandboxException.class)
        .hasMessageStartingWith("the workspace " + rootOwned + " belongs to root, and the agent never runs as root.");
    assertThat(rootOwned.resolve(MARKER)).doesNotExist();
  }

  // positive controls

  @Test
  void filesTheAgentWritesInTheWorkspaceBelongToTheWorkspaceOwner() throws Exception {
    Run r = bash("mkdir -p out && echo made > out/file && git init -q repo && git -C repo config user.email a@b"
        + " && git -C repo config user.name a && git -C repo commit -q --allow-empty -m one && echo git-ok;"
        + " python3 -c 'print(\"python-ok\")'; node -e 'console.log(\"node-ok\")'; npm --version >/dev/null && echo npm-ok;"
        + " echo $HOME; touch $HOME/x && echo home-ok");

    assertThat(r.out()).isEqualTo("git-ok\npython-ok\nnode-ok\nnpm-ok\n/home/agent\nhome-ok\n");
    int owner = (Integer) Files.getAttribute(workspace, "unix:uid");
    assertThat((Integer) Files.getAttribute(workspace.resolve("out/file"), "unix:uid")).isEqualTo(owner);
    assertThat((Integer) Files.getAttribute(workspace.resolve("repo/.git/HEAD"), "unix:uid")).isEqualTo(owner);
  }

  @Test
  void sharedMemoryIsTheSandboxsOwnAndUsable() throws Exception {
    Run r = bash("touch /dev/shm/" + MARKER + " && echo shm-ok; python3 -c 'import multiprocessing as m; m.Lock(); print(\"lock-ok\")';"
        + " stat -c %a /dev/shm");

    assertThat(r.out()).as(r.err()).isEqualTo("shm-ok\nlock-ok\n1777\n");
    assertThat(Path.of("/dev/shm", MARKER)).as("the host's /dev/shm is not the sandbox's").doesNotExist();
  }

  @Test
  void aJvmToolRunsInside() throws Exception {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");

    Run r = bash("'" + java + "' -XX:-UsePerfData -version 2>&1 | grep -c ' version '");

    assertThat(r.status()).isZero();
    assertThat(r.out()).isEqualTo("1\n");
  }

  @Test
  void hostVariablesOffTheAllowListNeverAppear() throws Exception {
    Map<String, String> host = Map.of("PATH", "/usr/bin:/bin", "AWS_SECRET_ACCESS_KEY", SECRET + "-aws", "NPM_TOKEN",
        SECRET + "-npm", "GOOGLE_APPLICATION_CREDENTIALS", "/" + SECRET, "GITHUB_RUN_ID", "42");

    Run r = bash("env; echo done", AgentEnvironment.build(host, Map.of()));

    assertThat(r.out()).contains("GITHUB_RUN_ID=42\n").endsWith("done\n"); // and no secret: checked by bash()
  }

  private static boolean setuidRoot(Path p) {
    try {
      int mode = (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
      int uid = (Integer) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS);
      return uid == 0 && (mode & 04000) != 0;
    } catch (IOException e) {
      return false;
    }
  }
}
