package dev.taskbound.core.sandbox;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Starts a process chain that ends in {@link SandboxInit} and performs the handshake with it over a
 * private control socket, within the launch's start timeout. On any failure the chain is killed.
 */
final class InitLauncher {
  /** The only variables the setup chain sees; the agent's environment travels over the socket. */
  private static final String SETUP_PATH = "/usr/sbin:/usr/bin:/sbin:/bin";

  private InitLauncher() {}

  /**
   * @param backend the backend's name, for messages
   * @param argv the command line of the chain, given the control socket's path; init runs at or
   *     below the spawned process, and is found there by what its reply says of it
   * @param socketOwner the unprivileged user init runs as when this JVM is root: the control and
   *     hand-off sockets become theirs (their directory stays root's, traversable only)
   * @param confinement what the started sandbox reports as its confinement
   */
  static SandboxProcess launch(String backend, SandboxLaunch launch, Function<Path, List<String>> argv,
      Optional<AgentUser> socketOwner, java.util.Map<String, Object> confinement) {
    Path controlDir;
    try {
      controlDir =
          Files.createTempDirectory(
              launch.gatewaySocket().toAbsolutePath().getParent(),
              ".sandbox-",
              PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    } catch (IOException e) {
      throw new SandboxException("cannot create the " + backend + " sandbox's control socket next to " + launch.gatewaySocket() + ": " + e, e);
    }
    Path control = controlDir.resolve("init.sock");
    ListenerReceiver handoff = null;
    try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      handoff = ListenerReceiver.offer(launch, controlDir.resolve("listener.sock"));
      server.bind(UnixDomainSocketAddress.of(control), 1);
      if (socketOwner.isPresent()) {
        RuntimeAccess.grant(controlDir, socketOwner.get());
      }
      ProcessBuilder pb =
          new ProcessBuilder(launch.io().commandLine(argv.apply(control)))
              .directory(launch.workDir().toFile())
              .redirectInput(launch.io().stdin())
              .redirectOutput(launch.io().stdout())
              .redirectError(launch.io().stderr());
      pb.environment().clear();
      pb.environment().put("PATH", SETUP_PATH);
      Process process;
      try {
        process = pb.start();
      } catch (IOException e) {
        throw new SandboxException("cannot start the " + backend + " sandbox: " + e.getMessage(), e);
      }
      LaunchedSandbox sandbox = new LaunchedSandbox(process, confinement);
      try {
        InitProtocol.Reply reply = handshake(backend, launch, server, process, handoff);
        if (!sandbox.initReportedIn(reply.init())) {
          throw new SandboxException("the " + backend + " sandbox's init (pid " + reply.init().pid() + " in its namespace, start"
              + " time " + reply.init().startTicks() + ") is not one process at or below the sandbox's pid " + process.pid()
              + ", and the sandbox did not end: it was killed, as no signal goes to a process that may not be its init");
        }
        Path watcher = controlDir.resolve("init"); // NativeInit's copy, where one was installed
        if (!launch.waitForAll() && reply.agentPid() > 0 && Files.isExecutable(watcher)) {
          sandbox.watchAgent(watcher, reply.agentPid());
        }
        return sandbox;
      } catch (IOException | RuntimeException e) {
        String message = e instanceof SandboxException ? e.getMessage() : failure(backend, launch, process, e);
        sandbox.destroyTree();
        throw new SandboxException(message, e);
      } catch (InterruptedException e) {
        sandbox.destroyTree();
        Thread.currentThread().interrupt();
        throw new SandboxException("the " + backend + " sandbox's start was interrupted; it was killed", e);
      }
    } catch (IOException e) {
      throw new SandboxException("cannot create the " + backend + " sandbox's control socket " + control + ": " + e, e);
    } finally {
      if (handoff != null) {
        handoff.close();
      }
      try {
        Files.deleteIfExists(control);
        Files.deleteIfExists(controlDir.resolve("empty"));
        Files.deleteIfExists(controlDir.resolve("seccomp.bpf"));
        Files.deleteIfExists(controlDir.resolve("init")); // NativeInit's copy: running by now, or killed
        Files.deleteIfExists(controlDir);
      } catch (IOException e) {
        // a leftover empty directory in the session directory is removed with it
      }
    }
  }

  private static InitProtocol.Reply handshake(
      String backend, SandboxLaunch launch, ServerSocketChannel server, Process process, ListenerReceiver handoff)
      throws IOException {
    long deadline = System.nanoTime() + launch.startTimeout().toNanos();
    SocketChannel ch = accept(backend, launch, server, process, deadline);
    try (ch) {
      server.close(); // nobody else, the agent included, gets to talk to us
      long left = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
      CompletableFuture.delayedExecutor(left, TimeUnit.MILLISECONDS).execute(() -> closeQuietly(ch));
      // Not closed when the process exits: a quick agent (`true`) can end the whole chain before this
      // thread reads init's reply, which is then still in the socket (the old close made that a
      // "setup exited with status 0" under load). A dead init closes its end: the read sees EOF.
      DataOutputStream out = new DataOutputStream(Channels.newOutputStream(ch));
      DataInputStream in = new DataInputStream(Channels.newInputStream(ch));
      InitProtocol.write(
          out,
          new InitProtocol.Request(launch.command(), launch.workDir(), launch.environment(),
              launch.gatewaySocket().toAbsolutePath(), launch.waitForAll(),
              Optional.ofNullable(handoff).map(ListenerReceiver::path)));
      InitProtocol.Reply reply = InitProtocol.readReply(in);
      if (handoff != null) {
        handoff.collect(process, launch.startTimeout());
      }
      return reply;
    }
  }

  private static SocketChannel accept(String backend, SandboxLaunch launch, ServerSocketChannel server, Process process, long deadline)
      throws IOException {
    server.configureBlocking(false);
    try (Selector selector = Selector.open()) {
      server.register(selector, SelectionKey.OP_ACCEPT);
      process.onExit().thenRun(selector::wakeup);
      while (true) {
        SocketChannel ch = server.accept();
        if (ch != null) {
          ch.configureBlocking(true);
          return ch;
        }
        if (!process.isAlive()) {
          throw new SandboxException(failure(backend, launch, process, null));
        }
        long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (left <= 0) {
          throw new SandboxException(
              "the " + backend + " sandbox did not start within " + launch.startTimeout().toMillis()
                  + " ms; it was killed. Raise the start timeout if the host is slow.");
        }
        selector.select(left);
        selector.selectedKeys().clear();
      }
    }
  }

  private static String failure(String backend, SandboxLaunch launch, Process process, Exception e) {
    if (e instanceof java.io.EOFException) {
      // init closed the socket without replying: it died, and the chain ends with its status
      try {
        process.waitFor(2, TimeUnit.SECONDS);
      } catch (InterruptedException interrupted) {
        Thread.currentThread().interrupt();
      }
    }
    if (!process.isAlive()) {
      return "the " + backend + " sandbox's setup exited with status " + process.exitValue()
          + " before the agent started (its own error message is on the job's stderr)";
    }
    return "the " + backend + " sandbox did not complete its start within " + launch.startTimeout().toMillis()
        + " ms (" + e + "); it was killed";
  }

  private static void closeQuietly(SocketChannel ch) {
    try {
      ch.close();
    } catch (IOException e) {
      // closing anyway
    }
  }
}
