package dev.taskbound.core.sandbox;

import dev.taskbound.core.ExitCodes;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The first process inside a sandbox (in the {@code netns} backend, the child of bwrap's reaper, PID 1 of the PID namespace). It
 * connects to the launcher's private control socket, receives the agent's command and
 * environment, binds the agent's proxy port ({@link AgentProxyPort}) before anything else, starts
 * the agent with {@link ProxyEnvironment} added, reports back, passes SIGTERM/SIGINT/SIGHUP on to
 * the agent as SIGTERM, and exits with the agent's status (128+N for signal N; 127 if the command
 * was not found in the agent's {@code PATH} ({@link ExecutableLookup}), 126 if it could not be executed).
 *
 * <p>Usage: {@code java dev.taskbound.core.sandbox.SandboxInit CONTROL_SOCKET [PORT]}: the agent's
 * proxy port is {@code PORT} when given (the {@code netns} backend's fixed port), else any free
 * one. Not an API.
 */
public final class SandboxInit {
  private SandboxInit() {}

  public static void main(String[] args) {
    int port = args.length == 2 ? port(args[1]) : 0;
    if (args.length < 1 || args.length > 2 || port < 0) {
      System.err.println("taskbound: usage: SandboxInit CONTROL_SOCKET [PORT], PORT from 1 to 65535");
      System.exit(ExitCodes.USAGE);
    }
    int status;
    try {
      status = run(Path.of(args[0]), port);
    } catch (IOException e) {
      System.err.println("taskbound: the sandbox could not start the agent: " + e.getMessage());
      status = ExitCodes.SANDBOX;
    } catch (InterruptedException e) {
      status = ExitCodes.SIGNAL_BASE + 15;
    }
    System.exit(status);
  }

  /** {@code text} as a port from 1 to 65535, else -1. */
  private static int port(String text) {
    try {
      int port = Integer.parseInt(text);
      return port >= 1 && port <= 65535 ? port : -1;
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private static int run(Path control, int wantedPort) throws IOException, InterruptedException {
    boolean waitForAll;
    Process agent;
    AgentProxyPort proxyPort;
    try (SocketChannel ctl = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      ctl.connect(UnixDomainSocketAddress.of(control));
      DataInputStream in = new DataInputStream(Channels.newInputStream(ctl));
      DataOutputStream out = new DataOutputStream(Channels.newOutputStream(ctl));
      InitProtocol.Request req = InitProtocol.readRequest(in);
      waitForAll = req.waitForAll();
      proxyPort = AgentProxyPort.open(req.gatewaySocket(), req.handoffSocket(), wantedPort);
      int port = proxyPort.port();

      Map<String, String> environment = ProxyEnvironment.forAgent(req.environment(), port);
      List<String> command = new ArrayList<>(req.command());
      ExecutableLookup.Result found = ExecutableLookup.resolve(command.get(0), environment, req.workDir());
      if (found.program().isEmpty()) {
        InitProtocol.write(out, new InitProtocol.Reply(port, -1, InitIdentity.ofThisProcess()));
        System.err.println(found.notFound(command.get(0)));
        return ExitCodes.NOT_FOUND;
      }
      command.set(0, found.program().get()); // the agent's PATH, not this JVM's, as a shell would
      ProcessBuilder pb = new ProcessBuilder(command).directory(req.workDir().toFile()).inheritIO();
      pb.environment().clear();
      pb.environment().putAll(environment);
      try {
        agent = pb.start();
      } catch (IOException e) {
        InitProtocol.write(out, new InitProtocol.Reply(port, -1, InitIdentity.ofThisProcess()));
        String why = e.getMessage() == null ? "" : e.getMessage();
        System.err.println("taskbound: cannot run '" + req.command().get(0) + "': " + why);
        return why.contains("error=2,") ? ExitCodes.NOT_FOUND : ExitCodes.NOT_EXECUTABLE;
      }
      relaySignals(agent);
      InitProtocol.write(out, new InitProtocol.Reply(port, agent.pid(), InitIdentity.ofThisProcess()));
    }
    try {
      int status = agent.waitFor();
      if (waitForAll) {
        waitForTheRest();
      }
      return status;
    } finally {
      proxyPort.close();
    }
  }

  /**
   * As PID 1 of the sandbox, waits until no other live process is left in it (what the agent left
   * running in the background). Java cannot wait for processes it did not start, so this polls the
   * sandbox's own /proc; the session's TTL bounds it. Orphans' zombies stay until the namespace ends.
   */
  private static void waitForTheRest() throws InterruptedException {
    long self = ProcessHandle.current().pid();
    // the processes that started this init (bwrap's reaper, PID 1, and under a root Taskbound the
    // bwrap that made the agent's user namespace) live as long as init does
    java.util.Set<Long> ancestors = new java.util.HashSet<>();
    for (java.util.Optional<ProcessHandle> p = ProcessHandle.current().parent(); p.isPresent(); p = p.get().parent()) {
      ancestors.add(p.get().pid());
    }
    while (othersAlive(self, ancestors)) {
      Thread.sleep(100);
    }
  }

  private static boolean othersAlive(long self, java.util.Set<Long> ancestors) {
    try (java.util.stream.Stream<Path> procs = java.nio.file.Files.list(Path.of("/proc"))) {
      return procs.map(p -> p.getFileName().toString())
          .filter(n -> !n.isEmpty() && n.chars().allMatch(Character::isDigit) && Long.parseLong(n) != self && !ancestors.contains(Long.parseLong(n)))
          .anyMatch(SandboxInit::aliveNotZombie);
    } catch (IOException e) {
      return false;
    }
  }

  private static boolean aliveNotZombie(String pid) {
    try {
      String stat = java.nio.file.Files.readString(Path.of("/proc", pid, "stat"));
      return stat.charAt(stat.lastIndexOf(')') + 2) != 'Z';
    } catch (IOException | RuntimeException gone) {
      return false;
    }
  }

  @SuppressWarnings("sunapi")
  private static void relaySignals(Process agent) {
    for (String name : new String[] {"TERM", "INT", "HUP"}) {
      try {
        sun.misc.Signal.handle(new sun.misc.Signal(name), s -> agent.destroy());
      } catch (IllegalArgumentException e) {
        // the JVM reserves this signal here; the PID namespace still ends the agent
      }
    }
  }
}
