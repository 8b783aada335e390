package dev.taskbound.core.sandbox.container;

import dev.taskbound.core.sandbox.ContainerConfig;
import dev.taskbound.core.sandbox.ContainerSandbox;
import dev.taskbound.core.sandbox.SandboxIo;
import dev.taskbound.core.sandbox.SandboxLaunch;
import java.io.File;
import java.lang.ProcessBuilder.Redirect;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * A Taskbound stand-in for {@code ContainerSandboxTest}'s leftover test: starts a container sandbox
 * (the forwarder container and the agent container: no listener sink) labelled
 * {@code dev.taskbound.test=LABEL}, prints {@code started}, and waits to be killed.
 *
 * <p>Usage: {@code StartThenWaitToBeKilled IMAGE LABEL WORKDIR SOCKET_DIR}.
 */
public final class StartThenWaitToBeKilled {
  private StartThenWaitToBeKilled() {}

  public static void main(String[] args) throws Exception {
    Path socket = Path.of(args[3], "gateway.sock");
    try (ServerSocketChannel gateway = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      gateway.bind(UnixDomainSocketAddress.of(socket));
      ContainerSandbox sandbox =
          new ContainerSandbox(ContainerConfig.builder(args[0]).label("dev.taskbound.test", args[1]).build());
      sandbox.start(new SandboxLaunch(List.of("sleep", "600"), Path.of(args[2]), Map.of(), socket, List.of(),
          Duration.ofSeconds(90), new SandboxIo(Redirect.from(new File("/dev/null")), Redirect.DISCARD, Redirect.DISCARD)));
      System.out.println("started");
      System.out.flush();
      new CountDownLatch(1).await(); // until SIGKILL
    }
  }
}
