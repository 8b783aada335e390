package dev.taskbound.core.sandbox.container;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import dev.taskbound.core.egress.EgressDecision;
import dev.taskbound.core.egress.EgressRule;
import dev.taskbound.core.egress.Gateway;
import dev.taskbound.core.egress.GatewayConfig;
import dev.taskbound.core.egress.RuleSet;
import dev.taskbound.core.policy.SandboxLimits;
import dev.taskbound.core.sandbox.Confinement;
import dev.taskbound.core.sandbox.ContainerConfig;
import dev.taskbound.core.sandbox.ContainerSandbox;
import dev.taskbound.core.sandbox.SandboxException;
import dev.taskbound.core.sandbox.SandboxIo;
import dev.taskbound.core.sandbox.SandboxLaunch;
import dev.taskbound.core.sandbox.SandboxProbes;
import dev.taskbound.core.sandbox.SandboxProcess;
import dev.taskbound.core.testing.AgentOwner;
import java.io.File;
import java.lang.ProcessBuilder.Redirect;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code container} backend against a real Docker daemon ({@code scripts/docker-test-env.sh}
 * starts one and builds the images). Fails, never skips, when no daemon is reachable. Containers
 * use {@code --network none} and {@code container:<id>} only; test traffic goes to host loopback
 * through the real gateway.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ContainerSandboxTest {
  private static final String AGENT_IMAGE = "taskbound/debian-base:bookworm";
  private static final String BODY = "hello from allowed.test";

  private Path dir;
  private final String runLabel = UUID.randomUUID().toString();
  private final AtomicInteger requests = new AtomicInteger();
  private final List<EgressDecision> decisions = new CopyOnWriteArrayList<>();
  private HttpServer server;
  private Gateway gateway;
  private ContainerSandbox sandbox;
  private int runs;

  @BeforeAll
  void startServerAndGateway(@TempDir Path tempDir) throws Exception {
    dir = tempDir;
    // as root (CI), the agent runs as the workspace's owner, which must not be root
    AgentOwner.own(Files.createDirectories(dir.resolve("work")));
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/hello", exchange -> {
      requests.incrementAndGet();
      byte[] body = BODY.getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    server.start();
    Path gatewayDir = Files.createDirectories(dir.resolve("run"));
    gateway = Gateway.start(new GatewayConfig(
        gatewayDir.resolve("gateway.sock"),
        RuleSet.of(List.of(EgressRule.parse("allowed.test:" + port())), List.of()),
        Map.of("allowed.test", "127.0.0.1", "blocked.test", "127.0.0.1"),
        (decision, method, dialled) -> decisions.add(decision)));
    sandbox = new ContainerSandbox(ContainerConfig.builder(AGENT_IMAGE).label("dev.taskbound.test", runLabel).build());
  }

  @AfterAll
  void stop() {
    if (gateway != null) {
      gateway.close();
    }
    if (server != null) {
      server.stop(0);
    }
  }

  private int port() {
    return server.getAddress().getPort();
  }

  private record Result(int status, String out, String err) {}

  private final List<ServerSocketChannel> handed = new CopyOnWriteArrayList<>();
  private volatile boolean handOver = true;

  private SandboxProcess start(String script, Map<String, String> env) throws Exception {
    return start(List.of("bash", "-c", script), env, List.of(dir.resolve("run")), new File("/dev/null"));
  }

  /** Starts a sandbox in {@code dir/work}; its stdout and stderr go to {@code dir/outN}, {@code dir/errN}. */
  private SandboxProcess start(List<String> command, Map<String, String> env, List<Path> hidden, File stdin)
      throws Exception {
    runs++;
    Path work = Files.createDirectories(dir.resolve("work"));
    return sandbox.start(new SandboxLaunch(
        command, work, env, gateway.socketPath(), hidden, Duration.ofSeconds(30),
        new SandboxIo(Redirect.from(stdin), Redirect.to(dir.resolve("out" + runs).toFile()),
            Redirect.to(dir.resolve("err" + runs).toFile())))
        .withListenerSink(handOver ? this::serveHanded : null));
  }

  /** As a session does: the gateway serves the forwarder container's listening socket. */
  private void serveHanded(ServerSocketChannel listener) {
    handed.add(listener);
    gateway.serveFrom(listener);
  }

  private Result run(String script) throws Exception {
    return run(script, Map.of("HOME", "/root"));
  }

  private Result run(String script, Map<String, String> env) throws Exception {
    SandboxProcess p = start(script, env);
    try {
      assertThat(p.waitFor(Duration.ofSeconds(45))).as("the sandbox finished").isTrue();
      return new Result(p.waitFor(), Files.readString(dir.resolve("out" + runs)), Files.readString(dir.resolve("err" + runs)));
    } finally {
      p.destroyTree();
    }
  }

  /** A raw HTTP request through the proxy named by HTTP_PROXY, with bash's /dev/tcp only. */
  private String proxiedGet(String host) {
    return "p=${HTTP_PROXY##*:}; exec 3<>/dev/tcp/127.0.0.1/$p || exit 9; "
        + "printf 'GET http://" + host + ":" + port() + "/hello HTTP/1.1\\r\\nHost: " + host + ":" + port()
        + "\\r\\nConnection: close\\r\\n\\r\\n' >&3; cat <&3; echo; exec 3<&-; ";
  }

  private List<String> containersOfThisRun() {
    return containersLabelled(runLabel);
  }

  private static List<String> containersLabelled(String label) {
    try {
      Process p = new ProcessBuilder("docker", "ps", "--all", "--quiet", "--filter", "label=dev.taskbound.test=" + label)
          .redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
      assertThat(p.exitValue()).as("docker ps: " + out).isZero();
      return out.isEmpty() ? List.of() : List.of(out.split("\n"));
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void agentReachesAnAllowedHostThroughTheGatewayAndGets403ForABlockedOne() throws Exception {
    int before = requests.get();

    Result r = run(proxiedGet("allowed.test") + "echo ---; " + proxiedGet("blocked.test"));

    String[] parts = r.out().split("---", 2);
    assertThat(r.status()).as(r.err()).isZero();
    assertThat(parts[0].strip()).startsWith("HTTP/1.1 200").contains(BODY);
    assertThat(parts[1].strip()).startsWith("HTTP/1.1 403").contains("egress to blocked.test:" + port() + " denied");
    assertThat(requests.get() - before).isEqualTo(1);
  }

  @Test
  void theGatewayTakesOverTheAgentContainersOwnListeningSocketAndReleasesItWithTheSandbox() throws Exception {
    handed.clear();

    Result r = run(proxiedGet("allowed.test") + "echo NET; cat /proc/net/dev");

    assertThat(r.out().strip()).as(r.err()).startsWith("HTTP/1.1 200").contains(BODY);
    assertThat(handed).singleElement();
    // one container, in a namespace of its own with loopback only: no forwarder, no other interface
    String interfaces = r.out().substring(r.out().lastIndexOf("NET\n") + 4);
    assertThat(interfaces.lines().filter(l -> l.contains(":") && !l.contains("|")).map(l -> l.split(":")[0].strip()))
        .containsExactly("lo");
    SandboxProbes.awaitClosed(handed.get(0)); // the agent container is gone, and with it the namespace
  }

  @Test
  void theImagesEntrypointStillRunsBeforeTheCommand() throws Exception {
    String image = "taskbound/entrypoint-probe:" + runLabel.substring(0, 8);
    Process build = new ProcessBuilder("docker", "build", "--quiet", "--tag", image, "-")
        .redirectErrorStream(true).start();
    try (var in = build.getOutputStream()) {
      in.write(("FROM " + AGENT_IMAGE + "\nENTRYPOINT [\"/usr/bin/env\", \"FROM_ENTRYPOINT=yes\"]\n").getBytes(StandardCharsets.UTF_8));
    }
    String built = new String(build.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(build.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(build.exitValue()).as(built).isZero();
    ContainerSandbox saved = sandbox;
    sandbox = new ContainerSandbox(ContainerConfig.builder(image).label("dev.taskbound.test", runLabel).build());
    Result r;
    try {
      r = run("echo \"entrypoint said $FROM_ENTRYPOINT\"");
    } finally {
      sandbox = saved;
      new ProcessBuilder("docker", "rmi", "--force", image).redirectErrorStream(true).start().waitFor(30, TimeUnit.SECONDS);
    }

    assertThat(r.status()).as(r.err()).isZero();
    assertThat(r.out().strip()).isEqualTo("entrypoint said yes");
  }

  @Test
  void withoutAListenerSinkTheForwarderRelaysEachConnection() throws Exception {
    handed.clear();
    handOver = false;
    Result r;
    try {
      r = run(proxiedGet("allowed.test"));
    } finally {
      handOver = true;
    }

    assertThat(r.out().strip()).as(r.err()).startsWith("HTTP/1.1 200").contains(BODY);
    assertThat(handed).isEmpty();
  }

  @Test
  void directTcpToAHostLoopbackServerFails() throws Exception {
    int before = requests.get();

    Result r = run("(exec 3<>/dev/tcp/127.0.0.1/" + port() + ") 2>/dev/null && echo CONNECTED || echo REFUSED");

    assertThat(r.out().strip()).isEqualTo("REFUSED");
    assertThat(requests.get()).isEqualTo(before);
  }

  @Test
  void nameResolutionFailsInside() throws Exception {
    Result r = run("getent ahosts allowed.test; echo status=$?; getent ahosts deb.debian.org; echo status=$?");

    assertThat(r.out()).contains("status=2").doesNotContain("status=0").doesNotContain("127.0.0.1");
  }

  @Test
  void neitherTheDockerSocketNorTheGatewaySocketIsInTheAgentContainer() throws Exception {
    Result r = run("for f in /var/run/docker.sock /run/docker.sock /run/taskbound " + gateway.socketPath()
        + " " + dir.resolve("run") + "; do [ -e \"$f\" ] && echo \"PRESENT $f\"; done; echo done");

    assertThat(r.out().strip()).isEqualTo("done");
  }

  @Test
  void agentSeesTheSessionsFilesForItReadOnlyAndNothingElseOfTheHost() throws Exception {
    Path shared = Files.createDirectories(dir.resolve("agent-files"));
    Files.writeString(shared.resolve(".npmrc"), "registry=http://registry.test/\n");
    Path missing = dir.resolve("not-created");
    runs++;
    Path work = Files.createDirectories(dir.resolve("work"));
    SandboxProcess p = sandbox.start(new SandboxLaunch(
        List.of("bash", "-c", "cat " + shared + "/.npmrc; echo x > " + shared + "/new 2>/dev/null && echo WRITABLE;"
            + " [ -e " + missing + " ] && echo MISSING-PRESENT; [ -e " + dir.resolve("run") + " ] && echo RUN-PRESENT; echo done"),
        work, Map.of(), gateway.socketPath(), List.of(), Duration.ofSeconds(30),
        new SandboxIo(Redirect.from(new File("/dev/null")), Redirect.to(dir.resolve("out" + runs).toFile()),
            Redirect.to(dir.resolve("err" + runs).toFile()))).withAgentPaths(List.of(shared, missing)));
    try {
      assertThat(p.waitFor(Duration.ofSeconds(45))).isTrue();
    } finally {
      p.destroyTree();
    }

    assertThat(Files.readString(dir.resolve("out" + runs))).isEqualTo("registry=http://registry.test/\ndone\n");
    assertThat(shared.resolve("new")).doesNotExist();
  }

  @Test
  void agentGetsItsEnvironmentAndTheProxyVariables() throws Exception {
    Result r = run("echo \"$TASK_VALUE|$HTTPS_PROXY|$NO_PROXY|${DOCKER_HOST-unset}\"",
        Map.of("TASK_VALUE", "v1 with spaces", "DOCKER_HOST", "unix:///var/run/docker.sock"));

    assertThat(r.out().strip())
        .isEqualTo("v1 with spaces|http://127.0.0.1:" + ContainerConfig.DEFAULT_FORWARDER_PORT + "||unset");
  }

  @Test
  void agentReadsItsStandardInput() throws Exception {
    Path input = Files.writeString(dir.resolve("stdin"), "line from stdin\n");
    SandboxProcess p = start(List.of("cat"), Map.of(), List.of(), input.toFile());

    try {
      assertThat(p.waitFor(Duration.ofSeconds(30))).isTrue();
      assertThat(p.waitFor()).isZero();
    } finally {
      p.destroyTree();
    }

    assertThat(Files.readString(dir.resolve("out" + runs))).isEqualTo("line from stdin\n");
  }

  @Test
  void dockersDetachKeysOnTheAgentsStandardInputNeitherDetachNorEndTheRun() throws Exception {
    // Docker's default detach sequence (ctrl-p ctrl-q), then more input: whoever feeds the agent's
    // stdin must not be able to detach the CLI (which would end the run with 0 while the agent runs
    // on). The agent container has no TTY, and the daemon reads detach keys only on a TTY's stdin.
    byte[] input = "before\u0010\u0011after\n\u0010\u0011".getBytes(StandardCharsets.UTF_8);
    Path stdin = Files.write(dir.resolve("detach-stdin"), input);
    SandboxProcess p = start(List.of("bash", "-c", "cat; echo; echo still-attached; exit 3"), Map.of(), List.of(), stdin.toFile());

    int status;
    try {
      assertThat(p.waitFor(Duration.ofSeconds(30))).isTrue();
      status = p.waitFor();
    } finally {
      p.destroyTree();
    }

    assertThat(status).isEqualTo(3);
    assertThat(Files.readAllBytes(dir.resolve("out" + runs)))
        .isEqualTo("before\u0010\u0011after\n\u0010\u0011\nstill-attached\n".getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void exitStatusPassesThrough() throws Exception {
    Result r = run("exit 42");

    assertThat(r.status()).isEqualTo(42);
  }

  @Test
  void aCommandThatIsNotFoundExitsWith127NamingTheImagesPathSearched() throws Exception {
    SandboxProcess p = start(List.of("no-such-command"), Map.of("PATH", "/host/only/bin"), List.of(), new File("/dev/null"));

    try {
      assertThat(p.waitFor(Duration.ofSeconds(30))).isTrue();
      assertThat(p.waitFor()).isEqualTo(127);
    } finally {
      p.destroyTree();
    }
    assertThat(Files.readString(dir.resolve("err" + runs))).contains("taskbound: cannot run 'no-such-command': No such file or directory")
        .contains("taskbound: the agent exited 127; if 'no-such-command' was not found: the agent container searched"
            + " the image's PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin (the host's PATH does not"
            + " apply in the container backend)\n");
  }

  @Test
  void terminateEndsTheAgentWithSigterm() throws Exception {
    SandboxProcess p = start("echo started; exec sleep 600", Map.of());
    try {
      waitForOutput("started");

      p.terminate();

      assertThat(p.waitFor(Duration.ofSeconds(20))).isTrue();
      assertThat(p.waitFor()).isEqualTo(128 + 15);
    } finally {
      p.destroyTree();
    }
  }

  @Test
  void hiddenPathsInsideTheWorkspaceAreCovered() throws Exception {
    Path work = Files.createDirectories(dir.resolve("work"));
    Path secrets = Files.createDirectories(work.resolve("session"));
    Files.writeString(secrets.resolve("key.jwk"), "PRIVATE");
    Files.writeString(work.resolve("token"), "TOKEN");
    SandboxProcess p = start(List.of("bash", "-c", "cat session/key.jwk token; ls -A session | wc -l; echo end"),
        Map.of(), List.of(secrets, work.resolve("token")), new File("/dev/null"));

    try {
      assertThat(p.waitFor(Duration.ofSeconds(30))).isTrue();
    } finally {
      p.destroyTree();
    }

    String out = Files.readString(dir.resolve("out" + runs));
    assertThat(out).doesNotContain("PRIVATE").doesNotContain("TOKEN").endsWith("0\nend\n");
    assertThat(Files.readString(secrets.resolve("key.jwk"))).isEqualTo("PRIVATE");
  }

  @Test
  void environmentValuesNeverAppearOnAnyCommandLine() throws Exception {
    String sentinel = "sentinel-" + UUID.randomUUID();
    SandboxProcess p = start("echo started; exec sleep 600", Map.of("AGENT_SECRET", sentinel));
    try {
      waitForOutput("started");

      List<String> cmdlines = allCommandLines();

      assertThat(cmdlines).isNotEmpty().noneMatch(c -> c.contains(sentinel));
    } finally {
      p.destroyTree();
    }
  }

  private static List<String> allCommandLines() throws Exception {
    List<String> out = new java.util.ArrayList<>();
    try (var procs = Files.list(Path.of("/proc"))) {
      for (Path proc : procs.filter(q -> q.getFileName().toString().matches("\\d+")).toList()) {
        try {
          out.add(new String(Files.readAllBytes(proc.resolve("cmdline")), StandardCharsets.UTF_8));
        } catch (java.io.IOException e) {
          // the process ended meanwhile
        }
      }
    }
    return out;
  }

  /** Waits (bounded) until the current run's standard output contains {@code text}. */
  private void waitForOutput(String text) throws Exception {
    Path out = dir.resolve("out" + runs);
    try (var watcher = out.getFileSystem().newWatchService()) {
      out.getParent().register(watcher, java.nio.file.StandardWatchEventKinds.ENTRY_MODIFY);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!(Files.exists(out) && Files.readString(out).contains(text))) {
        long left = deadline - System.nanoTime();
        assertThat(left).as("'" + text + "' appeared within 30 s").isPositive();
        var key = watcher.poll(Math.min(left, TimeUnit.MILLISECONDS.toNanos(200)), TimeUnit.NANOSECONDS);
        if (key != null) {
          key.pollEvents();
          key.reset();
        }
      }
    }
  }

  @Test
  void destroyTreeRemovesTheAgentContainerAndIsIdempotent() throws Exception {
    SandboxProcess p = start("sleep 600", Map.of());
    assertThat(containersOfThisRun()).hasSize(1);

    p.destroyTree();
    p.destroyTree();

    assertThat(containersOfThisRun()).isEmpty();
    assertThat(p.waitFor(Duration.ofSeconds(10))).isTrue();
    assertThat(p.handle()).containsEntry("backend", "container").containsKeys("agent", "endpoint")
        .doesNotContainKey("forwarder");
  }

  @Test
  void withoutAListenerSinkDestroyTreeRemovesTheForwarderAndTheAgentContainer() throws Exception {
    handOver = false;
    SandboxProcess p;
    try {
      p = start("sleep 600", Map.of());
    } finally {
      handOver = true;
    }
    assertThat(containersOfThisRun()).hasSize(2);

    p.destroyTree();

    assertThat(containersOfThisRun()).isEmpty();
    assertThat(p.handle()).containsKeys("agent", "forwarder", "endpoint");
  }

  @Test
  void aForwarderThatCannotStartLeavesNeitherContainerBehind() throws Exception {
    // The agent container is created while the forwarder starts: a failed start removes it too.
    // (the forwarder runs where the gateway cannot take the listener: a launch without a sink)
    ContainerSandbox saved = sandbox;
    sandbox = new ContainerSandbox(ContainerConfig.builder(AGENT_IMAGE).label("dev.taskbound.test", runLabel)
        .forwarderJava("/nonexistent/java").build());
    handOver = false;
    try {
      assertThatThrownBy(() -> start("echo never", Map.of()))
          .isInstanceOf(SandboxException.class)
          .hasMessageStartingWith("the container sandbox's forwarder did not start: ");
    } finally {
      sandbox = saved;
      handOver = true;
    }

    assertThat(containersOfThisRun()).isEmpty();
  }

  // issue 12: a Taskbound killed before its teardown ran leaves its containers; the next start
  // removes those whose maker is gone, as LeftoverCgroups does for the netns backend

  @Test
  @Timeout(value = 240, unit = TimeUnit.SECONDS)
  void theNextStartRemovesTheContainersOfARunKilledMidStartAndKeepsThoseOfALiveOne() throws Exception {
    SandboxProcess live = start("sleep 600", Map.of());
    String killedLabel = UUID.randomUUID().toString();
    Path socketDir = Files.createTempDirectory(dir, "killed");
    String java = ProcessHandle.current().info().command().orElseThrow();
    Process killed = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
        StartThenWaitToBeKilled.class.getName(), AGENT_IMAGE, killedLabel, dir.resolve("work").toString(), socketDir.toString())
        .redirectErrorStream(true).redirectOutput(dir.resolve("killed.log").toFile()).start();
    try {
      // mid-start: killed as soon as both of its containers exist, while the forwarder's JVM starts
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(150);
      while (containersLabelled(killedLabel).size() < 2) {
        assertThat(killed.isAlive()).as(Files.readString(dir.resolve("killed.log"))).isTrue();
        assertThat(System.nanoTime()).as("both containers of the killed run exist").isLessThan(deadline);
      }
    } finally {
      List<ProcessHandle> clis = killed.descendants().toList();
      killed.destroyForcibly();
      clis.forEach(ProcessHandle::destroyForcibly);
      assertThat(killed.waitFor(30, TimeUnit.SECONDS)).isTrue();
    }
    assertThat(containersLabelled(killedLabel)).as("left behind by the kill").hasSize(2);

    Result next = run("echo next");

    assertThat(next.out()).isEqualTo("next\n");
    assertThat(containersLabelled(killedLabel)).as("removed by the next start").isEmpty();
    assertThat(containersOfThisRun()).as("the live run's container stays").hasSize(1);
    live.destroyTree();
    assertThat(containersOfThisRun()).isEmpty();
  }

  @Test
  void removeFromTheHandleAloneEndsTheSandbox() throws Exception {
    SandboxProcess p = start("sleep 600", Map.of());

    new ContainerSandbox(ContainerConfig.builder(AGENT_IMAGE).build()).remove(p.handle());

    assertThat(p.waitFor(Duration.ofSeconds(20))).isTrue();
    assertThat(containersOfThisRun()).isEmpty();
    p.destroyTree();
  }

  @Test
  void removeLabelledEndsEverySandboxWithTheSessionLabelAndIsIdempotent() throws Exception {
    SandboxProcess p = start("sleep 600", Map.of());

    int removed = sandbox.removeLabelled("dev.taskbound.test", runLabel);
    int again = sandbox.removeLabelled("dev.taskbound.test", runLabel);

    assertThat(removed).isEqualTo(1);
    assertThat(again).isZero();
    assertThat(p.waitFor(Duration.ofSeconds(20))).isTrue();
    assertThat(containersOfThisRun()).isEmpty();
    p.destroyTree();
  }

  // issue 11, item 6: the agent container gets the netns backend's floor

  @Test
  void theAgentRunsAsTheWorkspaceOwnerWithNoCapabilityNoNewPrivilegesSeccompAndAReadOnlyRoot() throws Exception {
    Result r = run("id -u; id -g; grep -E '^(CapEff|CapBnd|NoNewPrivs|Seccomp):' /proc/self/status;"
        + " touch /etc/x /usr/local/bin/x 2>/dev/null && echo ROOT-WRITABLE; echo $HOME; touch $HOME/h /tmp/t && echo private-ok;"
        + " echo made > made.txt && echo workspace-ok");

    int owner = (Integer) Files.getAttribute(dir.resolve("work"), "unix:uid");
    int group = (Integer) Files.getAttribute(dir.resolve("work"), "unix:gid");
    assertThat(r.out()).as(r.err()).isEqualTo(owner + "\n" + group + "\nCapEff:\t0000000000000000\nCapBnd:\t0000000000000000\n"
        + "NoNewPrivs:\t1\nSeccomp:\t2\n/home/agent\nprivate-ok\nworkspace-ok\n");
    assertThat((Integer) Files.getAttribute(dir.resolve("work/made.txt"), "unix:uid")).isEqualTo(owner);
  }

  @Test
  void theAgentContainerHasTheLaunchsPidsAndMemoryLimitsAsCreated() throws Exception {
    runs++;
    SandboxProcess p = sandbox.start(new SandboxLaunch(List.of("bash", "-c", "echo started; exec sleep 600"),
        dir.resolve("work"), Map.of(), gateway.socketPath(), List.of(), Duration.ofSeconds(30),
        new SandboxIo(Redirect.from(new File("/dev/null")), Redirect.to(dir.resolve("out" + runs).toFile()),
            Redirect.to(dir.resolve("err" + runs).toFile())))
        .withConfinement(Confinement.DEFAULT.withLimits(new SandboxLimits(OptionalInt.of(64), OptionalLong.of(256L << 20)))));
    try {
      waitForOutput("started");

      String created = dockerInspect(p.handle().get("agent"),
          "{{.HostConfig.PidsLimit}} {{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.ReadonlyRootfs}}"
              + " {{.HostConfig.CapDrop}} {{.HostConfig.SecurityOpt}} {{.HostConfig.Privileged}} {{.HostConfig.Binds}}");

      assertThat(created).isEqualTo("64 268435456 268435456 true [ALL] [no-new-privileges] false []");
      assertThat(p.confinement().get("limits")).isEqualTo(
          Map.of("pids", 64, "memory", "256Mi", "applied_by", "docker --pids-limit/--memory (the container's cgroup)"));
    } finally {
      p.destroyTree();
    }
  }

  @Test
  void theConfinementForTheEvidenceNamesUserCapabilitiesRootLimitsRuntimeAndImageDigest() throws Exception {
    SandboxProcess p = start("true", Map.of());
    Map<String, Object> c;
    try {
      p.waitFor(Duration.ofSeconds(30));
      c = p.confinement();
    } finally {
      p.destroyTree();
    }

    assertThat(c).containsEntry("uid", Files.getAttribute(dir.resolve("work"), "unix:uid"))
        .containsEntry("capabilities", "none (--cap-drop ALL)").containsEntry("no_new_privs", true)
        .containsEntry("seccomp", Map.of("profile", "docker default", "refused_with", "EPERM"))
        .containsEntry("read_only_root", true)
        .containsEntry("runtime", "runc").containsEntry("image", AGENT_IMAGE)
        .containsEntry("image_digest", dockerImageId(AGENT_IMAGE))
        .containsEntry("limits", Map.of("pids", SandboxLimits.DEFAULT_PIDS, "memory", "none",
            "applied_by", "docker --pids-limit/--memory (the container's cgroup)"));
    assertThat(c.get("filesystem").toString()).contains("read_write=[" + dir.resolve("work") + "]");
  }

  @Test
  void aRuntimeTheDaemonOffersIsUsedForTheAgentContainer() throws Exception {
    ContainerSandbox runc = new ContainerSandbox(ContainerConfig.builder(AGENT_IMAGE).label("dev.taskbound.test", runLabel)
        .runtime("runc").build());
    ContainerSandbox saved = sandbox;
    sandbox = runc;
    SandboxProcess p = start("echo started; exec sleep 600", Map.of());
    try {
      waitForOutput("started");

      assertThat(dockerInspect(p.handle().get("agent"), "{{.HostConfig.Runtime}}")).isEqualTo("runc");
      assertThat(p.confinement()).containsEntry("runtime", "runc");
    } finally {
      sandbox = saved;
      p.destroyTree();
    }
  }

  @Test
  void preflightRefusesARuntimeTheDaemonDoesNotOfferNamingThoseItOffers() {
    ContainerSandbox gvisor = new ContainerSandbox(ContainerConfig.builder(AGENT_IMAGE).runtime("runsc").build());

    assertThatThrownBy(gvisor::preflight)
        .isInstanceOf(SandboxException.class)
        .hasMessageStartingWith("the container runtime 'runsc' (sandbox.container.runtime) is not offered by the Docker"
            + " daemon at unix:///var/run/docker.sock; it offers: ")
        .hasMessageContaining("runc")
        .hasMessageEndingWith("Options: install the runtime and register it with the daemon (gVisor: 'runsc install', then"
            + " restart dockerd), or name one of those");
  }

  @Test
  void aWorkspaceOwnedByRootIsRefusedBeforeAnyContainerExists() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(AgentOwner.root(), "only root can own a workspace for someone else");
    Path rootOwned = Files.createDirectories(dir.resolve("root-ws"));

    assertThatThrownBy(() -> sandbox.start(new SandboxLaunch(List.of("touch", "marker"), rootOwned, Map.of(),
        gateway.socketPath(), List.of(), Duration.ofSeconds(30))))
        .isInstanceOf(SandboxException.class)
        .hasMessageStartingWith("the workspace " + rootOwned + " belongs to root, and the agent never runs as root.");
    assertThat(containersOfThisRun()).isEmpty();
    assertThat(rootOwned.resolve("marker")).doesNotExist();
  }

  /**
   * Review finding: a policy path holding the daemon's socket where it is not one of the engine's
   * well-known paths (a rootless daemon's /run/user/1000/docker.sock) was bound for the agent.
   */
  @Test
  void aPolicyPathHoldingTheDaemonsOwnSocketIsRefused() throws Exception {
    Path rootless = Files.createDirectories(dir.resolve("run-user-1000"));
    Path socket = Files.createSymbolicLink(rootless.resolve("docker.sock"), Path.of("/var/run/docker.sock").toRealPath());
    ContainerSandbox reachedThere = new ContainerSandbox(ContainerConfig.builder(AGENT_IMAGE)
        .endpoint("unix://" + socket).label("dev.taskbound.test", runLabel).build());
    Path work = Files.createDirectories(dir.resolve("work"));

    assertThatThrownBy(() -> reachedThere.start(new SandboxLaunch(List.of("true"), work, Map.of(), gateway.socketPath(),
        List.of(), Duration.ofSeconds(30)).withConfinement(new Confinement(java.util.Optional.empty(), List.of(rootless),
        List.of()))))
        .isInstanceOf(SandboxException.class)
        .hasMessageContaining("sandbox.paths.readOnly " + rootless + " contains " + socket + ", the container engine's socket");
    assertThat(containersOfThisRun()).isEmpty();
  }

  @Test
  void aWorkspaceHoldingTheContainerEnginesStateIsRefused() {
    assertThatThrownBy(() -> sandbox.start(new SandboxLaunch(List.of("true"), Path.of("/var/lib"), Map.of(),
        gateway.socketPath(), List.of(), Duration.ofSeconds(30))))
        .isInstanceOf(SandboxException.class)
        .hasMessage("the workspace /var/lib contains the container engine's /var/lib/docker; the agent must never reach"
            + " it. Choose a workspace that does not contain it");
    assertThat(containersOfThisRun()).isEmpty();
  }

  private static String dockerInspect(String container, String format) throws Exception {
    Process p = new ProcessBuilder("docker", "inspect", "--format", format, container).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    return out;
  }

  private static String dockerImageId(String image) throws Exception {
    return dockerInspect(image, "{{.Id}}");
  }

  @Test
  void preflightNamesTheUnreachableDaemonAndTheOptions() {
    ContainerSandbox unreachable =
        new ContainerSandbox(ContainerConfig.builder(AGENT_IMAGE).endpoint("unix:///nonexistent/docker.sock").build());

    assertThatThrownBy(unreachable::preflight)
        .isInstanceOf(SandboxException.class)
        .hasMessageStartingWith("cannot reach the Docker daemon at unix:///nonexistent/docker.sock: ")
        .hasMessageEndingWith("Options: start the Docker daemon (or point DOCKER_HOST at a running one), use the netns"
            + " backend, or use the proxy backend with 'enforcement: cooperative' in the policy (proxy variables only,"
            + " not enforced)");
  }

  @Test
  void preflightNamesAMissingImage() {
    ContainerSandbox missing = new ContainerSandbox(ContainerConfig.builder("taskbound/no-such-image:1").build());

    assertThatThrownBy(missing::preflight)
        .isInstanceOf(SandboxException.class)
        .hasMessageStartingWith("the container sandbox needs the image 'taskbound/no-such-image:1', which the Docker"
            + " daemon at unix:///var/run/docker.sock does not have (images are never pulled)");
  }
}
