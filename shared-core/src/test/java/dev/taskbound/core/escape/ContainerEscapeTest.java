package dev.taskbound.core.escape;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskbound.core.sandbox.ContainerConfig;
import dev.taskbound.core.sandbox.ContainerSandbox;
import dev.taskbound.core.sandbox.Sandbox;
import dev.taskbound.core.testing.AgentOwner;
import java.io.IOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;

/**
 * Issue 3's escape suite ({@link EscapeSuite}) on the container backend, against the real Docker
 * engine of {@code scripts/docker-test-env.sh}; fails, never skips, without one. The agent image
 * {@value #IMAGE} (the debootstrap base plus curl, openssl, socat) is built by
 * {@code scripts/docker-escape-image.sh} when missing.
 *
 * <p>Every case of the netns suite applies. The agent shares the forwarder's network namespace
 * ({@code --network none}: loopback only, no route, and IPv6 disabled by Docker, so IPv6 connects fail
 * with "Cannot assign requested address"), so the non-loopback resolvers and 192.0.2.1 are as
 * unreachable as in the netns sandbox: the kernel fails the connect, no packet leaves. Differences:
 * the workspace is {@code dir/work} (bind-mounted at its own path) and the session's hidden files
 * live inside it; the gateway's socket ({@code dir/run}) is mounted only into the forwarder, so the
 * agent cannot even see it; the Docker socket and the stand-in are outside anything mounted.
 */
class ContainerEscapeTest extends EscapeSuite {
  static final String IMAGE = "taskbound/escape-agent:bookworm-2";
  private static final String LABEL = "dev.taskbound.test";

  private final String runLabel = UUID.randomUUID().toString();
  private ContainerSandbox containers;

  @Override
  Sandbox sandbox(Path dir) throws Exception {
    buildImageIfMissing();
    containers = new ContainerSandbox(ContainerConfig.builder(IMAGE).label(LABEL, runLabel).build());
    containers.preflight();
    return containers;
  }

  /** Runs scripts/docker-escape-image.sh (a no-op when the image exists), bounded. */
  static void buildImageIfMissing() throws Exception {
    Path script = repositoryRoot().resolve("scripts/docker-escape-image.sh");
    Process p = new ProcessBuilder("bash", script.toString(), IMAGE).redirectOutput(Redirect.DISCARD)
        .redirectError(Redirect.INHERIT).start();
    boolean done = p.waitFor(100, TimeUnit.SECONDS);
    if (!done) {
      p.destroyForcibly();
    }
    assertThat(done && p.exitValue() == 0).as(script + " built " + IMAGE + " within 100 s").isTrue();
  }

  private static Path repositoryRoot() {
    Path d = Path.of("").toAbsolutePath();
    for (int i = 0; i < 5 && d != null; i++, d = d.getParent()) {
      if (Files.exists(d.resolve("scripts/docker-escape-image.sh"))) {
        return d;
      }
    }
    throw new AssertionError("no scripts/docker-escape-image.sh above " + Path.of("").toAbsolutePath());
  }

  @Override
  Path workspace(Path dir) throws IOException {
    // the agent runs as the workspace's owner, never root
    return AgentOwner.own(Files.createDirectories(dir.resolve("work")));
  }

  @Override
  Path gatewaySocket(Path dir) throws IOException {
    return Files.createDirectories(dir.resolve("run")).resolve("gateway.sock");
  }

  @Override
  boolean gatewaySocketVisible() {
    return false;
  }

  @Override
  boolean gatewayHoldsTheAgentsPort() {
    return true; // the forwarder container hands its listening socket over, as SandboxInit does
  }

  @AfterEach
  void removeLeftoverContainers() {
    if (containers != null) {
      containers.removeLabelled(LABEL, runLabel); // a failed case may leave its pair behind
    }
  }
}
