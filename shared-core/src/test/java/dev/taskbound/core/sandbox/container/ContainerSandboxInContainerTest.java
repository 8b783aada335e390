package dev.taskbound.core.sandbox.container;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import dev.taskbound.core.egress.EgressRule;
import dev.taskbound.core.egress.Gateway;
import dev.taskbound.core.egress.GatewayConfig;
import dev.taskbound.core.egress.RuleSet;
import dev.taskbound.core.sandbox.AgentUser;
import dev.taskbound.core.sandbox.Confinement;
import dev.taskbound.core.sandbox.ContainerConfig;
import dev.taskbound.core.sandbox.ContainerSandbox;
import dev.taskbound.core.sandbox.SandboxException;
import dev.taskbound.core.sandbox.SandboxIo;
import dev.taskbound.core.sandbox.SandboxLaunch;
import dev.taskbound.core.sandbox.SandboxProcess;
import dev.taskbound.core.testing.AgentOwner;
import java.io.File;
import java.lang.ProcessBuilder.Redirect;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code container} backend when Taskbound runs inside a container and drives the daemon
 * through its socket (the GitHub Action's situation), against a real daemon. A stand-in "self"
 * container mounts the workspace at a path that exists only inside it ({@code /srv/ws}), so the
 * sandbox works only if every mount source is translated to the host path.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ContainerSandboxInContainerTest {
  private static final String AGENT_IMAGE = "taskbound/debian-base:bookworm";
  private static final Path WORKSPACE_INSIDE = Path.of("/srv/ws");

  private Path dir;
  private final String runLabel = UUID.randomUUID().toString();
  private final String self = "tb-self-" + UUID.randomUUID().toString().substring(0, 8);
  private final AtomicInteger requests = new AtomicInteger();
  private HttpServer server;
  private Gateway gateway;

  @BeforeAll
  void start(@TempDir Path tempDir) throws Exception {
    dir = tempDir.toRealPath();
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/hello", exchange -> {
      requests.incrementAndGet();
      byte[] body = "hello from api.test".getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    server.start();
    Path run = Files.createDirectories(dir.resolve("run"));
    gateway = Gateway.start(new GatewayConfig(run.resolve("gateway.sock"),
        RuleSet.of(List.of(EgressRule.parse("api.test:" + server.getAddress().getPort())), List.of()),
        Map.of("api.test", "127.0.0.1"), (decision, method, dialled) -> {}));
    AgentOwner.own(Files.createDirectories(dir.resolve("ws")));
    Path classes = Path.of(ContainerConfig.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    // The stand-in for the Action's container: the forwarder image (it has Java), the workspace at
    // /srv/ws, and the gateway's directory and Taskbound's classes at their own paths.
    docker("run", "--detach", "--name", self, "--label", "dev.taskbound.test=" + runLabel, "--network", "none",
        "--mount", "type=bind,source=" + dir.resolve("ws") + ",target=" + WORKSPACE_INSIDE,
        "--mount", "type=bind,source=" + run + ",target=" + run,
        "--mount", "type=bind,source=" + classes + ",target=" + classes + ",readonly",
        "--entrypoint", "sleep", ContainerConfig.DEFAULT_FORWARDER_IMAGE, "600");
  }

  @AfterAll
  void stop() throws Exception {
    if (gateway != null) {
      gateway.close();
    }
    if (server != null) {
      server.stop(0);
    }
    docker("rm", "--force", self);
  }

  private ContainerSandbox sandbox(String runningIn) {
    return new ContainerSandbox(ContainerConfig.builder(AGENT_IMAGE)
        .label("dev.taskbound.test", runLabel)
        // a forwarder image that does not exist: running in a container, the self container's image is used
        .forwarderImage("taskbound/no-such-forwarder:0")
        .runningIn(runningIn)
        .build());
  }

  /**
   * The workspace exists only inside the stand-in, so the agent's user is named (as a policy's
   * sandbox.user would) rather than read from the workspace's owner.
   */
  private SandboxLaunch launch(Path workDir, String script) {
    return new SandboxLaunch(List.of("bash", "-c", script), workDir, Map.of(), gateway.socketPath(), List.of(),
        Duration.ofSeconds(30), new SandboxIo(Redirect.from(new File("/dev/null")),
            Redirect.to(dir.resolve("out").toFile()), Redirect.to(dir.resolve("err").toFile())))
        .withConfinement(Confinement.DEFAULT.withUser(new AgentUser(AgentOwner.UID, AgentOwner.UID, "nobody")));
  }

  @Test
  void translatesEveryMountThroughTheContainerItRunsIn() throws Exception {
    int port = server.getAddress().getPort();
    String script = "p=${HTTP_PROXY##*:}; exec 3<>/dev/tcp/127.0.0.1/$p || exit 9; "
        + "printf 'GET http://api.test:" + port + "/hello HTTP/1.1\\r\\nHost: api.test:" + port
        + "\\r\\nConnection: close\\r\\n\\r\\n' >&3; cat <&3 > " + WORKSPACE_INSIDE + "/answer.txt; pwd > " + WORKSPACE_INSIDE + "/pwd.txt";

    SandboxProcess p = sandbox(self).start(launch(WORKSPACE_INSIDE, script));
    try {
      assertThat(p.waitFor(Duration.ofSeconds(60))).isTrue();
      assertThat(p.waitFor()).as(Files.readString(dir.resolve("err"))).isZero();
    } finally {
      p.destroyTree();
    }

    assertThat(Files.readString(dir.resolve("ws/answer.txt"))).startsWith("HTTP/1.1 200").endsWith("hello from api.test");
    assertThat(Files.readString(dir.resolve("ws/pwd.txt")).strip()).isEqualTo(WORKSPACE_INSIDE.toString());
    assertThat(requests.get()).isEqualTo(1);
    assertThat(sandboxContainers()).isEmpty();
  }

  @Test
  void aWorkspaceOnNoMountOfItsContainerFailsBeforeAnythingStarts() {
    Path nowhere = Path.of("/not/mounted/ws");

    assertThatThrownBy(() -> sandbox(self).start(launch(nowhere, "true")))
        .isInstanceOf(SandboxException.class)
        .hasMessageStartingWith("the workspace /not/mounted/ws is not on a mount of the container Taskbound runs in ("
            + self + "), so the Docker daemon cannot mount it into the sandbox's containers; accepted: paths under [");
    assertThat(sandboxContainers()).isEmpty();
  }

  @Test
  void anUnknownContainerFailsThePreflightAndSaysWhereTheNameCameFrom() {
    ContainerSandbox sandbox = sandbox("tb-no-such-container");

    assertThatThrownBy(sandbox::preflight)
        .isInstanceOf(SandboxException.class)
        .hasMessageStartingWith("cannot inspect the container Taskbound runs in ('tb-no-such-container', from"
            + " TASKBOUND_DOCKER_SELF or, when unset, /proc/self/mountinfo) at unix:///var/run/docker.sock: ")
        .hasMessageEndingWith("; accepted: TASKBOUND_DOCKER_SELF=<the id or name of this container on that daemon>,"
            + " or TASKBOUND_DOCKER_SELF=none when the daemon sees this container's paths unchanged");
  }

  /** The sandbox containers of this test (the stand-in self container carries no sandbox label). */
  private List<String> sandboxContainers() {
    String out = docker("ps", "--all", "--quiet", "--filter", "label=dev.taskbound.test=" + runLabel,
        "--filter", "label=" + ContainerSandbox.LABEL);
    return out.isEmpty() ? List.of() : List.of(out.split("\n"));
  }

  private static String docker(String... args) {
    List<String> argv = new ArrayList<>(List.of("docker"));
    argv.addAll(List.of(args));
    try {
      Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(p.exitValue()).as(String.join(" ", argv) + ": " + out).isZero();
      return out;
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
