package dev.taskbound.core.sandbox;

import dev.taskbound.core.ExitCodes;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;

/**
 * The forwarder of the {@code container} backend, run as the only process of the forwarder
 * container ({@code --network none}): binds {@code 127.0.0.1:PORT} and hands that listening socket
 * to the gateway through HANDOFF_SOCKET, or relays each connection to the gateway's Unix socket
 * (both bind-mounted into the container; {@link AgentProxyPort}), prints {@link #READY} and the
 * port on standard output once it listens, and runs until the container is removed. The agent
 * container joins its network namespace, so this port is the agent's only way out.
 *
 * <p>Usage: {@code java dev.taskbound.core.sandbox.ContainerForwarder GATEWAY_SOCKET PORT
 * [HANDOFF_SOCKET]}. Not an API.
 */
public final class ContainerForwarder {
  /** The line prefix that tells the launcher the forwarder listens. */
  static final String READY = "taskbound-forwarder listening on 127.0.0.1:";

  private ContainerForwarder() {}

  public static void main(String[] args) throws InterruptedException {
    if (args.length != 2 && args.length != 3) {
      System.err.println("taskbound: usage: ContainerForwarder GATEWAY_SOCKET PORT [HANDOFF_SOCKET]");
      System.exit(ExitCodes.USAGE);
    }
    int port;
    try {
      port = Integer.parseInt(args[1]);
      // Keeps the process, and with it the network namespace, alive; the port itself goes to the
      // gateway when a hand-off socket is given (AgentProxyPort), else this process forwards.
      AgentProxyPort.open(Path.of(args[0]), args.length == 3 ? Optional.of(Path.of(args[2])) : Optional.empty(), port);
    } catch (IOException | RuntimeException e) {
      System.err.println("taskbound: the forwarder cannot listen on 127.0.0.1:" + args[1] + ": " + e.getMessage());
      System.exit(ExitCodes.SANDBOX);
      return;
    }
    System.out.println(READY + port);
    System.out.flush();
    new CountDownLatch(1).await(); // until SIGTERM/SIGKILL from 'docker rm -f'
  }
}
