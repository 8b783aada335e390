package dev.taskbound.core.escape;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.taskbound.core.policy.SandboxLimits;
import dev.taskbound.core.sandbox.AgentUser;
import dev.taskbound.core.sandbox.Confinement;
import dev.taskbound.core.sandbox.ContainerConfig;
import dev.taskbound.core.sandbox.ContainerSandbox;
import dev.taskbound.core.sandbox.InitCommand;
import dev.taskbound.core.sandbox.SandboxException;
import dev.taskbound.core.sandbox.SandboxIo;
import dev.taskbound.core.sandbox.SandboxLaunch;
import dev.taskbound.core.sandbox.SandboxProcess;
import dev.taskbound.core.session.AgentEnvironment;
import dev.taskbound.core.testing.AgentOwner;
import java.io.IOException;
import java.lang.ProcessBuilder.Redirect;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11, item 6: {@link HostEscapeTest}'s attempts against the container backend, against the
 * real Docker engine of {@code scripts/docker-test-env.sh} (fails, never skips, without one). Each
 * case is checked inside (the attempt fails) and from the host (no marker, no secret in the
 * agent's output, what the daemon created). As root (as CI runs) the agent is the workspace's
 * unprivileged owner. {@code /proc/sys} is only ever checked with {@code test -w}, never written;
 * the fork bomb is bounded (200 processes, each living 60 s at most, removed with the container).
 *
 * <p>Not applicable here: the host's {@code /proc} behind the agent's (the agent has only the
 * container's, and cannot unmount it: no capability, seccomp), {@code hsperfdata} of the session's
 * JVM and the host's {@code /tmp} (nothing of the host's {@code /tmp} is mounted).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ContainerHostEscapeTest {
  static final String SECRET = "sentinel-secret-6c2e";
  static final String MARKER = "tb-escape-marker-6c2e";
  private static final String LABEL = "dev.taskbound.test";
  private static final int PIDS = 64;

  private final String runLabel = UUID.randomUUID().toString();
  Path dir;
  Path workspace;
  Path appKey;
  Path policy;
  Path hostKey;
  Path runnerTemp;
  Path otherSession;
  ServerSocketChannel gateway;
  Path gatewaySocket;
  ServerSocketChannel otherGateway;
  ContainerSandbox sandbox;
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
    // host credentials outside the workspace: a key file, the CI runner's temporary directory
    hostKey = Files.writeString(dir.resolve("github-app.pem"), SECRET + "-host-key\n");
    runnerTemp = Files.createDirectories(dir.resolve("runner-temp"));
    Files.writeString(runnerTemp.resolve("credentials.json"), SECRET + "-runner\n");
    // this session's runtime directory (the gateway socket, for the forwarder) and another live session's
    Path runtime = Files.createDirectories(dir.resolve("run/tb-this"));
    gateway = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    gatewaySocket = runtime.resolve("gateway.sock");
    gateway.bind(UnixDomainSocketAddress.of(gatewaySocket));
    otherSession = Files.createDirectories(dir.resolve("run/tb-other"));
    Files.writeString(otherSession.resolve(".npmrc"), "//npm.test/:_authToken=" + SECRET + "-npm\n");
    otherGateway = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    otherGateway.bind(UnixDomainSocketAddress.of(otherSession.resolve("gateway.sock")));
    otherGateway.configureBlocking(false);
    ContainerEscapeTest.buildImageIfMissing(); // a fresh machine may run this class first
    sandbox = new ContainerSandbox(ContainerConfig.builder(ContainerEscapeTest.IMAGE).label(LABEL, runLabel).build());
    sandbox.preflight();
  }

  @AfterEach
  void removeLeftoverContainers() {
    sandbox.removeLabelled(LABEL, runLabel); // a failed case may leave its pair behind
  }

  @AfterAll
  void stop() throws IOException {
    for (ServerSocketChannel c : new ServerSocketChannel[] {gateway, otherGateway}) {
      if (c != null) {
        c.close();
      }
    }
  }

  private Run bash(String script) throws Exception {
    return bash(script, Map.of());
  }

  private Run bash(String script, Map<String, String> env) throws Exception {
    return bash(script, env, List.of(appKey));
  }

  private Run bash(String script, Map<String, String> env, List<Path> hidden) throws Exception {
    SandboxProcess p = startBash(script, env, SandboxLimits.DEFAULT, hidden);
    try {
      if (!p.waitFor(Duration.ofSeconds(90))) {
        throw new AssertionError("the sandbox did not finish within 90 s");
      }
      return finished(p);
    } finally {
      p.destroyTree();
    }
  }

  private SandboxProcess startBash(String script, Map<String, String> env, SandboxLimits limits) {
    return startBash(script, env, limits, List.of(appKey));
  }

  private SandboxProcess startBash(String script, Map<String, String> env, SandboxLimits limits, List<Path> hidden) {
    int n = ++runs;
    SandboxLaunch launch = new SandboxLaunch(List.of("/bin/bash", "-c", script), workspace, env,
        gatewaySocket, hidden,
        Duration.ofSeconds(30),
        new SandboxIo(Redirect.from(Path.of("/dev/null").toFile()), Redirect.to(dir.resolve("out" + n).toFile()),
            Redirect.to(dir.resolve("err" + n).toFile())))
        .withConfinement(new Confinement(Optional.empty(), List.of(policy), List.of(), limits));
    return sandbox.start(launch);
  }

  private Run finished(SandboxProcess p) throws Exception {
    Run r = new Run(p.waitFor(), Files.readString(dir.resolve("out" + runs)), Files.readString(dir.resolve("err" + runs)));
    assertThat(r.out() + r.err()).as("no secret ever reaches the agent's output").doesNotContain(SECRET);
    return r;
  }

  /** Two runs on one workspace, as a session's two {@code session exec} calls (see {@link SessionExecEscapeTest}). */
  @Test
  void renamingTheDirectoryOfAHiddenFileInOneRunDoesNotShowTheFileInTheNext() throws Exception {
    Path git = Files.createDirectories(workspace.resolve("hidden-repo/.git"));
    Files.writeString(git.resolve("config"), SECRET + "-git\n");
    AgentOwner.own(workspace.resolve("hidden-repo"));
    List<Path> hidden = List.of(appKey, git.resolve("config"));

    Run first = bash("mv hidden-repo/.git hidden-repo/g2; echo mv=$?; mv hidden-repo/.git/config hidden-repo/.git/c2;"
        + " echo mv-file=$?", Map.of(), hidden);
    Run second = bash("cat hidden-repo/g2/config hidden-repo/.git/c2 hidden-repo/.git/config; echo done", Map.of(), hidden);

    assertThat(first.out()).isEqualTo("mv=1\nmv-file=1\n");
    assertThat(second.out()).isEqualTo("done\n");
    assertThat(git.resolve("config")).content().contains(SECRET);
  }

  /** A hard link made before the run would show the hidden file under its other name: refused before any container exists. */
  @Test
  void aHiddenFileWithAHardLinkInTheWorkspaceRefusesTheStartNamingBothPaths() throws Exception {
    Path linked = Files.writeString(Files.createDirectories(workspace.resolve("linked")).resolve("token"), SECRET + "-linked\n");
    Files.createLink(workspace.resolve("linked/innocent.txt"), linked);
    try {
      assertThatThrownBy(() -> startBash("cat linked/innocent.txt", Map.of(), SandboxLimits.DEFAULT, List.of(appKey, linked)))
          .isInstanceOf(SandboxException.class)
          .hasMessageContaining("hidden path " + linked + " has 2 hard links (also at " + workspace.resolve("linked/innocent.txt") + ")");
    } finally {
      Files.delete(workspace.resolve("linked/innocent.txt"));
    }
  }

  /** As above with the directories holding the workspace (the host's {@code /tmp}, a home) among the hidden paths. */
  @Test
  void renamingADirectoryAboveAHiddenFileStaysRefusedWhenADirectoryHoldingTheWorkspaceIsHidden() throws Exception {
    Path er = Files.createDirectories(workspace.resolve("held/deep/er"));
    Files.writeString(er.resolve("token"), SECRET + "-held\n");
    AgentOwner.own(workspace.resolve("held"));
    List<Path> hidden = List.of(appKey, dir.getParent(), dir, er.resolve("token"));

    Run first = bash("cat held/deep/er/token; mv held/deep held/d2; echo outer=$?; mv held/deep/er held/deep/moved; echo inner=$?",
        Map.of(), hidden);
    Run second = bash("cat held/d2/er/token held/deep/moved/token held/deep/er/token; echo done", Map.of(), hidden);

    assertThat(first.out()).isEqualTo("outer=1\ninner=1\n");
    assertThat(second.out()).isEqualTo("done\n");
    assertThat(er.resolve("token")).content().contains(SECRET);
  }

  @Test
  void theAgentIsNeverRootAndHoldsNoCapabilityUnderSeccomp() throws Exception {
    Run r = bash("id -u; grep -E '^(CapEff|CapBnd|NoNewPrivs|Seccomp):' /proc/self/status; echo done");

    int expected = (Integer) Files.getAttribute(workspace, "unix:uid");
    assertThat(r.out()).isEqualTo(expected + "\nCapEff:\t0000000000000000\nCapBnd:\t0000000000000000\nNoNewPrivs:\t1\n"
        + "Seccomp:\t2\ndone\n");
    if (AgentOwner.root()) {
      assertThat(expected).isEqualTo(AgentOwner.UID);
    }
  }

  @Test
  void secretsOfRootTheAppKeyAndShadowCannotBeRead() throws Exception {
    Run r = bash("for f in root-only.txt app-key.pem /etc/shadow; do cat $f; echo \"$f=$?\"; done; wc -c < app-key.pem");

    assertThat(r.out()).contains("root-only.txt=1\n", "/etc/shadow=1\n", "app-key.pem=0\n").endsWith("\n0\n");
  }

  @Test
  void hostCredentialFilesAndTheRunnersTemporaryDirectoryAreNotThere() throws Exception {
    List<Path> paths = List.of(hostKey, runnerTemp, runnerTemp.resolve("credentials.json"),
        Path.of(System.getProperty("user.home"), ".ssh"), Path.of(System.getProperty("user.home"), ".docker/config.json"),
        Path.of(System.getProperty("user.home"), ".m2/settings.xml"), Path.of(System.getProperty("user.home"), ".cache/taskbound"));
    StringBuilder script = new StringBuilder();
    for (Path p : paths) {
      script.append("test -e '").append(p).append("' && echo PRESENT ").append(p).append("; cat '").append(p).append("' 2>/dev/null; ");
    }

    Run r = bash(script + "echo done");

    assertThat(r.out()).isEqualTo("done\n");
  }

  /** Host paths are checked with {@code test -w} only; the image's own are tried for real. */
  @Test
  void theRootTheImageAndThePolicyFileCannotBeWritten() throws Exception {
    List<String> targets = new ArrayList<>(List.of("/", "/etc", "/etc/cron.d", "/root", "/usr/local/bin", "/usr/bin", "/var"));
    for (String entry : InitCommand.current().classPath().split(":")) {
      targets.add(entry); // the Taskbound jar or classes: not even there
    }
    StringBuilder script = new StringBuilder();
    for (String t : targets) {
      script.append("test -w '").append(t).append("' && echo WRITABLE ").append(t).append("; ");
    }
    script.append("touch /etc/" + MARKER + " /usr/local/bin/" + MARKER + " 2>/dev/null && echo WROTE-ROOT;"
        + " echo x >> taskbound.yml 2>/dev/null && echo WROTE-POLICY; rm -f taskbound.yml 2>/dev/null; test -f taskbound.yml"
        + " || echo REMOVED-POLICY; echo done");

    Run r = bash(script.toString());

    assertThat(r.out()).isEqualTo("done\n");
    assertThat(policy).hasContent("apiVersion: taskbound.dev/v1");
    assertThat(Path.of("/etc", MARKER)).doesNotExist();
  }

  @Test
  void noSetuidFileOfRootAppearsOnTheHostAndTmpIsPrivate() throws Exception {
    Run r = bash("cp /bin/true ./suid && chmod 4755 ./suid; cp /bin/true /tmp/" + MARKER + " && chmod 4755 /tmp/" + MARKER
        + "; ls -ln ./suid | cut -d' ' -f3; grep ' /tmp ' /proc/mounts | grep -c nosuid");

    assertThat(r.out()).isEqualTo(Files.getAttribute(workspace, "unix:uid") + "\n1\n");
    try (Stream<Path> all = Files.walk(dir)) {
      assertThat(all.filter(Files::isRegularFile).filter(ContainerHostEscapeTest::setuidRoot).toList()).isEmpty();
    }
    assertThat(Path.of("/tmp", MARKER)).as("the agent's /tmp is its own").doesNotExist();
  }

  @Test
  void kernelSettingsAreNotWritable() throws Exception {
    // check only: never write to /proc/sys
    Run r = bash("for f in /proc/sys/kernel/core_pattern /proc/sys/kernel/hostname /proc/sysrq-trigger"
        + " /sys/kernel/uevent_helper /sys/fs/cgroup; do test -w $f && echo \"WRITABLE $f\"; done; echo done");

    assertThat(r.out()).isEqualTo("done\n");
  }

  @Test
  void mountUnshareSetnsAndUnmountingProcAreRefused() throws Exception {
    Run r = bash("mount -t tmpfs x /mnt 2>/dev/null && echo MOUNTED; unshare -U true 2>/dev/null && echo USERNS;"
        + " unshare -m true 2>/dev/null && echo MOUNTNS; unshare -Urm sh -c 'umount -l /proc' 2>/dev/null && echo UMOUNTED;"
        + " nsenter -t 1 -m true 2>/dev/null && echo SETNS; umount /proc 2>/dev/null && echo PROC-GONE; echo done");

    assertThat(r.out()).isEqualTo("done\n");
  }

  @Test
  void containerEngineAndRuntimeSocketsAreNotThereAndNothingOfTheHostIsMounted() throws Exception {
    SandboxProcess p = startBash("for s in /var/run/docker.sock /run/docker.sock /run/containerd/containerd.sock"
        + " /var/run/docker/containerd/containerd.sock; do test -e $s && echo \"SOCKET $s\"; done;"
        + " find / -xdev -type s 2>/dev/null; find /run /var/run /tmp -type s 2>/dev/null; echo done; exec sleep 60", Map.of(), SandboxLimits.DEFAULT);
    String mounts;
    try {
      awaitOutput("done");
      // from the host: what the daemon mounted into the agent container
      mounts = docker("inspect", "--format", "{{range .Mounts}}{{.Type}}:{{.Source}}>{{.Destination}}:{{.RW}} {{end}}"
          + "{{range $k, $v := .HostConfig.Tmpfs}}tmpfs:>{{$k}} {{end}}", p.handle().get("agent"));
    } finally {
      p.destroyTree();
    }

    assertThat(Files.readString(dir.resolve("out" + runs))).isEqualTo("done\n");
    List<String> sysfs = Stream.of(mounts.strip().split(" ")).filter(m -> m.contains(">/sys/")).toList();
    assertThat(Stream.of(mounts.strip().split(" ")).filter(m -> !m.contains(">/sys/")).toList()).containsExactlyInAnyOrder(
        "bind:" + workspace + ">" + workspace + ":true",
        "bind:" + policy + ">" + policy + ":false",
        "bind:/dev/null>" + appKey + ":false",
        "tmpfs:>/home/agent", "tmpfs:>/tmp");
    assertThat(sysfs).as("only the CPU and NUMA node directories of /sys come from the host, read-only")
        .allMatch(m -> m.matches("bind:/sys/devices/system/(cpu|node)>/sys/devices/system/(cpu|node):false|tmpfs:>/sys/.*"));
  }

  /** As in the netns backend: no other cgroup, no host pid, no host cgroup path (its own cgroup namespace). */
  @Test
  void theAgentSeesOnlyItsOwnCgroupAndNoHostPid() throws Exception {
    Process sentinel = new ProcessBuilder("sleep", "120").start();
    try {
      Run r = bash("grep -vc ':/$' /proc/self/cgroup; ls -R /sys/fs/cgroup | grep -c -e docker -e taskbound-; echo pids:;"
          + " find /sys \\( -name cgroup.procs -o -name tasks \\) -print0 2>/dev/null | timeout 20 xargs -0 cat; echo end");

      assertThat(r.out()).startsWith("0\n0\npids:\n").endsWith("end\n");
      List<String> pids = r.out().substring(r.out().indexOf("pids:\n") + 6, r.out().indexOf("end\n")).lines().toList();
      assertThat(pids).isNotEmpty().doesNotContain(Long.toString(sentinel.pid()), Long.toString(ProcessHandle.current().pid()))
          .allSatisfy(pid -> assertThat(pid).matches("[0-9]{1,3}"));
    } finally {
      sentinel.destroyForcibly();
    }
  }

  @Test
  void anotherSessionsRuntimeDirectoryAndGatewayAreUnreachable() throws Exception {
    Run r = bash("ls " + otherSession + " 2>&1; cat " + otherSession.resolve(".npmrc") + " 2>/dev/null;"
        + " test -S " + otherSession.resolve("gateway.sock") + " && echo SOCKET; ls " + dir.resolve("run") + " 2>&1 | head -1; echo done");

    assertThat(r.out()).endsWith("done\n").doesNotContain("SOCKET").contains("No such file or directory");
    assertThat(otherGateway.accept()).as("the other session's gateway was never connected to").isNull();
  }

  @Test
  void noBlockDeviceExistsInside() throws Exception {
    Run r = bash("find / -xdev -type b 2>/dev/null; find /dev -type b 2>/dev/null; echo done");

    assertThat(r.out()).isEqualTo("done\n");
  }

  /**
   * Docker's own /sys (the container's network namespace) listed the host's block devices under
   * /sys/block, /sys/class/block, /sys/devices/.../block and /sys/fs/ext4: only the CPUs, NUMA nodes
   * and the container's cgroups are left, read-only.
   */
  @Test
  void sysShowsNoHostNetworkInterfaceNorBlockDevice() throws Exception {
    List<String> hostBlock;
    try (Stream<Path> s = Files.list(Path.of("/sys/block"))) {
      hostBlock = s.map(p -> p.getFileName().toString()).toList();
    }

    Run r = bash("ls /sys/block /sys/class /sys/dev /sys/devices/virtual 2>&1 | grep -c 'No such file';"
        + " find /sys -name 'eth*' -o -name 'veth*' -o -name 'docker*' -o -name 'vd[a-z]' -o -name 'sd[a-z]' -o -name 'nvme*'"
        + " -o -name 'loop[0-9]*' -o -name 'zram*' -o -name 'dm-[0-9]*' 2>/dev/null | wc -l; touch /sys/block/x 2>/dev/null || echo read-only");

    assertThat(hostBlock).as("the control: the host has block devices").isNotEmpty();
    assertThat(r.out()).as(r.err()).isEqualTo("1\n0\nread-only\n");
  }

  /** Positive control for the allow-listed {@code /sys}: nproc and the JVM's count are the host's. */
  @Test
  void nprocStillCountsTheCpus() throws Exception {
    Process p = new ProcessBuilder("nproc", "--all").redirectError(Redirect.DISCARD).start();
    String hostAll = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
    String online = Files.readString(Path.of("/sys/devices/system/cpu/online"));

    Run r = bash("nproc --all; cat /sys/devices/system/cpu/online");

    assertThat(r.out()).as(r.err()).isEqualTo(hostAll + online);
  }

  @Test
  void hsperfdataOfTheHostIsNotShared() throws Exception {
    Run r = bash("ls /tmp | grep -c hsperfdata; echo done");

    assertThat(r.out()).isEqualTo("0\ndone\n");
  }

  @Test
  void hostVariablesOffTheAllowListNeverAppear() throws Exception {
    Map<String, String> host = Map.of("PATH", "/usr/bin:/bin", "AWS_SECRET_ACCESS_KEY", SECRET + "-aws", "NPM_TOKEN",
        SECRET + "-npm", "GOOGLE_APPLICATION_CREDENTIALS", "/" + SECRET, "GITHUB_RUN_ID", "42", "HOME", "/root");

    Run r = bash("env; cat /proc/*/environ 2>/dev/null | tr '\\0' '\\n'; echo done", AgentEnvironment.build(host, Map.of()));

    assertThat(r.out()).contains("GITHUB_RUN_ID=42\n", "HOME=/home/agent\n").doesNotContain("HOME=/root")
        .endsWith("done\n"); // and no secret: checked by bash()
  }

  /** Bounded: 200 processes at most, each gone within 60 s or with the container. */
  @Test
  void aForkBombStopsAtThePidsLimit() throws Exception {
    SandboxProcess p = startBash("sh -c 'i=0; while [ $i -lt 200 ]; do sleep 60 >/dev/null 2>&1 & i=$((i+1)); done;"
        + " echo ALL-STARTED' 2>&1; echo done; exec sleep 60", Map.of(),
        new SandboxLimits(OptionalInt.of(PIDS), OptionalLong.empty()));
    String processes;
    try {
      awaitOutput("done");
      // from the host: the processes in the agent container, as the daemon sees them
      processes = docker("top", p.handle().get("agent"), "-eo", "pid");
    } finally {
      p.destroyTree();
    }

    assertThat(Files.readString(dir.resolve("out" + runs))).contains("Cannot fork").doesNotContain("ALL-STARTED").endsWith("done\n");
    assertThat(processes.lines().count() - 1).as("processes in the agent container").isBetween(2L, (long) PIDS);
    assertThat(new ProcessBuilder("true").start().waitFor()).as("the host still forks").isZero();
  }

  /** Bounded: 200 MiB asked for under a 64 MiB limit (swap included); the container lives on. */
  @Test
  void anAllocationPastTheMemoryLimitIsKilledInsideTheContainer() throws Exception {
    SandboxProcess p = startBash("( x=$(head -c 200m /dev/zero | tr '\\0' a); echo \"HELD ${#x}\" ) 2>/dev/null; echo status=$?; echo alive",
        Map.of(), new SandboxLimits(OptionalInt.empty(), OptionalLong.of(SandboxLimits.MIN_MEMORY)));
    Run r;
    try {
      assertThat(p.waitFor(Duration.ofSeconds(90))).as("the sandbox finished").isTrue();
      r = finished(p);
    } finally {
      p.destroyTree();
    }

    assertThat(r.out()).isEqualTo("status=137\nalive\n"); // SIGKILL by the container's OOM killer, not HELD
    assertThat(r.status()).isZero();
  }

  @Test
  void aWorkspaceOwnedByRootIsRefusedBeforeAnyContainerExists() throws Exception {
    assumeThat(AgentOwner.root()).as("only root can own a workspace for someone else").isTrue();
    Path rootOwned = Files.createDirectories(dir.resolve("root-ws"));
    SandboxLaunch launch = new SandboxLaunch(List.of("touch", MARKER), rootOwned, Map.of(),
        gatewaySocket, List.of(), Duration.ofSeconds(20));

    assertThatThrownBy(() -> sandbox.start(launch))
        .isInstanceOf(SandboxException.class)
        .hasMessageStartingWith("the workspace " + rootOwned + " belongs to root, and the agent never runs as root.");
    assertThat(rootOwned.resolve(MARKER)).doesNotExist();
    assertThat(docker("ps", "--all", "--quiet", "--filter", "label=" + LABEL + "=" + runLabel)).isEmpty();
  }

  /** A launch with the policy's confinement: its user, read-only and read-write paths, hidden paths. */
  private Run bashConfined(String script, Confinement confinement, List<Path> hidden) throws Exception {
    int n = ++runs;
    SandboxLaunch launch = new SandboxLaunch(List.of("/bin/bash", "-c", script), workspace, Map.of(), gatewaySocket, hidden,
        Duration.ofSeconds(30), new SandboxIo(Redirect.from(Path.of("/dev/null").toFile()),
            Redirect.to(dir.resolve("out" + n).toFile()), Redirect.to(dir.resolve("err" + n).toFile())))
        .withConfinement(confinement);
    SandboxProcess p = sandbox.start(launch);
    try {
      if (!p.waitFor(Duration.ofSeconds(90))) {
        throw new AssertionError("the sandbox did not finish within 90 s");
      }
      return finished(p);
    } finally {
      p.destroyTree();
    }
  }

  @Test
  void thePolicysPathsAppearWithTheirModeAndAHiddenPathInsideThemStaysEmpty() throws Exception {
    Path tools = Files.createDirectories(dir.resolve("tools"));
    Files.writeString(tools.resolve("tool.txt"), "tool\n");
    Path toolSecret = Files.writeString(tools.resolve("secret.pem"), SECRET + "-tool\n");
    Path scratch = AgentOwner.own(Files.createDirectories(dir.resolve("ws@tmp")));
    Confinement paths = new Confinement(Optional.empty(), List.of(policy, tools), List.of(scratch), SandboxLimits.DEFAULT);

    Run r = bashConfined("cat " + tools.resolve("tool.txt") + "; touch " + tools.resolve("x") + " 2>/dev/null && echo WROTE;"
        + " echo made > " + scratch.resolve("made") + " && echo rw-ok; wc -c < " + toolSecret, paths, List.of(appKey, toolSecret));

    assertThat(r.out()).as(r.err()).isEqualTo("tool\nrw-ok\n0\n");
    assertThat(tools.resolve("x")).doesNotExist();
    assertThat(scratch.resolve("made")).hasContent("made");
    assertThat((Integer) Files.getAttribute(scratch.resolve("made"), "unix:uid"))
        .isEqualTo((Integer) Files.getAttribute(workspace, "unix:uid"));
  }

  @Test
  void theCeilingsUserRunsTheAgent() throws Exception {
    assumeThat(AgentOwner.root()).as("only a root Taskbound chooses the agent's user").isTrue();
    AgentUser daemon = AgentUser.resolve("daemon", "test", Path.of("/etc/passwd"));

    Run r = bashConfined("id -u; id -g", new Confinement(Optional.of(daemon), List.of(policy), List.of()), List.of(appKey));

    assertThat(r.out()).isEqualTo(daemon.uid() + "\n" + daemon.gid() + "\n");
    assertThat(daemon.uid()).isNotZero().isNotEqualTo(AgentOwner.UID);
  }

  @Test
  void aPolicyPathMeetingTheEngineOrAWritableTaskboundIsRefusedBeforeAnyContainerExists() throws Exception {
    Path ownCode = Path.of(InitCommand.current().classPath().split(":")[0]).toAbsolutePath();
    Map<Confinement, String> refused = Map.of(
        new Confinement(Optional.empty(), List.of(Path.of("/var/run")), List.of()),
        "sandbox.paths.readOnly /var/run contains /var/run/docker.sock, the container engine's socket or state;",
        new Confinement(Optional.empty(), List.of(), List.of(Path.of("/var/lib/docker/volumes"))),
        "sandbox.paths.readWrite /var/lib/docker/volumes lies within /var/lib/docker, the container engine's socket or state;",
        new Confinement(Optional.empty(), List.of(), List.of(ownCode.getParent())),
        "sandbox.paths.readWrite " + ownCode.getParent() + " contains " + ownCode + ", Taskbound's own code or JDK, which"
            + " stay read-only;");

    assertThatThrownBy(() -> bashConfined("touch " + MARKER, new Confinement(Optional.empty(), List.of(Path.of("/tmp")),
        List.of()), List.of()))
        .isInstanceOf(SandboxException.class)
        .hasMessage("sandbox.paths.readOnly /tmp is the agent container's private /tmp (a tmpfs of its own); accepted: a"
            + " path below it or elsewhere");
    for (Map.Entry<Confinement, String> c : refused.entrySet()) {
      assertThatThrownBy(() -> bashConfined("touch " + MARKER, c.getKey(), List.of()))
          .isInstanceOf(SandboxException.class)
          .hasMessageStartingWith(c.getValue())
          .hasMessageEndingWith("the container backend never mounts it for the agent. Accepted: a path that neither"
              + " contains nor lies within it");
    }
    assertThat(workspace.resolve(MARKER)).doesNotExist();
    assertThat(docker("ps", "--all", "--quiet", "--filter", "label=" + LABEL + "=" + runLabel)).isEmpty();
  }

  // positive controls

  @Test
  void filesTheAgentWritesInTheWorkspaceBelongToTheWorkspaceOwnerAndGitWorks() throws Exception {
    Run r = bash("mkdir -p out && echo made > out/file && git init -q repo && git -C repo config user.email a@b"
        + " && git -C repo config user.name a && git -C repo commit -q --allow-empty -m one && echo git-ok;"
        + " echo $HOME; touch $HOME/x && echo home-ok; touch /tmp/x && echo tmp-ok");

    assertThat(r.out()).as(r.err()).isEqualTo("git-ok\n/home/agent\nhome-ok\ntmp-ok\n");
    int owner = (Integer) Files.getAttribute(workspace, "unix:uid");
    assertThat((Integer) Files.getAttribute(workspace.resolve("out/file"), "unix:uid")).isEqualTo(owner);
    assertThat((Integer) Files.getAttribute(workspace.resolve("repo/.git/HEAD"), "unix:uid")).isEqualTo(owner);
  }

  /** Waits (bounded, 60 s) until the current run's standard output contains {@code text}. */
  private void awaitOutput(String text) throws Exception {
    Path out = dir.resolve("out" + runs);
    try (var watcher = out.getFileSystem().newWatchService()) {
      out.getParent().register(watcher, java.nio.file.StandardWatchEventKinds.ENTRY_MODIFY);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!(Files.exists(out) && Files.readString(out).contains(text))) {
        long left = deadline - System.nanoTime();
        assertThat(left).as("'" + text + "' appeared within 60 s").isPositive();
        var key = watcher.poll(Math.min(left, TimeUnit.MILLISECONDS.toNanos(200)), TimeUnit.NANOSECONDS);
        if (key != null) {
          key.pollEvents();
          key.reset();
        }
      }
    }
  }

  private static String docker(String... args) throws Exception {
    List<String> argv = new ArrayList<>(List.of("docker"));
    argv.addAll(List.of(args));
    Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(String.join(" ", argv) + ": " + out).isZero();
    return out;
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
